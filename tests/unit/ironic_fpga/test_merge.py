"""In-band and out-of-band inspection records merge by a fixed precedence, and the result
depends on the two records only (re-running either converges)."""


from ironic_fpga.inspection import merge
from tests.unit import base


def inband_gpu(addr="0000:17:00.0", version="96.00.30.00.01"):
    return {"vendor_id": "10de", "device_id": "2331", "type": "GPU", "pci_address": addr,
            "model": "H100", "vendor": "NVIDIA", "driver": "nvidia", "numa_node": 0,
            "firmware": {"vbios": version}, "traits": ["CUSTOM_GPU_NVIDIA"]}


def bmc_gpu(addr=None, **extra):
    return dict({"vendor_id": "10de", "device_id": "2331", "type": "GPU", "pci_address": addr,
                 "model": "H100", "vendor": "NVIDIA", "driver": None, "numa_node": None,
                 "firmware": {"firmware": "96.00.30.00.01", "vbios": "stale"},
                 "traits": ["CUSTOM_GPU_NVIDIA", "CUSTOM_GPU_NVIDIA_H100"],
                 "serial": "1654422007043", "bmc_id": "Video.Slot.2-1"}, **extra)


class MergeTest(base.TestCase):

    def test_inband_wins_what_it_read_and_the_bmc_fills_the_rest(self):
        (gpu,) = merge.accelerators([inband_gpu()], [bmc_gpu()])
        self.assertEqual(gpu["source"], "in-band+bmc")
        self.assertEqual((gpu["pci_address"], gpu["driver"], gpu["numa_node"]),
                         ("0000:17:00.0", "nvidia", 0))
        self.assertEqual(gpu["firmware"], {"vbios": "96.00.30.00.01",
                                           "firmware": "96.00.30.00.01"})
        self.assertEqual((gpu["serial"], gpu["bmc_id"]), ("1654422007043", "Video.Slot.2-1"))
        self.assertEqual(gpu["traits"], ["CUSTOM_GPU_NVIDIA", "CUSTOM_GPU_NVIDIA_H100"])

    def test_devices_pair_by_address_then_uuid_then_ids_in_order(self):
        inband = [inband_gpu("0000:17:00.0"), inband_gpu("0000:65:00.0"),
                  dict(inband_gpu("0000:b1:00.0"), uuid="7a814837-a73c-822f-0dfc-d45b4fe54ed0")]
        bmc = [bmc_gpu("0000:65:00.0", bmc_id="b"),
               bmc_gpu(None, bmc_id="c", uuid="7a814837-a73c-822f-0dfc-d45b4fe54ed0"),
               bmc_gpu(None, bmc_id="a")]
        out = merge.accelerators(inband, bmc)
        self.assertEqual([(d["pci_address"], d.get("bmc_id")) for d in out],
                         [("0000:17:00.0", "a"), ("0000:65:00.0", "b"), ("0000:b1:00.0", "c")])

    def test_a_device_only_the_bmc_sees_is_added_and_counted(self):
        dpu = {"vendor_id": None, "device_id": None, "type": "DPU", "vendor": "NVIDIA",
               "firmware": {"dpu_os": "bf-bundle"}, "traits": ["CUSTOM_DPU_NVIDIA"],
               "bmc_id": "Bluefield"}
        records = {merge.INBAND: {"accelerators": [inband_gpu()], "traits": ["CUSTOM_GPU_NVIDIA"],
                                  "capabilities": {"gpu_rule": "a"}, "rules": ["r1"]},
                   merge.BMC: {"accelerators": [bmc_gpu(), dpu], "capabilities":
                               {"gpu_rule": "b", "dpu_rule": "c"},
                               "traits": ["CUSTOM_GPU_NVIDIA_H100", "CUSTOM_DPU_NVIDIA"],
                               "rules": ["r2"]}}
        merged = merge.merge(records)
        self.assertEqual([d["source"] for d in merged["accelerators"]], ["in-band+bmc", "bmc"])
        self.assertEqual(merged["capabilities"], {"accel_gpu_count": "1",
                                                  "accel_dpu_count": "1",
                                                  "gpu_rule": "a", "dpu_rule": "c"})
        self.assertEqual(merged["traits"], ["CUSTOM_GPU_NVIDIA", "CUSTOM_GPU_NVIDIA_H100",
                                            "CUSTOM_DPU_NVIDIA"])
        self.assertEqual(merged["rules"], ["r1", "r2"])

    def test_the_result_depends_on_the_records_only(self):
        records = {merge.INBAND: {"accelerators": [inband_gpu()], "traits": ["T1"]},
                   merge.BMC: {"accelerators": [bmc_gpu()], "traits": ["T2"]}}
        first = merge.merge(records)
        self.assertEqual(merge.merge(dict(records)), first)
        self.assertEqual(merge.merge({merge.BMC: records[merge.BMC],
                                      merge.INBAND: records[merge.INBAND]}), first)

    def test_bmc_devices_without_ids_pair_by_type_and_vendor(self):
        bmc = [{"vendor_id": None, "device_id": None, "type": "GPU", "vendor": "NVIDIA",
                "firmware": {"hgx_fw_gpu_sxm_1": "96.00.61.00.01"}, "bmc_id": "GPU1"}]
        (gpu,) = merge.accelerators([inband_gpu()], bmc)
        self.assertEqual(gpu["firmware"]["hgx_fw_gpu_sxm_1"], "96.00.61.00.01")
        self.assertEqual(gpu["vendor_id"], "10de")
        other = [dict(bmc[0], vendor="AMD")]
        self.assertEqual(len(merge.accelerators([inband_gpu()], other)), 2)
