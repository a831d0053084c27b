"""The four GPU fixture hosts of hwfacts gpu-partitioning.md section 6 discover into the
documented deployables (docs/gpu-partitioning.rst), and nvidia-smi's absence is reported."""

import os
import shutil
import tempfile
import unittest

from accel_contract import inventory as contract
from ipa_fpga.discovery import discover
from tests.discovery_helpers import built_root, device, inventory, tree

A100_BASE = ["CUSTOM_GPU_NVIDIA", "CUSTOM_GPU_PRODUCT_ID_20B2", "CUSTOM_GPU_NVIDIA_A100",
             "CUSTOM_GPU_PARTITION_MIG", "CUSTOM_GPU_MIG_ENABLED"]


def pools(dev):
    return [(d["id"], d["kind"], d["parent"], d["resource_class"], d["num_accelerators"])
            for d in dev["deployables"]]


def handles(dev, dep_id):
    dep = next(d for d in dev["deployables"] if d["id"] == dep_id)
    return [(h["type"], h["address"], h.get("partition_type"), h.get("instance"))
            for h in dep["attach_handles"]]


class MigHost(unittest.TestCase):
    """G1: A100 80GB with 7 x 1g.10gb, and a second A100 with MIG on and nothing yet."""

    def test_a_gpu_with_seven_instances_offers_them_and_not_itself(self):
        gpu0 = device(inventory("gpu-mig"), "0000:07:00.0")
        self.assertEqual(pools(gpu0), [
            ("0000:07:00.0", "gpu", None, None, 0),
            ("0000:07:00.0/mig/1g.10gb", "mig", "0000:07:00.0", "CUSTOM_MIG_1G_10GB", 7)])
        self.assertEqual(handles(gpu0, "0000:07:00.0/mig/1g.10gb"),
                         [("MIG", "0000:07:00.0", "1g.10gb", f"gi{g}") for g in range(7, 14)])
        self.assertEqual(gpu0["traits"], A100_BASE)
        parts = gpu0["partitions"]
        self.assertEqual(parts["mig"], {"current": "Enabled", "pending": "Enabled",
                                        "gpu_index": 0, "source": "nvidia-smi"})
        self.assertEqual([(i["id"], i["type"], i["placement"], i["compute_instances"])
                          for i in parts["instances"]],
                         [(f"gi{7 + s}", "1g.10gb", f"{s}:1",
                           [{"id": 0, "profile_id": 0, "name": "1g.10gb"}]) for s in range(7)])
        one_g = next(t for t in parts["types"] if t["name"] == "1g.10gb")
        self.assertEqual((one_g["id"], one_g["max_instances"], one_g["available_instances"],
                          one_g["created"], one_g["framebuffer_mb"]), ("19", 7, 0, 7, 9728))

    def test_an_empty_mig_gpu_offers_room_for_every_profile(self):
        gpu1 = device(inventory("gpu-mig"), "0000:0f:00.0")
        p = "0000:0f:00.0"
        self.assertEqual(pools(gpu1), [
            (p, "gpu", None, None, 0),
            (f"{p}/mig/1g.10gb", "mig", p, "CUSTOM_MIG_1G_10GB", 7),
            (f"{p}/mig/1g.10gb-me", "mig", p, "CUSTOM_MIG_1G_10GB_ME", 1),
            (f"{p}/mig/2g.20gb", "mig", p, "CUSTOM_MIG_2G_20GB", 3),
            (f"{p}/mig/3g.40gb", "mig", p, "CUSTOM_MIG_3G_40GB", 2),
            (f"{p}/mig/4g.40gb", "mig", p, "CUSTOM_MIG_4G_40GB", 1),
            (f"{p}/mig/7g.80gb", "mig", p, "CUSTOM_MIG_7G_80GB", 1)])
        self.assertEqual(handles(gpu1, f"{p}/mig/3g.40gb"),
                         [("MIG", p, "3g.40gb", "slot0"), ("MIG", p, "3g.40gb", "slot1")])
        self.assertIn("CUSTOM_GPU_MIG_3G_40GB",
                      next(d for d in gpu1["deployables"] if d["id"].endswith("3g.40gb"))["traits"])

    def test_without_nvidia_smi_the_state_is_unknown_not_guessed(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = os.path.join(tmp, "root")
            shutil.copytree(built_root("gpu-mig"), root, symlinks=True)
            os.unlink(os.path.join(root, "usr/bin/nvidia-smi"))
            doc = contract.validate(discover(root))
        gpu0 = device(doc, "0000:07:00.0")
        self.assertEqual([w["code"] for w in gpu0["warnings"]], ["no_nvidia_smi"])
        self.assertIn("not installed", gpu0["warnings"][0]["message"])
        parts = gpu0["partitions"]
        self.assertEqual(parts["mig"], {"current": None, "pending": None, "gpu_index": None,
                                        "source": None})
        self.assertEqual([(i["id"], i["type"]) for i in parts["instances"]],
                         [(f"gi{g}", None) for g in range(7, 14)])  # ids from /proc only
        self.assertEqual(parts["types"], [])
        self.assertEqual(pools(gpu0), [("0000:07:00.0", "gpu", None, None, 0)])
        self.assertNotIn("mig_mode", gpu0["attributes"])


class MdevOnVfsHost(unittest.TestCase):
    """G2: A16 on an mdev-era driver; VFs are the parents; two A16-4C on .4 and .5."""

    def test_tree(self):
        dev = device(inventory("gpu-mdev"), "0000:25:00.0")
        expect = [("0000:25:00.0", "gpu", None, None, 0)]
        for vf, kinds in (("4", ["721"]), ("5", ["721"]), ("6", ["713", "718", "721"]),
                          ("7", ["713", "718", "721"])):
            addr = f"0000:25:00.{vf}"
            expect.append((addr, "vf", "0000:25:00.0", None, 0))
            expect += [(f"{addr}/mdev/nvidia-{k}", "mdev", addr, "VGPU", 1) for k in kinds]
        self.assertEqual(pools(dev), expect)
        self.assertEqual(handles(dev, "0000:25:00.4/mdev/nvidia-721"), [
            ("MDEV", "0000:25:00.4", "nvidia-721", "aa618089-8b16-4d01-a136-25a0f3c73123")])
        pool = next(d for d in dev["deployables"] if d["id"] == "0000:25:00.6/mdev/nvidia-721")
        self.assertEqual([t for t in pool["traits"] if t not in dev["traits"]],
                         ["CUSTOM_NVIDIA_25B6_A16_4C", "CUSTOM_MDEV_A16_4C",
                          "CUSTOM_MDEV_NVIDIA_721"])
        self.assertEqual(pool["attributes"], {"mdev_type": "nvidia-721",
                                              "vgpu_type": "NVIDIA A16-4C",
                                              "framebuffer_mb": 4096})
        parts = dev["partitions"]
        self.assertEqual(parts["forms"], ["mdev"])
        self.assertEqual([(i["parent"], i["type"], i["driver"]) for i in parts["instances"]],
                         [("0000:25:00.4", "nvidia-721", "nvidia-vgpu-vfio"),
                          ("0000:25:00.5", "nvidia-721", "nvidia-vgpu-vfio")])
        self.assertEqual(len(parts["types"]), 4 * 15)
        t721 = next(t for t in parts["types"] if t["parent"] == "0000:25:00.4"
                    and t["id"] == "nvidia-721")
        self.assertEqual((t721["name"], t721["max_instances"], t721["available_instances"],
                          t721["created"], t721["device_api"]),
                         ("NVIDIA A16-4C", 4, 0, 1, "vfio-pci"))


class VendorVfioHost(unittest.TestCase):
    """G3: L40S on NVIDIA's vendor VFIO framework, and a full card."""

    def test_vfs_are_pci_vgpus_named_by_their_types(self):
        doc = inventory("gpu-vfio")
        gpu0, full = device(doc, "0000:3d:00.0"), device(doc, "0000:5e:00.0")
        vfs = ["0000:3d:00.4", "0000:3d:00.5", "0000:3d:00.6", "0000:3d:00.7",
               "0000:3d:01.0", "0000:3d:01.1", "0000:3d:01.2", "0000:3d:01.3"]
        self.assertEqual(tree(gpu0), [("0000:3d:00.0", "gpu", None, None, 0, ())] + [
            (vf, "vf", "0000:3d:00.0", "VGPU", 1, (vf,)) for vf in vfs])
        self.assertEqual(handles(gpu0, "0000:3d:00.4"), [("PCI", "0000:3d:00.4", "1151", None)])
        self.assertEqual(handles(gpu0, "0000:3d:00.6"), [("PCI", "0000:3d:00.6", None, None)])
        for dep in gpu0["deployables"][1:]:
            self.assertIn("CUSTOM_VGPU_L40S_6Q", dep["traits"])
        self.assertEqual([(i["parent"], i["type"], i["name"])
                          for i in gpu0["partitions"]["instances"]],
                         [("0000:3d:00.4", "1151", "NVIDIA L40S-6Q"),
                          ("0000:3d:00.5", "1151", "NVIDIA L40S-6Q")])
        self.assertEqual([(d["id"], d["num_accelerators"]) for d in full["deployables"][1:]],
                         [("0000:5e:00.4", 1), ("0000:5e:00.5", 0), ("0000:5e:00.6", 0),
                          ("0000:5e:00.7", 0)])
        held = full["deployables"][1]
        self.assertIn("CUSTOM_VGPU_TYPE_1156", held["traits"])  # a full card names no type
        self.assertEqual(full["partitions"]["types"], [])


class GvtgHost(unittest.TestCase):
    """G4: an Intel iGPU with GVT-g and one GVTg_V5_4 created."""

    def test_pools_follow_what_is_left(self):
        dev = device(inventory("gpu-gvtg"), "0000:00:02.0")
        p = "0000:00:02.0"
        self.assertEqual(pools(dev), [
            (p, "gpu", None, None, 0),
            (f"{p}/mdev/i915-GVTg_V5_1", "mdev", p, "VGPU", 1),
            (f"{p}/mdev/i915-GVTg_V5_2", "mdev", p, "VGPU", 2),
            (f"{p}/mdev/i915-GVTg_V5_4", "mdev", p, "VGPU", 5),
            (f"{p}/mdev/i915-GVTg_V5_8", "mdev", p, "VGPU", 6)])
        v54 = handles(dev, f"{p}/mdev/i915-GVTg_V5_4")
        self.assertEqual(v54[0][3], "0d9d6f2c-5f57-4b4c-8e1b-bc1f2a9d4e71")  # created first
        t54 = next(t for t in dev["partitions"]["types"] if t["id"] == "i915-GVTg_V5_4")
        self.assertEqual((t54["available_instances"], t54["created"]), (4, 1))
        self.assertIn("low_gm_size: 128MB", t54["description"])
        self.assertEqual(dev["driver"], "intel_gpu")
        self.assertEqual(dev["traits"], ["CUSTOM_GPU_INTEL", "CUSTOM_GPU_PRODUCT_ID_3E92",
                                         "CUSTOM_GPU_INTEL_UHD630", "CUSTOM_GPU_PARTITION_MDEV"])
