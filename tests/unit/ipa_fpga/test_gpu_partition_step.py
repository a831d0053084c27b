"""configure_gpu_partitions and the partition writes on fixture trees, the kernel simulator
(mdev, current_vgpu_type, sriov_numvfs) and the model of nvidia-smi (MIG) standing in."""

import os
import tempfile
import unittest

import accel_hosts
from accel_hosts import kernel_sim, sysfs
from ipa_fpga import conf, errors
from ipa_fpga.discovery import discover
from ipa_fpga.hardware_manager import AcceleratorHardwareManager
from ipa_fpga.partitions import mdev, vgpu_vf

GPU1 = "0000:0f:00.0"


class _Fixture(unittest.TestCase):
    HOST = None

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.root = self.tmp.name
        self.host = accel_hosts.load(self.HOST)
        sysfs.build(self.host, self.root)
        self.sim = kernel_sim.KernelSim(self.host, self.root).start()
        self.addCleanup(self.sim.stop)
        conf.cfg.CONF.set_override("sysfs_root", self.root, group=conf.GROUP)
        self.addCleanup(conf.cfg.CONF.clear_override, "sysfs_root", group=conf.GROUP)
        self.hwm = AcceleratorHardwareManager()

    def device(self, address):
        return next(d for d in discover(self.root)["devices"] if d["id"] == address)

    def instances(self, address):
        return sorted((i["type"], i["id"]) for i in self.device(address)["partitions"]["instances"])


class MigLayouts(_Fixture):
    HOST = "gpu-mig"

    def test_a_layout_replaces_the_previous_one_and_disabling_removes_all(self):
        result = self.hwm.configure_gpu_partitions(
            {}, [], mig={"profiles": ["3g.40gb", "2g.20gb", "1g.10gb"]}, address=GPU1)
        self.assertEqual(result[0]["profiles"], ["1g.10gb", "2g.20gb", "3g.40gb"])
        self.assertEqual([t for t, _ in self.instances(GPU1)], ["1g.10gb", "2g.20gb", "3g.40gb"])
        self.hwm.configure_gpu_partitions({}, [], mig={"profiles": ["7g.80gb"]}, address=GPU1)
        self.assertEqual(self.instances(GPU1), [("7g.80gb", "gi0")])
        result = self.hwm.configure_gpu_partitions({}, [], mig={"enabled": False},
                                                   address=GPU1)
        self.assertEqual(result, [{"device": GPU1, "mig": "Disabled", "gpu_instances": [],
                                   "profiles": []}])
        dev = self.device(GPU1)
        self.assertEqual(dev["partitions"]["mig"]["current"], "Disabled")
        self.assertEqual(dev["deployables"][0]["resource_class"], "PGPU")  # whole again
        self.assertEqual(len(self.instances("0000:07:00.0")), 7)  # the other GPU untouched

    def test_more_than_fits_fails_and_says_so(self):
        with self.assertRaises(errors.UpdateFailed) as ctx:
            self.hwm.configure_gpu_partitions({}, [], mig={"profiles": ["7g.80gb", "1g.10gb"]},
                                              address=GPU1)
        self.assertIn("Insufficient Resources", str(ctx.exception))

    def test_refused_without_the_tool_or_the_driver(self):
        os.rename(os.path.join(self.root, "usr/bin/nvidia-smi"),
                  os.path.join(self.root, "nvidia-smi"))
        with self.assertRaises(errors.NotSupported) as ctx:
            self.hwm.configure_gpu_partitions({}, [], mig={"enabled": False}, address=GPU1)
        self.assertIn("nvidia-smi is not installed", str(ctx.exception))
        os.rename(os.path.join(self.root, "nvidia-smi"),
                  os.path.join(self.root, "usr/bin/nvidia-smi"))
        import shutil

        shutil.rmtree(os.path.join(self.root, "proc/driver/nvidia/gpus", GPU1))
        with self.assertRaises(errors.NotSupported) as ctx:
            self.hwm.configure_gpu_partitions({}, [], mig={"enabled": False}, address=GPU1)
        self.assertIn("NVIDIA driver is not loaded", str(ctx.exception))

    def test_bad_arguments(self):
        for kwargs, text in (({}, "exactly one of"),
                             ({"mig": {}, "vgpu": {}}, "exactly one of"),
                             ({"mig": {"profiles": "1g.10gb"}}, "must be a list"),
                             ({"mig": {"enabled": False, "profiles": ["1g.10gb"]}}, "needs MIG"),
                             ({"mig": {"colour": 1}}, "unknown 'mig' keys"),
                             ({"vgpu": {"type": "x", "types": ["y"]}}, "takes 'types'"),
                             ({"vgpu": {"num_vfs": -1}}, ">= 0")):
            with self.subTest(kwargs), self.assertRaises(errors.InvalidArgs) as ctx:
                self.hwm.configure_gpu_partitions({}, [], address=GPU1, **kwargs)
            self.assertIn(text, str(ctx.exception))
        with self.assertRaises(errors.InvalidArgs):
            self.hwm.configure_gpu_partitions({}, [], mig={"profiles": ["9g.99gb"]},
                                              address=GPU1)
        with self.assertRaises(errors.NotSupported) as ctx:  # an A100 has no vendor VFIO VFs
            self.hwm.configure_gpu_partitions({}, [], vgpu={"type": "A100-4C"}, address=GPU1)


