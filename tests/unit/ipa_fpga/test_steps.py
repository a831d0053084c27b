"""The steps on a fixture tree with the kernel simulator: flash, program, VFs, failures."""

import hashlib
import os

from accel_hosts import kernel_sim, sysfs
from ipa_fpga import errors
from ipa_fpga.flash import pac_image
from ipa_fpga.hardware_manager import AcceleratorHardwareManager
from ipa_fpga.program import gbs
from tests.unit.ipa_fpga import simulated
from tests.unit.ipa_fpga.simulated import sha256

N3000 = "0000:3f:00.0"
COMPAT = "f3c9941350814aadbced07eb84a6d0bb"
NEW_AFU = "9aeffe5f84570612c53bd9b6e31f1b8e"


def bmc_image(version, board="n3000"):
    return pac_image.build("max10_bmc_nios", kernel_sim.fw_payload(board, version))


def gbs_image(interface=COMPAT, afu=NEW_AFU):
    return gbs.build(interface, afu, kernel_sim.pr_bitstream(interface, afu))


class TestSteps(simulated.SimulatorTestCase):
    def test_flash_bmc_firmware_through_fw_upload(self):
        data = bmc_image("D.2.1.25")
        url = self.files.add("bmc.bin", data)
        hwm = AcceleratorHardwareManager()
        result = hwm.flash_accelerator_firmware({}, [], images=[{
            "url": url, "checksum": sha256(data), "checksum_type": "sha256",
            "address": N3000, "component": "max10_bmc_nios", "version": "D.2.1.25"}])
        self.assertEqual(result, [{"device": N3000, "component": "max10_bmc_nios",
                           "previous_version": "D.2.1.24", "version": "D.2.1.25"}])
        card = self.host_a.cards[0]
        bmc = sysfs.bmc_dir(self.host_a, card, self.sim_root)
        with open(os.path.join(bmc, "bmcfw_version")) as f:
            self.assertEqual(f.read().strip(), "0x44020119")
        # The other card was not touched.
        with open(os.path.join(sysfs.bmc_dir(self.host_a, self.host_a.cards[1], self.sim_root),
                               "bmcfw_version")) as f:
            self.assertEqual(f.read().strip(), "0x44020118")

    def test_bad_checksum_leaves_device_untouched(self):
        data = bmc_image("D.2.1.25")
        url = self.files.add("bmc2.bin", data)
        fw = sysfs.secure_update_dir(self.host_a, self.host_a.cards[0], self.sim_root)
        with self.assertRaisesRegex(errors.ImageError, "sha512 checksum mismatch"):
            AcceleratorHardwareManager().flash_accelerator_firmware({}, [], images=[{
                "url": url, "checksum": "sha512:" + hashlib.sha512(b"other").hexdigest(),
                "model": "N3000", "component": "max10_bmc_nios"}])
        with open(os.path.join(fw, "loading")) as f:
            self.assertEqual(f.read().strip(), "0")
        self.assertEqual(os.path.getsize(os.path.join(fw, "data")), 0)

    def test_downgrade_refused_unless_forced(self):
        data = bmc_image("D.2.1.20")
        url = self.files.add("old.bin", data)
        image = {"url": url, "checksum": sha256(data), "checksum_type": "sha256",
                 "address": N3000, "component": "max10_bmc_nios", "version": "D.2.1.20"}
        with self.assertRaisesRegex(errors.IncompatibleImage, "downgrade"):
            AcceleratorHardwareManager().flash_accelerator_firmware({}, [], images=[image])
        result = AcceleratorHardwareManager().flash_accelerator_firmware(
            {}, [], images=[dict(image, force=True)])
        self.assertEqual(result[0]["version"], "D.2.1.20")

    def test_kernel_error_for_other_board_is_reported(self):
        data = bmc_image("D.2.1.25", board="d5005")
        url = self.files.add("d5005.bin", data)
        with self.assertRaisesRegex(errors.UpdateFailed, "preparing:firmware-invalid"):
            AcceleratorHardwareManager().flash_accelerator_firmware({}, [], images=[{
                "url": url, "checksum": sha256(data), "checksum_type": "sha256",
                "address": N3000, "component": "max10_bmc_nios", "version": "D.2.1.25"}])

    def test_program_bitstream_and_incompatible_one(self):
        port = sysfs.port_dir(self.host_a, self.host_a.cards[0], self.sim_root)
        port_afu = os.path.join(port, "afu_id")
        bad = gbs_image(interface="00112233445566778899aabbccddeeff")
        url = self.files.add("bad.gbs", bad)
        with self.assertRaisesRegex(errors.IncompatibleImage, "PR interface"):
            AcceleratorHardwareManager().program_fpga_bitstream(
                {}, [], url=url, checksum=sha256(bad), checksum_type="sha256", address=N3000)
        with open(port_afu) as f:
            self.assertEqual(f.read().strip(), "d8424dc4a4a3c413f89e433683f9040b")
        good = gbs_image()
        url = self.files.add("good.gbs", good)
        result = AcceleratorHardwareManager().program_fpga_bitstream(
            {}, [], url=url, checksum="sha256:" + sha256(good), address=N3000)
        self.assertEqual(result[0]["function_id"], NEW_AFU)
        with open(port_afu) as f:
            self.assertEqual(f.read().strip(), NEW_AFU)

    def test_unreachable_url_and_bad_scheme(self):
        hwm = AcceleratorHardwareManager()
        with self.assertRaisesRegex(errors.ImageError, "connection failed"):
            hwm.program_fpga_bitstream({}, [], url="http://127.0.0.1:9/x.gbs",
                                       checksum="sha256:" + "0" * 64, address=N3000)
        with self.assertRaisesRegex(errors.ImageError, "scheme 'file' is not allowed"):
            hwm.program_fpga_bitstream({}, [], url="file:///etc/passwd",
                                       checksum="sha256:" + "0" * 64, address=N3000)

    def test_selector_matching_nothing_is_an_error(self):
        with self.assertRaisesRegex(errors.DeviceNotFound, "no accelerator matches"):
            AcceleratorHardwareManager().configure_accelerator_vfs({}, [], num_vfs=2,
                                                                   model="U250")

    def test_support_level_and_steps(self):
        tmp_path = self.tmp_dir()
        from ironic_python_agent import hardware

        from ipa_fpga import conf
        hwm = AcceleratorHardwareManager()
        self.assertEqual(hwm.evaluate_hardware_support(), hardware.HardwareSupport.SERVICE_PROVIDER)
        names = [s["step"] for s in hwm.get_deploy_steps({}, [])]
        self.assertEqual(names, ["flash_accelerator_firmware", "program_fpga_bitstream",
                         "configure_accelerator_vfs", "configure_gpu_partitions"])
        for step in hwm.get_clean_steps({}, []):
            self.assertEqual(step["interface"], "deploy")
            self.assertEqual(step["priority"], 0)
            self.assertTrue(all(a["description"] for a in step["argsinfo"].values()))
        conf.cfg.CONF.set_override("sysfs_root", str(tmp_path), group=conf.GROUP)
        self.assertEqual(hwm.evaluate_hardware_support(), hardware.HardwareSupport.NONE)

    def test_configure_vfs_on_a_fixture(self):
        tmp_path = self.tmp_dir()
        import accel_hosts
        from ipa_fpga import conf

        root = str(tmp_path / "mixed")
        sysfs.build(accel_hosts.load("mixed"), root)
        conf.cfg.CONF.set_override("sysfs_root", root, group=conf.GROUP)
        try:
            hwm = AcceleratorHardwareManager()
            result = hwm.configure_accelerator_vfs({}, [], num_vfs=8, address="0000:51:00.0")
            self.assertEqual(
                result, [{"device": "0000:51:00.0", "function": "0000:51:00.0", "num_vfs": 8}])
            with open(os.path.join(root, "sys/bus/pci/devices/0000:51:00.0/sriov_numvfs")) as f:
                self.assertEqual(f.read().strip(), "8")
            with self.assertRaisesRegex(errors.InvalidArgs, "exceeds sriov_totalvfs 16"):
                hwm.configure_accelerator_vfs({}, [], num_vfs=17, address="0000:51:00.0")
            with self.assertRaisesRegex(errors.InvalidArgs, "unknown arguments"):
                hwm.configure_accelerator_vfs({}, [], num_vfs=1, address="0000:51:00.0", colour=1)
        finally:
            conf.cfg.CONF.clear_override("sysfs_root", group=conf.GROUP)
