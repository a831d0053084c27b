"""Damaged sysfs trees: every problem is a warning in a valid document, never a traceback."""

import os
import shutil
import tempfile

import accel_hosts
from accel_contract import inventory as contract
from accel_hosts import sysfs
from ipa_fpga import drivers
from ipa_fpga.discovery import DiscoveryError, discover
from tests.unit import base

SMALL = {
    "name": "small", "hostname": "small.example", "system_uuid": "5",
    "cards": [
        {"kind": "qat_4xxx", "address": "0000:6b:00.0", "vfs": 3},
        {"kind": "h100_sxm5", "address": "0000:18:00.0"},
        {"kind": "n6000", "address": "0000:e1:00.0"},
    ],
}


def fn_path(root, address, name):
    return os.path.join(root, "sys/bus/pci/devices", address, name)


def codes(doc, device=None):
    if device is None:
        return [(w["code"], w["path"]) for w in doc["warnings"]]
    dev = next(d for d in doc["devices"] if d["id"] == device)
    return [(w["code"], w["path"]) for w in dev["warnings"]]


def ids(doc):
    return [d["id"] for d in doc["devices"]]


class _Exploding:
    name = "nvidia"

    def describe(self, ctx):
        ctx.device.firmware.append({"half": "written"})
        raise RuntimeError("boom")


NON_HEX_OR_TRUNCATED_VENDOR_CASES = ["zzzz\n", "0x80\n", "0x8086 extra\n", "\n", ""]


