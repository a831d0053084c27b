"""The in-band steps check the device before they download: a card without what the step
needs is refused with the reason and the image server sees no request at all.

The cards are fixture trees (accel_hosts) with the kernel simulator where a DFL kernel
would answer; the legacy OPAE driver (``intel-fpga-pci``, Cyborg's test tree) is modelled
by its sysfs layout only: nothing in ipa_fpga talks to it.
"""

import os
import shutil
import stat

import accel_hosts
from accel_hosts import kernel_sim, sysfs
from ipa_fpga import conf, errors
from ipa_fpga.discovery import discover
from ipa_fpga.flash import pac_image
from ipa_fpga.hardware_manager import AcceleratorHardwareManager
from ipa_fpga.program import gbs
from tests.unit.ipa_fpga import simulated
from tests.unit.ipa_fpga.simulated import sha256

COMPAT = "f3c9941350814aadbced07eb84a6d0bb"
AFU = "9aeffe5f84570612c53bd9b6e31f1b8e"
LEGACY = {"name": "legacy", "hostname": "legacy.example", "system_uuid": "7", "cards": [
    {"kind": "n3000", "bus": "5d", "driver": "intel-fpga-pci", "nic_vfs": 0},
    {"kind": "n3000", "bus": "3a", "nic_vfs": 0},
]}
LEGACY_PF, DFL_PF = "0000:62:00.0", "0000:3f:00.0"


def gbs_image():
    return gbs.build(COMPAT, AFU, kernel_sim.pr_bitstream(COMPAT, AFU))


def bmc_image(version="D.2.1.25"):
    return pac_image.build("max10_bmc_nios", kernel_sim.fw_payload("n3000", version))


class PrecheckTestCase(simulated.FilesTestCase):
    """A host (``self.host``/``self.root``) built per test with the kernel simulator, and
    ``ipa_fpga``'s root pointing at it; ``self.files`` counts the requests it gets."""

    HOST = LEGACY

    def setUp(self):
        super().setUp()
        self.host = accel_hosts.from_dict(self.HOST)
        self.root = str(self.tmp_dir() / "root")
        sysfs.build(self.host, self.root)
        sim = kernel_sim.KernelSim(self.host, self.root).start()
        self.addCleanup(sim.stop)
        conf.cfg.CONF.set_override("sysfs_root", self.root, group=conf.GROUP)
        self.addCleanup(conf.cfg.CONF.clear_override, "sysfs_root", group=conf.GROUP)
        self.hwm = AcceleratorHardwareManager()
        self.seen_before = len(self.files.requests)

    def assert_nothing_fetched(self):
        self.assertEqual(self.files.requests[self.seen_before:], [])

    def program(self, address, data=None, name=None):
        data = data if data is not None else gbs_image()
        url = self.files.add(name or f"{self.id()}.gbs", data)
        return self.hwm.program_fpga_bitstream({}, [], url=url, checksum="sha256:" + sha256(data),
                                               address=address)

    def flash(self, address, component="max10_bmc_nios", data=None, **image):
        data = data if data is not None else bmc_image()
        url = self.files.add(f"{self.id()}.bin", data)
        return self.hwm.flash_accelerator_firmware({}, [], images=[dict({
            "url": url, "checksum": "sha256:" + sha256(data), "address": address,
            "component": component}, **image)])


class TestLegacyDriver(PrecheckTestCase):
    def test_discovery_lists_the_card_but_offers_no_programmable_region(self):
        doc = discover(self.root)
        legacy = next(d for d in doc["devices"] if d["id"] == LEGACY_PF)
        self.assertEqual(legacy["functions"][0]["kernel_driver"], "intel-fpga-pci")
        self.assertEqual([w["code"] for w in legacy["warnings"]], ["legacy_driver"])
        self.assertIn("intel-fpga-pci", legacy["warnings"][0]["message"])
        region = next(d for d in legacy["deployables"] if d["kind"] == "region")
        self.assertIs(region["programmable"], False)
        self.assertIn("legacy out-of-tree OPAE driver",
                      region["attributes"]["programming_unavailable"])
        # What it runs is still read (the legacy driver's FME and port) and matchable.
        self.assertEqual(region["attributes"]["pr_interface_id"],
                         "f3c99413-5081-4aad-bced-07eb84a6d0bb")
        self.assertIn("CUSTOM_FPGA_REGION_F3C9941350814AADBCED07EB84A6D0BB", region["traits"])
        self.assertEqual(legacy["firmware"], [])  # no BMC, no firmware-upload device
        # The DFL card beside it is programmable, with no reason given.
        dfl = next(d for d in doc["devices"] if d["id"] == DFL_PF)
        region = next(d for d in dfl["deployables"] if d["kind"] == "region")
        self.assertIs(region["programmable"], True)
        self.assertNotIn("programming_unavailable", region["attributes"])
        self.assertEqual(dfl["warnings"], [])

    def test_program_is_refused_before_any_download(self):
        with self.assertRaisesRegex(errors.NotSupported, "intel-fpga-pci"):
            self.program(LEGACY_PF)
        self.assert_nothing_fetched()

    def test_flash_is_refused_before_any_download(self):
        with self.assertRaisesRegex(errors.IncompatibleImage,
                                    "no firmware component 'max10_bmc_nios'"):
            self.flash(LEGACY_PF)
        self.assert_nothing_fetched()

    def test_the_programmable_card_beside_it_still_programs(self):
        result = self.program(DFL_PF)
        self.assertEqual(result[0]["function_id"], AFU)
        self.assertEqual(len(self.files.requests) - self.seen_before, 1)


