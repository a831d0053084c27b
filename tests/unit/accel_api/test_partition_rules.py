"""What Nova may be given, the attach-handle shapes of partitions, and what the agent accepts."""

import types
import unittest

from accel_api import errors, partitions
from accel_api.claims import arqs, records
from ipa_fpga.agent import partitions as agent_partitions
from tests.discovery_helpers import built_root


class NovaRefusal(unittest.TestCase):
    def test_forms_nova_cannot_attach_are_refused_with_the_reason(self):
        cases = [
            ([{"resources:CUSTOM_MIG_1G_10GB": "1"}], "MIG instance"),
            ([{"resources:VGPU": "1", "trait:CUSTOM_MDEV_NVIDIA_721": "required"}], "mdev"),
            ([{"resources:VGPU": "1", "trait:CUSTOM_NVIDIA_25B6_A16_4C": "required"}], "mdev"),
            ([{"resources:PGPU": "1"}, {"resources:VGPU": "1",
                                        "trait:CUSTOM_GPU_MIG_1G_10GB": "required"}],
             "group 1 requires CUSTOM_GPU_MIG_1G_10GB"),
        ]
        for groups, text in cases:
            with self.subTest(groups):
                reason = partitions.nova_refusal(groups)
                self.assertIn(text, reason)
                self.assertIn("/v2/claims", reason)

    def test_the_refusal_is_logged_with_its_reason(self):
        # Nova keeps only the status of a refused ARQ creation in the server's fault.
        profile = types.SimpleNamespace(name="mig-1g",
                                        groups=[{"resources:CUSTOM_MIG_1G_10GB": "1"}])
        with self.assertLogs("accel_api.claims.arqs", "WARNING") as logs, \
                self.assertRaises(errors.BadRequest) as refused:
            arqs._refuse_for_nova(profile, "proj-1")
        self.assertIn("cannot be used through Nova", str(refused.exception))
        self.assertIn("refused accelerator requests of device profile mig-1g (project proj-1)"
                      ": group 0 asks for CUSTOM_MIG_1G_10GB, a MIG instance", logs.output[0])

    def test_what_nova_can_attach_passes(self):
        for groups in ([{"resources:PGPU": "1"}],
                       [{"resources:VGPU": "1", "trait:CUSTOM_VGPU_L40S_6Q": "required",
                         "accel:vgpu_type": "L40S-6Q"}],
                       [{"resources:VGPU": "1", "trait:CUSTOM_MDEV_A16_4C": "forbidden"}],
                       [{"resources:FPGA": "1", "trait:CUSTOM_FPGA_INTEL": "required"}]):
            with self.subTest(groups):
                self.assertIsNone(partitions.nova_refusal(groups))

    def test_the_vgpu_type_a_request_names(self):
        self.assertEqual(partitions.wanted_vgpu_type({"accel:vgpu_type": "L40S-6Q"}), "L40S-6Q")
        self.assertEqual(partitions.wanted_vgpu_type(
            {"trait:CUSTOM_VGPU_L40S_6Q": "required"}), "CUSTOM_VGPU_L40S_6Q")
        self.assertEqual(partitions.wanted_vgpu_type(traits=["CUSTOM_VGPU_L40S_2Q"],
                                                     explicit="1151"), "1151")
        self.assertIsNone(partitions.wanted_vgpu_type(
            traits=["CUSTOM_VGPU_L40S_2Q", "CUSTOM_VGPU_L40S_6Q"]))  # ambiguous: none
        self.assertIsNone(partitions.wanted_vgpu_type(traits=["CUSTOM_VGPU_TYPE_1156"]))


class HandleInfo(unittest.TestCase):
    def test_cyborgs_shapes_with_the_parent_pci_fields(self):
        self.assertEqual(records.handle_info("PCI", "0000:3d:00.4"),
                         {"domain": "0000", "bus": "3d", "device": "00", "function": "4"})
        self.assertEqual(records.handle_info("PCI", "0000:3d:00.4", "1151"),
                         {"domain": "0000", "bus": "3d", "device": "00", "function": "4",
                          "vgpu_type": "1151"})
        uuid = "aa618089-8b16-4d01-a136-25a0f3c73123"
        self.assertEqual(records.handle_info("MDEV", "0000:25:00.4", "nvidia-721", uuid),
                         {"domain": "0000", "bus": "25", "device": "00", "function": "4",
                          "asked_type": "nvidia-721", "mdev_uuid": uuid,
                          "vgpu_mark": f"nvidia-721_{uuid}"})
        self.assertEqual(records.handle_uuid("MDEV", "row-uuid", uuid), uuid)
        self.assertEqual(records.handle_uuid("PCI", "row-uuid", ""), "row-uuid")
        self.assertEqual(records.handle_info("MIG", "0000:07:00.0", "1g.10gb", "gi7",
                                             {"compute_instance_id": 0}),
                         {"domain": "0000", "bus": "07", "device": "00", "function": "0",
                          "mig_profile": "1g.10gb", "gpu_instance_id": "7",
                          "compute_instance_id": "0"})
        self.assertNotIn("gpu_instance_id", records.handle_info("MIG", "0000:07:00.0",
                                                                "1g.10gb", "slot0"))


class AgentRequests(unittest.TestCase):
    root = property(lambda self: built_root("gpu-mdev"))  # refused before any write

    def test_only_well_formed_requests_on_this_hosts_gpus(self):
        uuid = "11111111-2222-4333-8444-555555555555"
        bad = [
            ("not a mapping", "keys"),
            ({"form": "mdev", "parent": "0000:25:00.6", "colour": 1}, "keys"),
            ({"form": "sriov", "parent": "0000:25:00.6"}, "unknown partition form"),
            ({"form": "mdev", "parent": "../../etc", "type": "nvidia-721", "instance": uuid},
             "not a PCI address"),
            ({"form": "mdev", "parent": "0000:25:00.6", "type": "nvidia-721",
              "instance": "../x"}, "with its uuid"),
            ({"form": "mdev", "parent": "0000:25:00.6", "type": "x;rm -rf /", "instance": uuid},
             "malformed"),
            ({"form": "mig", "parent": "0000:25:00.6", "type": "1g.10gb", "instance": "gi7;"},
             "not gi<ID>"),
            ({"form": "mdev", "parent": "0000:99:00.0", "type": "nvidia-721", "instance": uuid},
             "not a GPU function of this host"),
        ]
        for request, text in bad:
            with self.subTest(request), self.assertRaises(agent_partitions.PartitionError) as c:
                agent_partitions.create(self.root, "h", request)
            self.assertIn(text, str(c.exception))