class TestGarbage(base.TestCase):
    def setUp(self):
        super().setUp()
        host = accel_hosts.from_dict(SMALL)
        root = str(self.tmp_dir() / "root")
        sysfs.build(host, root)
        self.small = host, root

    def test_clean_small_host(self):
        doc = contract.validate(discover(self.small[1]))
        self.assertEqual(ids(doc), ["0000:18:00.0", "0000:6b:00.0", "0000:e1:00.0"])
        self.assertEqual(doc["warnings"], [])

    def test_non_hex_or_truncated_vendor(self):
        for content in NON_HEX_OR_TRUNCATED_VENDOR_CASES:
            with self.subTest(content=content):
                _, root = self.small
                with open(fn_path(root, "0000:18:00.0", "vendor"), "w") as f:
                    f.write(content)
                doc = contract.validate(discover(root))
                self.assertEqual(
                    ids(doc), ["0000:6b:00.0", "0000:e1:00.0"])
                self.assertIn(("bad_value", "/sys/bus/pci/devices/0000:18:00.0/vendor"), codes(doc))

    def test_truncated_value_without_newline(self):
        _, root = self.small
        with open(fn_path(root, "0000:6b:00.0", "class"), "w") as f:
            f.write("0x0b40")
        doc = contract.validate(discover(root))
        path = "/sys/bus/pci/devices/0000:6b:00.0/class"
        self.assertIn(("truncated", path), codes(doc))
        self.assertIn(("bad_value", path), codes(doc))
        self.assertNotIn("0000:6b:00.0", ids(doc))

    def test_truncated_config_header(self):
        _, root = self.small
        with open(fn_path(root, "0000:18:00.0", "config"), "wb") as f:
            f.write(b"\xde\x10\x30\x23")
        doc = contract.validate(discover(root))
        self.assertIn(("truncated", "/sys/bus/pci/devices/0000:18:00.0/config"), codes(doc))
        gpu = next(d for d in doc["devices"] if d["id"] == "0000:18:00.0")
        self.assertIsNone(gpu["functions"][0]["revision"])

    def test_dangling_virtfn_and_bus_entry(self):
        _, root = self.small
        link = fn_path(root, "0000:6b:00.0", "virtfn1")
        os.unlink(link)
        os.symlink("../0000:6b:09.0", link)
        os.symlink("../../../devices/pci0000:99/0000:99:00.0",
                   os.path.join(root, "sys/bus/pci/devices/0000:99:00.0"))
        doc = contract.validate(discover(root))
        self.assertIn(("dangling_symlink", "/sys/bus/pci/devices/0000:6b:00.0/virtfn1"), codes(doc))
        self.assertIn(("dangling_symlink", "/sys/bus/pci/devices/0000:99:00.0"), codes(doc))
        qat = next(d for d in doc["devices"] if d["id"] == "0000:6b:00.0")
        # The VF whose virtfn link broke is still found through its own physfn link.
        self.assertEqual(qat["functions"][0]["sriov"]["vfs"], ["0000:6b:00.1", "0000:6b:00.2",
                                                       "0000:6b:00.3"])

    def test_directory_where_a_file_should_be(self):
        _, root = self.small
        path = fn_path(root, "0000:18:00.0", "numa_node")
        os.unlink(path)
        os.mkdir(path)
        doc = contract.validate(discover(root))
        self.assertIn(("not_a_file", "/sys/bus/pci/devices/0000:18:00.0/numa_node"), codes(doc))
        gpu = next(d for d in doc["devices"] if d["id"] == "0000:18:00.0")
        self.assertIsNone(gpu["numa_node"])

    def test_bad_numa_and_sriov_values(self):
        _, root = self.small
        with open(fn_path(root, "0000:18:00.0", "numa_node"), "w") as f:
            f.write("banana\n")
        with open(fn_path(root, "0000:6b:00.0", "sriov_totalvfs"), "w") as f:
            f.write("-\n")
        doc = contract.validate(discover(root))
        self.assertIn(("bad_value", "/sys/bus/pci/devices/0000:18:00.0/numa_node"), codes(doc))
        self.assertIn(("bad_value", "/sys/bus/pci/devices/0000:6b:00.0/sriov_totalvfs"), codes(doc))

    def test_permission_denied(self):
        """Run as an unprivileged user (root ignores file modes) on a world-readable copy."""
        _, built = self.small
        base_dir = tempfile.mkdtemp(prefix="accel-perm-", dir=base.SYSTEM_TMPDIR)
        try:
            os.chmod(base_dir, 0o755)
            root = os.path.join(base_dir, "root")
            shutil.copytree(built, root, symlinks=True)
            os.chmod(fn_path(root, "0000:18:00.0", "numa_node"), 0o000)
            os.chmod(os.path.join(root, "proc/driver/nvidia/gpus/0000:18:00.0/information"), 0o000)
            discover(root)  # warm every lazy import and plugin load first
            if os.geteuid() == 0:
                os.seteuid(65534)
            try:
                doc = discover(root)
            finally:
                if os.getuid() == 0:
                    os.seteuid(0)
        finally:
            shutil.rmtree(base_dir, ignore_errors=True)
        contract.validate(doc)
        self.assertIn(
            ("permission_denied", "/sys/bus/pci/devices/0000:18:00.0/numa_node"), codes(doc))
        self.assertIn(("permission_denied", "/proc/driver/nvidia/gpus/0000:18:00.0/information"),
                      codes(doc, "0000:18:00.0"))

    def test_dfl_damage_is_a_device_warning(self):
        host, root = self.small
        card = host.card("0000:e1:00.0")
        bmc = sysfs.bmc_dir(host, card, root)
        with open(os.path.join(bmc, "bmcfw_version"), "w") as f:
            f.write("garbage\n")
        doc = contract.validate(discover(root))
        dev = next(d for d in doc["devices"] if d["id"] == "0000:e1:00.0")
        self.assertEqual([w["code"] for w in dev["warnings"]], ["bad_value"])
        self.assertNotIn("max10_bmc_nios", [f["component"] for f in dev["firmware"]])
        shutil.rmtree(fn_path(root, "0000:e1:00.0", "fpga_region"))
        doc = contract.validate(discover(root))
        dev = next(d for d in doc["devices"] if d["id"] == "0000:e1:00.0")
        self.assertEqual([w["code"] for w in dev["warnings"]], ["no_fme"])
        self.assertEqual([d["kind"] for d in dev["deployables"]], ["fpga", "region"])

    def test_driver_failure_becomes_a_warning(self):
        real_get = drivers.get
        self.patch(drivers, "get",
                            lambda name: _Exploding() if name == "nvidia" else real_get(name))
        doc = contract.validate(discover(self.small[1]))
        gpu = next(d for d in doc["devices"] if d["id"] == "0000:18:00.0")
        self.assertEqual(gpu["warnings"][0]["code"], "driver_failed")
        self.assertIn("RuntimeError: boom", gpu["warnings"][0]["message"])
        self.assertEqual(gpu["firmware"], [])  # nothing half-written survives
        self.assertEqual([(d["kind"], d["resource_class"]) for d in gpu["deployables"]], [
            ("accelerator", "PGPU")])
        self.assertEqual(ids(doc), ["0000:18:00.0", "0000:6b:00.0", "0000:e1:00.0"])

    def test_missing_plugin_falls_back_to_generic(self):
        real_get = drivers.get
        self.patch(drivers, "get", lambda name: None if name == "intel_qat" else
                            real_get(name))
        doc = contract.validate(discover(self.small[1]))
        qat = next(d for d in doc["devices"] if d["id"] == "0000:6b:00.0")
        self.assertEqual(qat["warnings"][0]["code"], "driver_not_found")
        self.assertEqual(
            [d["resource_class"] for d in qat["deployables"]], [None] + ["CUSTOM_QAT"] * 3)

    def test_missing_or_unusable_root(self):
        tmp_path = self.tmp_dir()
        with self.assertRaisesRegex(DiscoveryError, "does not exist"):
            discover(str(tmp_path / "nope"))
        with self.assertRaisesRegex(DiscoveryError, "no PCI bus"):
            discover(str(tmp_path))
        (tmp_path / "file").write_text("x")
        with self.assertRaises(DiscoveryError):
            discover(str(tmp_path / "file"))

    def test_not_an_address_entry(self):
        _, root = self.small
        os.mkdir(os.path.join(root, "sys/bus/pci/devices/garbage"))
        doc = contract.validate(discover(root))
        self.assertIn(("bad_entry", "/sys/bus/pci/devices/garbage"), codes(doc))
