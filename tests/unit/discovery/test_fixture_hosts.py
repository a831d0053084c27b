"""Every bundled host discovered, validated, and its PF/VF trees and vendor details exact."""


import accel_hosts
from accel_contract import inventory as contract
from tests.discovery_helpers import device, firmware, inventory, roles, tree
from tests.unit import base

N3000_REGION_TRAITS = [
    "CUSTOM_FPGA_INTEL", "CUSTOM_FPGA_INTEL_N3000",
    "CUSTOM_FPGA_REGION_F3C9941350814AADBCED07EB84A6D0BB",
    "CUSTOM_FPGA_REGION_INTEL_F3C9941350814AADBCED07EB84A6D0BB",
    "CUSTOM_FPGA_FUNCTION_D8424DC4A4A3C413F89E433683F9040B",
    "CUSTOM_FPGA_FUNCTION_ID_INTEL_D8424DC4A4A3C413F89E433683F9040B",
]


EVERY_FIXTURE_HOST_VALIDATES_CASES = accel_hosts.names()


EVERY_CARD_FUNCTION_IS_IN_EXACTLY_ONE_DEVICE_CASES = accel_hosts.names()


class TestFixtureHosts(base.TestCase):
    def test_every_fixture_host_validates(self):
        for name in EVERY_FIXTURE_HOST_VALIDATES_CASES:
            with self.subTest(name=name):
                doc = inventory(name)
                self.assertIs(contract.validate(doc), doc)
                self.assertEqual(doc["warnings"], [])
                self.assertTrue(all(d["warnings"] == [] for d in doc["devices"]))
                self.assertEqual(doc["host"]["hostname"], accel_hosts.load(name).hostname)
                self.assertEqual(doc["host"]["system_uuid"], accel_hosts.load(name).system_uuid)

    def test_every_card_function_is_in_exactly_one_device(self):
        """Cross-check against the model: the card = the device; firmware versions agree."""
        for name in EVERY_CARD_FUNCTION_IS_IN_EXACTLY_ONE_DEVICE_CASES:
            with self.subTest(name=name):
                host = accel_hosts.load(name)
                doc = inventory(name)
                where = {}
                for dev in doc["devices"]:
                    for fn in dev["functions"]:
                        self.assertNotIn(fn["address"], where)
                        where[fn["address"]] = dev["id"]
                for card in host.cards:
                    ids = {where.get(fn.address) for fn in card.functions}
                    self.assertEqual(ids, {card.primary.address}, (card.id, ids))
                    dev = device(doc, card.primary.address)
                    found = {c: v[0] for c, v in firmware(dev).items()}
                    for comp in card.firmware:
                        if comp.component in found:
                            self.assertEqual(
                                found[comp.component], comp.version, (card.id, comp.component))
                    fns = {f["address"]: f for f in dev["functions"]}
                    for fn in card.functions:
                        got = fns[fn.address]
                        self.assertEqual(
                            (got["vendor_id"], got["device_id"], got["class_code"],
                             got["revision"], got["kernel_driver"], got["numa_node"],
                             got["iommu_group"], got["physfn"]),
                            (fn.vendor_id, fn.device_id, fn.class_code, fn.revision, fn.driver,
                             fn.numa_node, fn.iommu_group, fn.physfn))
                        self.assertEqual(got["subsystem_device_id"], fn.subsystem_device_id)
                        if fn.sriov_totalvfs is not None:
                            self.assertEqual(got["sriov"], {
                                "totalvfs": fn.sriov_totalvfs, "numvfs": len(fn.vfs),
                                "vf_device_id": fn.sriov_vf_device, "vfs": fn.vfs})

    def test_host_a_exact(self):
        doc = inventory("host-a")
        self.assertEqual([d["id"] for d in doc["devices"]], ["0000:3f:00.0", "0000:b3:00.0"])
        for fpga, nic1, nic2, extra, fw_index in (("3f", "3d", "41", "43", 0),
                                                  ("b3", "b1", "b5", "b7", 1)):
            dev = device(doc, f"0000:{fpga}:00.0")
            self.assertEqual(
                (dev["type"], dev["model"], dev["driver"], dev["vendor_id"], dev["device_id"]),
                ("FPGA", "N3000", "intel_dfl", "0x8086", "0x0b30"))
            vfs = [f"0000:{nic1}:02.{i}" for i in range(8)]
            self.assertEqual(roles(dev), [(f"0000:{fpga}:00.0", "accelerator"),
                 (f"0000:{nic1}:00.0", "companion"), (f"0000:{nic1}:00.1", "companion")]
                + [(v, "vf") for v in vfs]
                + [(f"0000:{nic2}:00.0", "companion"), (f"0000:{nic2}:00.1", "companion"),
                   (f"0000:{extra}:00.0", "companion")])
            root = f"0000:{fpga}:00.0"
            self.assertEqual(tree(dev), [(root, "fpga", None, None, 0, ()),
                 (f"{root}/region0", "region", root, "FPGA", 1, (root,)),
                 (f"{root}/port0", "port", f"{root}/region0", None, 0, ()),
                 (f"0000:{nic1}:00.0", "pf", root, None, 0, (f"0000:{nic1}:00.0",))]
                + [(v, "vf", f"0000:{nic1}:00.0", None, 0, (v,)) for v in vfs]
                + [(f"0000:{nic1}:00.1", "pf", root, None, 0, (f"0000:{nic1}:00.1",)),
                   (f"0000:{nic2}:00.0", "pf", root, None, 0, (f"0000:{nic2}:00.0",)),
                   (f"0000:{nic2}:00.1", "pf", root, None, 0, (f"0000:{nic2}:00.1",))])
            target = f"/sys/class/firmware/secure-update{fw_index}"
            self.assertEqual(firmware(dev), {
                "max10_bmc_nios": ("D.2.1.24", "fw_upload", target),
                "max10_bmc_build": ("D.2.0.7", "fw_upload", target),
                "fpga_image": ("0x2300011001030f", "fw_upload", target),
            })
            self.assertEqual(
                dev["attributes"]["pr_interface_id"], "f3c99413-5081-4aad-bced-07eb84a6d0bb")
            self.assertEqual(dev["attributes"]["afu_id"], "d8424dc4a4a3c413f89e433683f9040b")
            region = dev["deployables"][1]
            self.assertEqual(region["traits"], N3000_REGION_TRAITS)
            self.assertIs(region["programmable"], True)
            self.assertEqual(region["attributes"]["program_target"], f"/dev/dfl-fme.{fw_index}")
            port = dev["deployables"][2]
            self.assertEqual(port["traits"], N3000_REGION_TRAITS[4:])
            nic = next(f for f in dev["functions"] if f["address"] == f"0000:{nic1}:00.0")
            self.assertEqual(nic["sriov"]["numvfs"], 8)
            self.assertEqual(nic["sriov"]["vf_device_id"], "0x154c")
            self.assertEqual(nic["kernel_driver"], "i40e")
        self.assertEqual(len(contract.allocatable(doc)), 2)

    def test_host_b_exact(self):
        doc = inventory("host-b")
        host = accel_hosts.load("host-b")
        gpus = [d for d in doc["devices"] if d["type"] == "GPU"]
        switches = [d for d in doc["devices"] if d["type"] == "FABRIC"]
        self.assertEqual([d["id"] for d in switches], [f"0000:0{i}:00.0" for i in range(5, 9)])
        self.assertEqual(len(gpus), 8)
        for dev in gpus:
            card = host.card(dev["id"])
            mig = card.nvidia.mig_mode == "Enabled"  # gpu7; hwfacts has no H100 SXM5 profiles
            self.assertEqual(tree(dev), [(dev["id"], "gpu", None, None, 0, ())] if mig else
                             [(dev["id"], "gpu", None, "PGPU", 1, (dev["id"],))])
            self.assertEqual(dev["traits"], ["CUSTOM_GPU_NVIDIA", "CUSTOM_GPU_PRODUCT_ID_2330",
                                             "CUSTOM_GPU_NVIDIA_H100", "CUSTOM_GPU_PARTITION_MIG"]
                             + (["CUSTOM_GPU_MIG_ENABLED"] if mig else []))
            self.assertEqual(firmware(dev), {"vbios": ("96.00.89.00.01", "vendor_tool", None)})
            self.assertEqual(dev["attributes"]["gpu_uuid"], card.nvidia.uuid)
            self.assertEqual(dev["attributes"]["device_minor"], card.nvidia.minor)
            self.assertEqual(dev["attributes"]["model_name"], "NVIDIA H100 80GB HBM3")
            # From the fixture's model of nvidia-smi (usr/bin/nvidia-smi of the root).
            self.assertEqual(dev["attributes"]["mig_mode"], card.nvidia.mig_mode)
            self.assertEqual(dev["partitions"]["mig"]["current"], card.nvidia.mig_mode)
            fn = dev["functions"][0]
            self.assertEqual(fn["link"], {"current_speed": "32.0 GT/s PCIe",
                                          "max_speed": "32.0 GT/s PCIe",
                                          "current_width": 16, "max_width": 16})
        for dev in switches:
            self.assertEqual(tree(dev), [(dev["id"], "accelerator", None, None, 0, (dev["id"],))])
            self.assertEqual(dev["functions"][0]["role"], "fabric")
        self.assertEqual([g["numa_node"] for g in gpus], [0, 0, 0, 0, 1, 1, 1, 1])
        self.assertEqual(len(contract.allocatable(doc)), 7)

    def test_host_c_exact(self):
        doc = inventory("host-c")
        self.assertEqual([(d["id"], d["type"], d["model"]) for d in doc["devices"]], [
            ("0000:17:00.0", "FPGA", "U250"), ("0000:65:00.0", "FPGA", "U250"),
            ("0000:6b:00.0", "CRYPTO", "4XXX"), ("0000:b1:00.0", "FPGA", "U250"),
            ("0000:ca:00.0", "FPGA", "U250"), ("0000:e8:00.0", "CRYPTO", "4XXX")])
        u250 = device(doc, "0000:17:00.0")
        self.assertEqual(roles(u250), [("0000:17:00.0", "management"), ("0000:17:00.1", "user")])
        xclbin_traits = ["CUSTOM_FPGA_FUNCTION_5A1F3C2E8D4B4E6F9A0B1C2D3E4F5A6B"]
        self.assertEqual(tree(u250), [
            ("0000:17:00.0", "fpga", None, None, 0, ()),
            ("0000:17:00.0/region0", "region", "0000:17:00.0", "FPGA", 1, ("0000:17:00.1",)),
            ("0000:17:00.0/function0", "function", "0000:17:00.0/region0", None, 0, ()),
        ])
        self.assertEqual(u250["deployables"][2]["traits"], xclbin_traits)
        self.assertEqual(u250["attributes"]["vbnv"], "xilinx_u250_gen3x16_xdma_shell_4_1")
        self.assertEqual(u250["attributes"]["xclbin_uuid"], "5a1f3c2e-8d4b-4e6f-9a0b-1c2d3e4f5a6b")
        host = accel_hosts.load("host-c")
        card = host.card("fpga0")
        self.assertEqual(firmware(u250), {
            "xrt_shell": (card.xrt.logic_uuids[0], "xrt", f"/dev/xclmgmt{card.xrt.instance}"),
            "sc_firmware": ("4.6.20", "xrt", f"/dev/xclmgmt{card.xrt.instance}"),
        })
        region_traits = u250["deployables"][1]["traits"]
        self.assertEqual(region_traits[:3], ["CUSTOM_FPGA_XILINX", "CUSTOM_FPGA_PRODUCT_ID_5004",
                                     "CUSTOM_FPGA_XILINX_U250"])
        iface = card.xrt.interface_uuids[0].upper()
        self.assertEqual(region_traits[3:], [f"CUSTOM_FPGA_REGION_{iface}"] + xclbin_traits)
        other = device(doc, "0000:65:00.0")
        self.assertEqual(
            [d["kind"] for d in other["deployables"]], ["fpga", "region"])
        for qat_id, services in (("0000:6b:00.0", ["CUSTOM_QAT_SYM", "CUSTOM_QAT_ASYM"]),
                                 ("0000:e8:00.0", ["CUSTOM_QAT_DC"])):
            qat = device(doc, qat_id)
            pf = qat["functions"][0]
            vfs = pf["sriov"]["vfs"]
            self.assertEqual(len(vfs), 16)
            self.assertEqual(pf["sriov"]["totalvfs"], 16)
            self.assertEqual(pf["sriov"]["vf_device_id"], "0x4941")
            self.assertEqual(tree(qat), [(qat_id, "pf", None, None, 0, ())] + [
                (v, "vf", qat_id, "CUSTOM_QAT", 1, (v,)) for v in vfs])
            self.assertEqual(qat["deployables"][1]["traits"], [
                "CUSTOM_CRYPTO_INTEL", "CUSTOM_CRYPTO_INTEL_4XXX", "CUSTOM_QAT"] + services)
            self.assertEqual(qat["attributes"]["qat.state"], "up")
            self.assertTrue(all(f["kernel_driver"] == "vfio-pci" for f in qat["functions"][1:]))
            self.assertEqual(len({f["iommu_group"] for f in qat["functions"]}), 17)
        self.assertTrue(vfs[0].endswith("e8:00.1"))
        self.assertTrue(vfs[-1].endswith("e8:02.0"))
        self.assertEqual(len(contract.allocatable(doc)), 4 + 32)

    def test_mixed_exact(self):
        doc = inventory("mixed")
        self.assertEqual([(d["id"], d["type"], d["model"], d["driver"]) for d in doc["devices"]], [
            ("0000:17:00.0", "FPGA", "U250", "xilinx_xrt"),
            ("0000:3f:00.0", "FPGA", "N3000", "intel_dfl"),
            ("0000:51:00.0", "FEC", "ACC100", "generic"),
            ("0000:54:00.0", "GENERIC", "1fe0:0001", "generic"),
            ("0000:6b:00.0", "CRYPTO", "4XXX", "intel_qat"),
            ("0000:9a:00.0", "GPU", "H100", "nvidia"),
            ("0000:ca:00.0", "GPU", "L4", "nvidia"),
            ("0000:cb:00.0", "GPU", "A100", "nvidia"),
            ("0000:e1:00.0", "FPGA", "N6000", "intel_dfl"),
        ])
        acc = device(doc, "0000:51:00.0")
        self.assertEqual(tree(acc), [
            ("0000:51:00.0", "accelerator", None, None, 0, ()),
            ("0000:51:01.0", "vf", "0000:51:00.0", "CUSTOM_FEC", 1, ("0000:51:01.0",)),
            ("0000:51:01.1", "vf", "0000:51:00.0", "CUSTOM_FEC", 1, ("0000:51:01.1",)),
        ])
        unknown = device(doc, "0000:54:00.0")
        self.assertEqual(tree(unknown), [
            ("0000:54:00.0", "accelerator", None, "CUSTOM_ACCELERATOR", 1, ("0000:54:00.0",))])
        self.assertEqual(
            unknown["traits"], ["CUSTOM_ACCEL_V1FE0", "CUSTOM_ACCEL_PRODUCT_1FE0_0001"])
        self.assertIsNone(unknown["functions"][0]["kernel_driver"])
        l4 = device(doc, "0000:ca:00.0")
        self.assertEqual(tree(l4), [("0000:ca:00.0", "gpu", None, None, 0, ())] + [
            (f"0000:ca:00.{i}", "vf", "0000:ca:00.0", "VGPU", 1, (f"0000:ca:00.{i}",))
            for i in range(4, 8)])
        self.assertEqual(firmware(l4), {"vbios": ("95.04.29.00.01", "vendor_tool", None)})
        n3000 = device(doc, "0000:3f:00.0")
        self.assertEqual([f["address"] for f in n3000["functions"] if f["role"] == "vf"], [
            f"0000:3d:02.{i}" for i in range(4)])
        n6000 = device(doc, "0000:e1:00.0")
        self.assertEqual(n6000["traits"], ["CUSTOM_FPGA_INTEL", "CUSTOM_FPGA_INTEL_N6000"])
        self.assertEqual(firmware(n6000)["max10_bmc_nios"], (
            "D.3.2.0", "fw_upload", "/sys/class/firmware/secure-update1"))
        self.assertEqual(n6000["deployables"][1]["traits"][2],
            "CUSTOM_FPGA_REGION_25D8BD3FC3445E2BA5C2D4B9E2C8C1C5")
        qat = device(doc, "0000:6b:00.0")
        self.assertEqual(qat["deployables"][1]["traits"][-1], "CUSTOM_QAT_SYM")
        self.assertEqual(len(qat["deployables"]), 5)
