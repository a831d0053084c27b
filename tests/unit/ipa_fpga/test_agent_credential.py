"""The agent keeps accel-api's credential for its host only as a bcrypt hash, in the file
ironic-lib's JSON-RPC server checks: that credential passes, any other is refused."""

import os
import stat
import tempfile

from ironic_lib import auth_basic
from ironic_lib import exception as il_exc

from ipa_fpga.agent import credential
from tests.unit import base


class AgentCredentialTest(base.TestCase):
    def setUp(self):
        super().setUp()
        self._dir = tempfile.TemporaryDirectory()
        self.addCleanup(self._dir.cleanup)
        self.path = os.path.join(self._dir.name, "state", "json-rpc-htpasswd")
        self.given = {"username": "accel-api", "password": "A" * 20 + "-per-host-secret"}

    def test_only_the_hash_is_kept_and_ironic_lib_accepts_that_credential_only(self):
        credential.ensure_file(self.path)
        with self.assertRaises(il_exc.Unauthorized):  # nothing registered yet
            auth_basic.authenticate(self.path, "accel-api", b"x" * 20)
        self.assertTrue(credential.store(self.path, self.given))
        with open(self.path) as f:
            text = f.read()
        self.assertNotIn(self.given["password"], text)
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o600)
        auth_basic.authenticate(self.path, "accel-api", self.given["password"].encode())
        with self.assertRaises(il_exc.Unauthorized):
            auth_basic.authenticate(self.path, "accel-api", b"another-hosts-password!")
        self.assertFalse(credential.store(self.path, self.given))  # unchanged: not rewritten
        rotated = dict(self.given, password="B" * 32)
        self.assertTrue(credential.store(self.path, rotated))
        with self.assertRaises(il_exc.Unauthorized):
            auth_basic.authenticate(self.path, "accel-api", self.given["password"].encode())

    def test_malformed_answers_are_refused_and_change_nothing(self):
        credential.ensure_file(self.path)
        for bad in (None, "x", {"username": "a b", "password": "p" * 20},
                    {"username": "accel-api", "password": "short"},
                    {"username": "accel-api", "password": "p" * 100},
                    {"username": "accel-api:x", "password": "p" * 20}):
            with self.subTest(bad=bad), self.assertRaises(credential.BadCredential):
                credential.store(self.path, bad)
        self.assertEqual(os.path.getsize(self.path), 0)
