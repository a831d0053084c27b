import os
import shutil
import struct
import subprocess
import unittest

import accel_hosts
from accel_hosts import sysfs
from tests.discovery_helpers import built_root
from tests.unit import base

LSPCI = shutil.which("lspci")


LSPCI_READS_THE_FIXTURE_CASES = ["host-a", "host-c"]


class TestSysfs(base.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.host_a = accel_hosts.load("host-a"), built_root("host-a")

    def test_bus_links_are_relative_into_devices(self):
        host, root = self.host_a
        link = os.path.join(root, "sys/bus/pci/devices/0000:3f:00.0")
        self.assertEqual(os.readlink(link),
            "../../../devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/0000:3c:09.0/0000:3f:00.0")
        self.assertEqual(
            os.path.realpath(link), os.path.realpath(sysfs.device_dir(host, "0000:3f:00.0", root)))
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                if os.path.islink(path):
                    self.assertFalse(os.readlink(path).startswith("/"), path)
                    self.assertTrue(os.path.exists(path), f"dangling {path}")

    def test_attribute_formats(self):
        host, root = self.host_a
        d = os.path.join(root, "sys/bus/pci/devices/0000:3f:00.0")

        def read(name):
            with open(os.path.join(d, name)) as f:
                return f.read()

        self.assertEqual(read("vendor"), "0x8086\n")
        self.assertEqual(read("device"), "0x0b30\n")
        self.assertEqual(read("class"), "0x120000\n")
        self.assertEqual(read("revision"), "0x00\n")
        self.assertEqual(read("numa_node"), "0\n")
        self.assertEqual(read("local_cpulist"), "0-31,64-95\n")
        self.assertEqual(read("current_link_speed"), "8.0 GT/s PCIe\n")
        self.assertEqual(read("max_link_width"), "8\n")
        self.assertEqual(
            os.readlink(os.path.join(d, "driver")), "../../../../../../bus/pci/drivers/dfl-pci")
        self.assertTrue(
            os.readlink(os.path.join(d, "iommu_group")).endswith("kernel/iommu_groups/16"))
        lines = read("resource").splitlines()
        self.assertEqual(len(lines), 13)
        self.assertTrue(all(len(x.split()) == 3 for x in lines))
        nic = os.path.join(root, "sys/bus/pci/devices/0000:3d:00.0")
        with open(os.path.join(nic, "sriov_vf_device")) as f:
            self.assertEqual(f.read(), "154c\n")
        with open(os.path.join(nic, "sriov_numvfs")) as f:
            self.assertEqual(f.read(), "8\n")
        self.assertEqual(os.readlink(os.path.join(nic, "virtfn7")), "../0000:3d:02.7")
        vf = os.path.join(root, "sys/bus/pci/devices/0000:3d:02.7")
        self.assertEqual(os.readlink(os.path.join(vf, "physfn")), "../0000:3d:00.0")
        self.assertFalse(os.path.exists(os.path.join(vf, "sriov_totalvfs")))

    def test_every_text_attribute_ends_with_newline(self):
        _, root = self.host_a
        base = os.path.join(root, "sys/devices")
        skip = {"config", "remove", "rescan", "reset", "data", "cancel", "bind", "unbind"}
        checked = 0
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                path = os.path.join(dirpath, name)
                if name in skip or os.path.islink(path) or os.path.getsize(path) == 0:
                    continue
                with open(path, "rb") as f:
                    self.assertTrue(f.read().endswith(b"\n"), path)
                checked += 1
        self.assertGreater(checked, 500)

    def test_config_header_bytes(self):
        _, root = self.host_a
        with open(os.path.join(root, "sys/bus/pci/devices/0000:3d:00.0/config"), "rb") as f:
            cfg = f.read()
        self.assertEqual(len(cfg), 256)
        vendor, device = struct.unpack_from("<HH", cfg, 0)
        self.assertEqual((vendor, device), (0x8086, 0x0d58))
        self.assertEqual(cfg[8], 0x02)
        self.assertEqual((cfg[0x0B], cfg[0x0A], cfg[0x09]), (0x02, 0x00, 0x00))
        self.assertEqual(cfg[0x0E], 0x80)  # multi-function (00.0 and 00.1)
        self.assertEqual(struct.unpack_from("<HH", cfg, 0x2C), (0x8086, 0x0001))
        with open(os.path.join(root, "sys/bus/pci/devices/0000:3b:00.0/config"), "rb") as f:
            bridge = f.read()
        self.assertEqual(bridge[0x0E] & 0x7F, 1)  # type 1 header
        self.assertEqual((bridge[0x18], bridge[0x19], bridge[0x1A]), (0x3b, 0x3c, 0x43))

    def test_dfl_xrt_nvidia_qat_files(self):
        host_a_model = accel_hosts.load("host-a")
        root = built_root("host-a")
        card = host_a_model.card("fpga1")
        with open(sysfs.compat_id_path(host_a_model, card, root)) as f:
            self.assertEqual(f.read(), "f3c9941350814aadbced07eb84a6d0bb\n")
        sec = sysfs.secure_update_dir(host_a_model, card, root)
        self.assertEqual(sorted(os.listdir(sec)), ["cancel", "data", "error", "loading",
                                                   "remaining_size", "status"])
        link = sysfs.secure_update_class_link(card, root)
        self.assertTrue(link.endswith("sys/class/firmware/secure-update1"))
        self.assertTrue(os.path.samefile(link, sec))
        self.assertTrue(os.path.isfile(sysfs.dev_node(card, "fme", root)))
        self.assertEqual(os.path.basename(sysfs.dev_node(card, "fme", root)), "dfl-fme.1")
        with open(os.path.join(sysfs.fme_dir(host_a_model, card, root), "bitstream_id")) as f:
            self.assertEqual(f.read(), "0x2300011001030f\n")
        self.assertTrue(os.path.samefile(os.path.join(root, "sys/class/fpga_region/region3"),
                                sysfs.pr_region_dir(host_a_model, card, root)))

        host_b = accel_hosts.load("host-b")
        root_b = built_root("host-b")
        info = open(sysfs.nvidia_information_path("0000:18:00.0", root_b)).read()
        self.assertIn("Video BIOS: \t 96.00.89.00.01\n", info)
        self.assertIn(f"GPU UUID: \t {host_b.card('gpu0').nvidia.uuid}\n", info)
        self.assertTrue(os.path.isfile(os.path.join(root_b, "dev/nvidia7")))

        host_c = accel_hosts.load("host-c")
        root_c = built_root("host-c")
        mgmt = sysfs.device_dir(host_c, "0000:17:00.0", root_c)
        inst = host_c.card("fpga0").xrt.instance
        self.assertEqual(open(os.path.join(mgmt, f"rom.m.{inst}", "VBNV")).read(),
            "xilinx_u250_gen3x16_xdma_shell_4_1\n")
        user = sysfs.device_dir(host_c, "0000:17:00.1", root_c)
        self.assertEqual(
            open(os.path.join(user, "xclbinuuid")).read(), "5a1f3c2e-8d4b-4e6f-9a0b-1c2d3e4f5a6b\n")
        qat = sysfs.device_dir(host_c, "0000:e8:00.0", root_c)
        self.assertEqual(open(os.path.join(qat, "qat/cfg_services")).read(), "dc\n")
        self.assertEqual(open(os.path.join(qat, "qat/state")).read(), "up\n")

    def test_cpulist_mask(self):
        self.assertEqual(
            sysfs.cpulist_to_mask("0-31,64-95", 128), "00000000,ffffffff,00000000,ffffffff")
        self.assertEqual(sysfs.cpulist_to_mask("0-31,64-95"), "ffffffff,00000000,ffffffff")
        self.assertEqual(sysfs.cpulist_to_mask("0-3"), "0000000f")

    @unittest.skipIf(LSPCI is None, "lspci (Debian package pciutils) is not installed")
    def test_lspci_reads_the_fixture(self):
        for name in LSPCI_READS_THE_FIXTURE_CASES:
            with self.subTest(name=name):
                root = built_root(name)
                out = subprocess.run(
                    [LSPCI, "-A", "linux-sysfs", "-O", f"sysfs.path={root}/sys/bus/pci", "-vmm",
                     "-nn", "-D", "-k"], capture_output=True, text=True, check=True,
                    timeout=30).stdout
                records = [r for r in out.split("\n\n") if r.strip()]
                self.assertEqual(len(records), len(accel_hosts.load(name).functions()))
                if name == "host-a":
                    fpga = next(r for r in records if "Slot:\t0000:3f:00.0" in r)
                    self.assertTrue("Device:\tDevice [0b30]" in fpga or "[0b30]" in fpga)
                    self.assertIn("Class:\tProcessing accelerators [1200]", fpga)
                    self.assertIn("Driver:\tdfl-pci", fpga)
                    self.assertIn("NUMANode:\t0", fpga)
                    vf = next(r for r in records if "Slot:\t0000:3d:02.7" in r)
                    self.assertIn("[154c]", vf)
                    self.assertIn("Driver:\tiavf", vf)
                else:
                    user = next(r for r in records if "Slot:\t0000:17:00.1" in r)
                    self.assertIn("[10ee]", user)
                    self.assertIn("[5005]", user)
                    self.assertIn("Driver:\txocl", user)
                    self.assertIn("SDevice:", user)
                    self.assertIn("[000e]", user)
                tree = subprocess.run(
                    [LSPCI, "-A", "linux-sysfs", "-O", f"sysfs.path={root}/sys/bus/pci", "-t"],
                    capture_output=True, text=True, check=True, timeout=30).stdout
                if name == "host-a":
                    self.assertIn("[0000:3a]---00.0-[3b-43]----00.0-[3c-43]", tree)
