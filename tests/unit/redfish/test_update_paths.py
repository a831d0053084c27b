"""How an update reaches the BMC: waiting (bounded) for a BMC rebooting when it starts,
and each vendor layout's path (HGX multipart push at one entry, BlueField SimpleUpdate,
iDRAC's renamed entry found again, iLO refused with the reason), against the in-process
emulator."""

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


class VendorPathTest(base.TestCase):
    """One device updated on each vendor layout of the emulator, nothing else touched."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.images = ImageServer(tempfile.mkdtemp(prefix="accel-images-"))
        cls.addClassCleanup(cls.images.stop)

    def root(self, host, layout):
        srv = start_emulator(hosts=(host,), profile=layout, update_seconds=0.05)
        self.addCleanup(srv.stop)
        root = keep_alive(client.connect(srv.url, "admin", "password"))
        self.addCleanup(client.close, root)
        return root

    def versions(self, root, component):
        return {a["id"]: f["version"] for a in client.read_accelerators(root)
                for f in a["firmware"] if f["component"] == component}

    def test_hgx_gpu_is_pushed_at_its_own_entry(self):
        root = self.root("host-b", "hgx")
        url, _ = self.images.add("sxm3.bin", "vbios", "96.00.99.00.03")
        before = self.versions(root, "vbios")
        result = update.update_accelerator_firmware(root, None, "GPU_SXM_3", url, timeout=60)
        self.assertEqual((result["transfer"], result["after"]), ("multipart", "96.00.99.00.03"))
        after = self.versions(root, "vbios")
        self.assertEqual({k for k in after if after[k] != before[k]}, {"GPU_SXM_3"})

    def test_dpu_bundle_by_simple_update(self):
        root = self.root("host-d", "bluefield")
        url, _ = self.images.add("bundle.bfb", "dpu_bundle", "bf-bundle-2.9.1-1")
        result = update.update_accelerator_firmware(root, None, "Bluefield", url, timeout=60)
        self.assertEqual((result["transfer"], result["component"], result["after"]),
                         ("simple-update", "dpu_os", "bf-bundle-2.9.1-1"))

    def test_idrac_entry_renamed_by_the_update_is_found_again(self):
        root = self.root("host-d", "idrac")
        url, _ = self.images.add("bf3-nic.bin", "nic_firmware", "32.43.1010")
        result = update.update_accelerator_firmware(root, None, "NIC.Slot.2", url, timeout=60)
        self.assertEqual(result["target"], "/redfish/v1/UpdateService/FirmwareInventory/"
                         "Installed-0-32.43.1010__NIC.Slot.2-1")
        self.assertEqual(self.versions(root, "nic_slot_5_1"), {"NIC.Slot.5": "32.41.1000"})

    def test_ilo_cannot_target_one_device_and_says_so(self):
        root = self.root("host-c", "ilo")
        with self.assertRaisesRegex(errors.NotUpdatable, r"has no updateable firmware"):
            update.update_accelerator_firmware(root, None, "1", "http://127.0.0.1:9/x.bin")
