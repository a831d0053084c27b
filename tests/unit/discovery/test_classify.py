"""Catalogue hits, class-code fallbacks and what is left out."""

import os

import accel_hosts
from accel_contract import inventory as contract
from accel_hosts import sysfs
from ipa_fpga.discovery import discover
from tests.unit import base


def _host(*cards):
    return accel_hosts.from_dict({"name": "c", "hostname": "c", "system_uuid": "1",
                                  "cards": list(cards)})


class TestClassify(base.TestCase):
    def test_class_fallbacks_and_non_accelerators(self):
        tmp_path = self.tmp_dir()
        host = _host(
            {"kind": "generic", "address": "0000:20:00.0", "vendor_id": "0x1fe0",
             "device_id": "0x0302", "class_code": "0x030200", "driver": "foo"},
            {"kind": "generic", "address": "0000:22:00.0", "vendor_id": "0x1fe0",
             "device_id": "0x0b40", "class_code": "0x0b4000"},
            {"kind": "generic", "address": "0000:24:00.0", "vendor_id": "0x1fe0",
             "device_id": "0x1200", "class_code": "0x120001"},
            # An uncatalogued NIC and an uncatalogued VGA controller are not accelerators.
            {"kind": "generic", "address": "0000:26:00.0", "vendor_id": "0x1fe0",
             "device_id": "0x0200", "class_code": "0x020000"},
            {"kind": "generic", "address": "0000:28:00.0", "vendor_id": "0x1fe0",
             "device_id": "0x0300", "class_code": "0x030000"},
            # Catalogued by ids even with an unusual class code.
            {"kind": "generic", "address": "0000:2a:00.0", "vendor_id": "0x1da3",
             "device_id": "0x1020", "class_code": "0x120000", "driver": "habanalabs"},
        )
        sysfs.build(host, str(tmp_path))
        doc = contract.validate(discover(str(tmp_path)))
        got = [(d["id"], d["type"], d["model"], d["deployables"][0]["resource_class"])
               for d in doc["devices"]]
        self.assertEqual(got, [
            ("0000:20:00.0", "GPU", "1fe0:0302", "PGPU"),
            ("0000:22:00.0", "GENERIC", "1fe0:0b40", "CUSTOM_ACCELERATOR"),
            ("0000:24:00.0", "GENERIC", "1fe0:1200", "CUSTOM_ACCELERATOR"),
            ("0000:2a:00.0", "NPU", "GAUDI2", "CUSTOM_NPU"),
        ])
        gpu = doc["devices"][0]
        self.assertEqual(gpu["traits"], ["CUSTOM_GPU_V1FE0", "CUSTOM_GPU_PRODUCT_ID_0302",
                                 "CUSTOM_ACCEL_PRODUCT_1FE0_0302"])
        self.assertEqual(gpu["driver"], "generic")  # no vendor plugin for an unknown GPU

    def test_companion_without_its_fpga_is_left_out(self):
        tmp_path = self.tmp_dir()
        host = accel_hosts.load("example")
        sysfs.build(host, str(tmp_path))
        os.unlink(tmp_path / "sys/bus/pci/devices/0000:3f:00.0")
        doc = contract.validate(discover(str(tmp_path)))
        # Without the FPGA, the XXV710 NICs and 0b32 are not an accelerator of anything.
        self.assertEqual([d["id"] for d in doc["devices"]], ["0000:6b:00.0"])

    def test_alveo_user_pf_alone_still_a_device(self):
        tmp_path = self.tmp_dir()
        host = accel_hosts.load("host-c")
        sysfs.build(host, str(tmp_path))
        os.unlink(tmp_path / "sys/bus/pci/devices/0000:65:00.0")
        doc = contract.validate(discover(str(tmp_path)))
        dev = next(d for d in doc["devices"] if d["id"] == "0000:65:00.1")
        self.assertEqual([f["role"] for f in dev["functions"]], ["user"])
        self.assertEqual([w["code"] for w in dev["warnings"]], ["no_management_pf"])
