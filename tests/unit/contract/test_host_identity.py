"""The host identity rule: names that cannot tell hosts apart are refused, with why."""

import uuid

from accel_contract import identity
from tests.unit import base


class HostnameRuleTest(base.TestCase):
    def test_loopback_empty_and_placeholder_names_are_refused(self):
        for name in ("", "localhost", "LOCALHOST", "localhost.", "localhost.localdomain",
                     "localhost4", "localhost6.localdomain6", "ip6-localhost", "ip6-loopback",
                     "foo.localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "0.0.0.0",
                     "::", "(none)", None):
            with self.subTest(name=name), self.assertRaises(identity.InvalidHostname) as cm:
                identity.check_hostname(name)
            self.assertTrue(str(cm.exception))

    def test_malformed_names_are_refused(self):
        for name in ("a b", "a/b", "a\\b", "tab\there", "new\nline", "a?b", "a#b", "a%2fb",
                     "x" * 256, "nul\x00"):
            with self.subTest(name=name), self.assertRaises(identity.InvalidHostname):
                identity.check_hostname(name)

    def test_names_of_real_hosts_and_nodes_pass(self):
        for name in ("compute-1", "compute-1.example.org", "node_7", "192.0.2.10",
                     "2001:db8::10", str(uuid.uuid4()), "x" * 255, "fake-mini"):
            with self.subTest(name=name):
                self.assertEqual(identity.check_hostname(name), name)

    def test_the_message_names_what_was_checked(self):
        with self.assertRaisesRegex(identity.InvalidHostname, r"\[agent\] hostname"):
            identity.check_hostname("localhost", "[agent] hostname")


class StandaloneRootTest(base.TestCase):
    def test_standalone_roots_use_a_name_and_uuid_nova_never_makes(self):
        name = identity.standalone_root_name("compute-1")
        self.assertEqual(name, "ironic-accel:standalone:compute-1")
        root = uuid.UUID(identity.standalone_root_uuid("compute-1"))
        self.assertEqual(root.version, 5)  # Nova's compute node uuids are uuid4
        self.assertNotEqual(identity.standalone_root_uuid("compute-2"), str(root))

    def test_long_names_stay_within_placement_and_unique(self):
        a = identity.standalone_root_name("h" * 250 + "a")
        b = identity.standalone_root_name("h" * 250 + "b")
        self.assertNotEqual(a, b)
        self.assertLessEqual(max(len(a), len(b)), identity.MAX_PROVIDER_NAME)