class TestDflPaths(PrecheckTestCase):
    HOST = {"name": "dfl", "hostname": "dfl.example", "system_uuid": "8", "cards": [
        {"kind": "n3000", "bus": "3a", "nic_vfs": 0}]}

    def _card(self):
        return self.host.cards[0]

    def test_no_fme_device_node(self):
        os.unlink(sysfs.dev_node(self._card(), "fme", self.root))
        doc = discover(self.root)
        region = next(d for d in doc["devices"][0]["deployables"] if d["kind"] == "region")
        self.assertIs(region["programmable"], False)
        self.assertEqual(region["attributes"]["programming_unavailable"],
                         "no FME device node /dev/dfl-fme.0")
        with self.assertRaisesRegex(errors.NotSupported, "no FME device node"):
            self.program(DFL_PF)
        self.assert_nothing_fetched()

    def test_no_pr_region(self):
        os.unlink(sysfs.compat_id_path(self.host, self._card(), self.root))
        with self.assertRaisesRegex(errors.NotSupported, "PR region"):
            self.program(DFL_PF)
        self.assert_nothing_fetched()

    def test_no_port(self):
        shutil.rmtree(sysfs.port_dir(self.host, self._card(), self.root))
        with self.assertRaisesRegex(errors.NotSupported, "no DFL port"):
            self.program(DFL_PF)
        self.assert_nothing_fetched()

    def test_driver_unbound(self):
        os.unlink(os.path.join(self.root, "sys/bus/pci/devices", DFL_PF, "driver"))
        with self.assertRaisesRegex(errors.NotSupported, "bound to no driver"):
            self.program(DFL_PF)
        self.assert_nothing_fetched()

    def test_firmware_upload_interface_incomplete(self):
        fw = sysfs.secure_update_dir(self.host, self._card(), self.root)
        os.unlink(os.path.join(fw, "data"))
        with self.assertRaisesRegex(errors.NotSupported,
                                    r"no firmware-upload interface .*missing data"):
            self.flash(DFL_PF, version="D.2.1.25")
        self.assert_nothing_fetched()

    def test_firmware_upload_busy(self):
        fw = sysfs.secure_update_dir(self.host, self._card(), self.root)
        with open(os.path.join(fw, "status"), "w") as f:
            f.write("programming\n")
        with self.assertRaisesRegex(errors.UpdateFailed, r"busy \(programming\)"):
            self.flash(DFL_PF, version="D.2.1.25")
        self.assert_nothing_fetched()

    def test_a_complete_card_is_programmed_and_flashed(self):
        self.assertEqual(self.program(DFL_PF)[0]["function_id"], AFU)
        self.assertEqual(self.flash(DFL_PF, version="D.2.1.25")[0]["version"], "D.2.1.25")
        self.assertEqual(len(self.files.requests) - self.seen_before, 2)


class TestOtherCards(PrecheckTestCase):
    HOST = {"name": "mix", "hostname": "mix.example", "system_uuid": "9", "cards": [
        {"kind": "u250", "address": "0000:17:00.0"},
        {"kind": "h100_sxm5", "address": "0000:9a:00.0"},
        {"kind": "qat_4xxx", "address": "0000:6b:00.0", "vfs": 2},
    ]}

    def test_xrt_without_its_tool(self):
        self.set_env("PATH", str(self.tmp_dir()))  # no xbutil / xbmgmt anywhere
        with self.assertRaisesRegex(errors.NotSupported, r"xbutil \(XRT\) is not installed"):
            self.program("0000:17:00.0")
        with self.assertRaisesRegex(errors.NotSupported, r"xbmgmt \(XRT\) is not installed"):
            self.flash("0000:17:00.0", component="sc_firmware", version="4.6.21")
        self.assert_nothing_fetched()

    def test_xrt_without_a_bound_user_pf(self):
        os.unlink(os.path.join(self.root, "sys/bus/pci/devices/0000:17:00.1/driver"))
        with self.assertRaisesRegex(errors.NotSupported, "no user PF bound to xocl"):
            self.program("0000:17:00.0")
        self.assert_nothing_fetched()

    def test_a_vendor_tool_component_is_refused_before_the_download(self):
        with self.assertRaisesRegex(errors.NotSupported, "through vendor_tool"):
            self.flash("0000:9a:00.0", component="vbios", version="96.00.89.00.02")
        self.assert_nothing_fetched()

    def test_vfs_need_a_bound_pf_driver_and_nothing_is_written(self):
        numvfs = os.path.join(self.root, "sys/bus/pci/devices/0000:6b:00.0/sriov_numvfs")
        os.unlink(os.path.join(self.root, "sys/bus/pci/devices/0000:6b:00.0/driver"))
        before = os.stat(numvfs)
        with self.assertRaisesRegex(errors.NotSupported, "no driver is bound to the PF"):
            self.hwm.configure_accelerator_vfs({}, [], num_vfs=4, address="0000:6b:00.0")
        after = os.stat(numvfs)
        self.assertEqual((before.st_mtime_ns, before.st_size),
                         (after.st_mtime_ns, after.st_size))
        with open(numvfs) as f:
            self.assertEqual(f.read().strip(), "2")
        self.assertTrue(stat.S_ISREG(after.st_mode))
