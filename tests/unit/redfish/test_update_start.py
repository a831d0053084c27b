"""An update that finds the BMC rebooting waits for it (bounded), and refuses cleanly
when there is nothing to update with: against the in-process emulator."""

import tempfile

from ironic_fpga.redfish import client, errors, update
from tests.redfish_helpers import ImageServer, firmware_version, keep_alive, start_emulator
from tests.unit import base


class StartTest(base.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.srv = start_emulator(hosts=("mixed",), update_seconds=0.2)
        cls.addClassCleanup(cls.srv.stop)
        cls.images = ImageServer(tempfile.mkdtemp(prefix="accel-images-"))
        cls.addClassCleanup(cls.images.stop)
        cls.server = cls.srv.httpd.service.emu.server("mixed")

    def setUp(self):
        super().setUp()
        self.addCleanup(self.server.faults.clear)
        self.root = keep_alive(client.connect(self.srv.url, "admin", "password"))
        self.addCleanup(client.close, self.root)

    def test_a_bmc_rebooting_when_the_update_starts_is_waited_for(self):
        url, _ = self.images.add("wait.bin", "vbios", "96.00.99.00.11")
        self.server.faults.add({"kind": "http-error", "status": 503, "count": 4})
        slept = []
        result = update.update_accelerator_firmware(
            self.root, "mixed", "gpu0", url, unreachable_timeout=120, sleep=slept.append)
        self.assertEqual(result["after"], "96.00.99.00.11")
        self.assertEqual(firmware_version(self.root, "mixed-gpu0-vbios"), "96.00.99.00.11")
        self.assertGreaterEqual(len(slept), 1)  # it did wait before starting

    def test_a_bmc_that_stays_away_fails_once_the_bound_is_spent(self):
        url, _ = self.images.add("gone.bin", "vbios", "96.00.99.00.12")
        self.server.faults.add({"kind": "http-error", "status": 503, "count": 1000})
        clock = iter(range(0, 10000, 7))
        state = update.waiting_to_start("first", clock=lambda: 0)
        with self.assertRaisesRegex(errors.BMCUnreachable,
                                    r"did not answer for 14 s when the update was to start "
                                    r"\(allowed: 10 s\)"):
            while True:
                now = next(clock)
                try:
                    update.start_update(self.root, "mixed", "gpu0", url)
                except errors.BMCNotReady as exc:
                    update.wait_to_start(state, exc, unreachable_timeout=10,
                                         clock=lambda t=now: t)

    def test_a_refusal_while_sending_is_not_retried(self):
        self.assertFalse(issubclass(errors.UpdateRejected, errors.BMCNotReady))
        self.assertTrue(issubclass(errors.BMCNotReady, errors.BMCUnreachable))