class VendorVfio(_Fixture):
    HOST = "gpu-vfio"

    def test_vf_count_and_types_on_a_full_card(self):
        full = "0000:5e:00.0"
        result = self.hwm.configure_gpu_partitions(
            {}, [], vgpu={"num_vfs": 2, "type": "L40S-6Q"}, address=full)
        self.assertEqual(result, [{"device": full, "num_vfs": 2, "vgpu_types": {
            "0000:5e:00.4": 1151, "0000:5e:00.5": 1151}}])
        dev = self.device(full)
        self.assertEqual(dev["functions"][0]["sriov"]["numvfs"], 2)
        self.assertEqual([(d["id"], d["num_accelerators"]) for d in dev["deployables"][1:]],
                         [("0000:5e:00.4", 1), ("0000:5e:00.5", 1)])
        result = self.hwm.configure_gpu_partitions({}, [], vgpu={"types": ["L40S-2Q"]},
                                                   address=full)
        self.assertEqual(result[0]["vgpu_types"], {"0000:5e:00.4": 1148})

    def test_writes_are_verified_against_what_the_driver_does(self):
        vf = "0000:3d:00.6"
        with self.assertRaises(errors.UpdateFailed) as ctx:  # homogeneous: only 6Q now
            vgpu_vf.set_type(self.root, vf, "L40S-2Q")
        self.assertIn("creatable: 1151 NVIDIA L40S-6Q", str(ctx.exception))
        self.assertEqual(vgpu_vf.set_type(self.root, vf, "CUSTOM_VGPU_L40S_6Q"),
                         {"type": 1151, "created": True})
        self.assertEqual(vgpu_vf.set_type(self.root, vf, 1151), {"type": 1151, "created": False})
        with self.assertRaises(errors.UpdateFailed):
            vgpu_vf.set_type(self.root, vf, "L40S-1B")
        self.assertEqual(vgpu_vf.release(self.root, vf), {"released": True})
        self.assertEqual(vgpu_vf.release(self.root, vf), {"released": False})
        with self.assertRaises(errors.NotSupported):
            vgpu_vf.set_type(self.root, "0000:3d:00.0", "L40S-6Q")  # the PF holds no vGPU


class Mdevs(_Fixture):
    HOST = "gpu-mdev"

    def test_create_and_remove_are_verified(self):
        parent, uuid = "0000:25:00.6", "11111111-2222-4333-8444-555555555555"
        self.assertEqual(mdev.create(self.root, parent, "nvidia-721", uuid), {"created": True})
        self.assertTrue(os.path.islink(os.path.join(self.root, "sys/bus/mdev/devices", uuid)))
        self.assertEqual(mdev.create(self.root, parent, "nvidia-721", uuid), {"created": False})
        with self.assertRaises(errors.UpdateFailed) as ctx:  # one vGPU per VF
            mdev.create(self.root, parent, "nvidia-713", "21111111-2222-4333-8444-555555555555")
        self.assertIn("available_instances 0", str(ctx.exception))
        with self.assertRaises(errors.NotSupported):
            mdev.create(self.root, parent, "nvidia-999", uuid)
        self.assertEqual(mdev.remove(self.root, parent, uuid), {"removed": True})
        self.assertFalse(os.path.lexists(os.path.join(self.root, "sys/bus/mdev/devices", uuid)))
        self.assertEqual(mdev.remove(self.root, parent, uuid), {"removed": False})
        events = [e[0] for e in self.sim.events]
        self.assertEqual(events, ["mdev_create", "mdev_remove"])
