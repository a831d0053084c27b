"""The one naming rule of GPU partitions, and what the contract checks of partition handles."""

import copy
import unittest

from accel_contract import inventory, naming
from accel_contract.errors import InventoryError, NamingError
from tests.discovery_helpers import inventory as discovered


class ResourceClassRule(unittest.TestCase):
    def test_vm_attachable_forms_are_vgpu_the_others_custom_form_profile(self):
        self.assertEqual(naming.partition_resource_class("mdev"), "VGPU")
        self.assertEqual(naming.partition_resource_class("vgpu_vf"), "VGPU")
        self.assertEqual(naming.partition_resource_class("mig", "1g.10gb"), "CUSTOM_MIG_1G_10GB")
        self.assertEqual(naming.partition_resource_class("mig", "1g.10gb+me"),
                         "CUSTOM_MIG_1G_10GB_ME")
        for rc in ("VGPU", "CUSTOM_MIG_7G_80GB"):
            self.assertTrue(naming.is_valid_resource_class(rc))
        with self.assertRaises(NamingError):
            naming.partition_resource_class("mig")
        with self.assertRaises(NamingError):
            naming.partition_resource_class("sriov")
        self.assertTrue(naming.is_partition_resource_class("CUSTOM_MIG_1G_10GB"))
        self.assertFalse(naming.is_partition_resource_class("VGPU"))

    def test_type_traits_keep_cyborgs_name_and_add_ours(self):
        self.assertEqual(naming.vgpu_type_name("NVIDIA A16-4C"), "A16-4C")
        self.assertEqual(naming.vgpu_type_name("GRID P40-4C"), "P40-4C")
        self.assertEqual(naming.vgpu_type_traits("mdev", "0x10de", "0x25b6", "NVIDIA A16-4C",
                                                 "nvidia-721"),
                         ["CUSTOM_NVIDIA_25B6_A16_4C", "CUSTOM_MDEV_A16_4C",
                          "CUSTOM_MDEV_NVIDIA_721"])
        # Cyborg's trait for T4-1B (hwfacts section 4), from its mdev name.
        self.assertEqual(naming.vgpu_type_traits("mdev", "0x10de", "0x1eb8", "GRID T4-1B")[0],
                         "CUSTOM_NVIDIA_1EB8_T4_1B")
        self.assertEqual(naming.vgpu_type_traits("mdev", "0x8086", "0x3e92", "GVTg_V5_4",
                                                 "i915-GVTg_V5_4"),
                         ["CUSTOM_MDEV_GVTG_V5_4", "CUSTOM_MDEV_I915_GVTG_V5_4"])
        self.assertEqual(naming.vgpu_type_traits("vgpu_vf", None, None, "NVIDIA H200X-1-18C"),
                         ["CUSTOM_VGPU_H200X_1_18C"])
        self.assertEqual(naming.mig_traits("1g.10gb"), ["CUSTOM_GPU_MIG_1G_10GB"])

    def test_traits_that_only_nova_unusable_forms_carry(self):
        for trait in ("CUSTOM_MDEV_A16_4C", "CUSTOM_NVIDIA_25B6_A16_4C", "CUSTOM_GPU_MIG_1G_10GB"):
            self.assertTrue(naming.nova_unusable_trait(trait), trait)
        for trait in ("CUSTOM_VGPU_L40S_6Q", "CUSTOM_GPU_NVIDIA_A100", "CUSTOM_GPU_PARTITION_MIG"):
            self.assertFalse(naming.nova_unusable_trait(trait), trait)
        self.assertEqual(naming.partition_capability_traits(["mig"], "Enabled"),
                         ["CUSTOM_GPU_PARTITION_MIG", "CUSTOM_GPU_MIG_ENABLED"])


class PartitionHandles(unittest.TestCase):
    def _doc(self):
        return discovered("gpu-mdev")

    def _problems(self, doc):
        with self.assertRaises(InventoryError) as ctx:
            inventory.validate(doc)
        return " ".join(ctx.exception.problems)

    def test_every_bundled_gpu_host_validates(self):
        for name in ("gpu-mig", "gpu-mdev", "gpu-vfio", "gpu-gvtg"):
            with self.subTest(name):
                inventory.validate(discovered(name))

    def test_one_mdev_instance_offered_twice_is_refused(self):
        doc = self._doc()
        first, second = [d for d in doc["devices"][0]["deployables"] if d["kind"] == "mdev"][:2]
        second["attach_handles"].append(copy.deepcopy(first["attach_handles"][0]))
        self.assertIn(f"is already offered by deployable {first['id']}", self._problems(doc))

    def test_several_mdevs_share_a_parent_address(self):
        doc = discovered("gpu-gvtg")
        pool = next(d for d in doc["devices"][0]["deployables"] if d["id"].endswith("V5_4"))
        self.assertEqual(len({h["address"] for h in pool["attach_handles"]}), 1)
        self.assertEqual(len({h["instance"] for h in pool["attach_handles"]}), 5)

    def test_partition_handles_need_type_instance_and_a_parent_of_the_device(self):
        doc = self._doc()
        pool = next(d for d in doc["devices"][0]["deployables"] if d["kind"] == "mdev")
        pool["attach_handles"][0]["partition_type"] = None
        pool["attach_handles"].append({"type": "MDEV", "address": "0000:99:00.0",
                                       "partition_type": "nvidia-721",
                                       "instance": "0d9d6f2c-5f57-4b4c-8e1b-bc1f2a9d4e71"})
        text = self._problems(doc)
        self.assertIn("needs its partition_type", text)
        self.assertIn("parent 0000:99:00.0 is not a function of the device", text)
        doc = self._doc()
        doc["devices"][0]["partitions"]["instances"][0]["parent"] = "0000:99:00.0"
        self.assertIn("partitions.instances[0]: parent 0000:99:00.0", self._problems(doc))
