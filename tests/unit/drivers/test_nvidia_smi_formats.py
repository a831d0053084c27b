"""nvidia-smi's output parsed from the real formats of hwfacts gpu-partitioning.md section 3,
and the fixture's model of the tool printing those same formats."""

import os
import subprocess
import unittest

from ipa_fpga.drivers import nvidia, nvidia_smi
from tests.discovery_helpers import built_root

# Verbatim from the fact sheet (real A100 80GB session, S17; S16/S18 samples).
LGIP = """\
+-----------------------------------------------------------------------------+
| GPU instance profiles:                                                      |
| GPU   Name             ID    Instances   Memory     P2P    SM    DEC   ENC  |
|                              Free/Total   GiB              CE    JPEG  OFA  |
|=============================================================================|
|   0  MIG 1g.10gb       19     7/7        9.50       No     14     0     0   |
|                                                             1     0     0   |
+-----------------------------------------------------------------------------+
|   0  MIG 1g.10gb+me    20     1/1        9.50       No     14     1     0   |
|                                                             1     1     1   |
+-----------------------------------------------------------------------------+
"""
LGI = """\
| GPU instances:                                     |
| GPU   Name          Profile  Instance   Placement  |
|                       ID       ID       Start:Size |
|====================================================|
|   0  MIG 3g.20gb       9        1          4:4     |
+----------------------------------------------------+
"""
LCI = """\
| GPU     GPU       Name             Profile   Instance |
|       Instance                       ID        ID     |
|   0      1       MIG 1c.3g.20gb       0         0     |
"""
CGI = ("Successfully created GPU instance ID 13 on GPU  0 using profile MIG 1g.12gb (ID 19)\n"
       "Successfully created compute instance ID  0 on GPU  0 GPU instance ID 13 using profile "
       "MIG 1g.12gb (ID  0)\n")
CREATABLE = "ID    : vGPU Name\n1145  : NVIDIA L40S-1B\n1151  : NVIDIA L40S-6Q\n"


class RealFormats(unittest.TestCase):
    def test_profiles(self):
        got = nvidia_smi.parse_profiles(LGIP)[0]
        self.assertEqual([(p["id"], p["name"], p["free"], p["total"], p["memory_gib"], p["sm"])
                          for p in got],
                         [(19, "1g.10gb", 7, 7, 9.5, 14), (20, "1g.10gb+me", 1, 1, 9.5, 14)])
        self.assertEqual((got[1]["ce"], got[1]["jpeg"], got[1]["ofa"]), (1, 1, 1))

    def test_instances_and_creation(self):
        self.assertEqual(nvidia_smi.parse_gpu_instances(LGI),
                         {0: [{"gi": 1, "name": "3g.20gb", "profile_id": 9, "start": 4,
                               "size": 4}]})
        self.assertEqual(nvidia_smi.parse_compute_instances(LCI),
                         {(0, 1): [{"id": 0, "profile_id": 0, "name": "1c.3g.20gb"}]})
        self.assertEqual(nvidia_smi.parse_created(CGI), [13])
        rows = nvidia_smi.parse_query("0, 00000000:36:00.0, Enabled, Disabled\n"
                                      "1, 00000000:3B:00.0, [N/A], [N/A]\n")
        self.assertEqual([(r.index, r.address, r.mig_current, r.mig_pending) for r in rows],
                         [(0, "0000:36:00.0", "Enabled", "Disabled"),
                          (1, "0000:3b:00.0", None, None)])

    def test_vendor_vfio_type_lists(self):
        self.assertEqual(nvidia.parse_creatable(CREATABLE),
                         [(1145, "NVIDIA L40S-1B"), (1151, "NVIDIA L40S-6Q")])
        self.assertEqual(nvidia.parse_creatable("ID    : vGPU Name\n"), [])  # a full card


class TheModelPrintsTheRealFormats(unittest.TestCase):
    """On the shared gpu-mig tree: only reads, and writes the model refuses."""

    root = property(lambda self: built_root("gpu-mig"))

    def smi(self, *args):
        return subprocess.run([os.path.join(self.root, "usr/bin/nvidia-smi"), *args],
                              capture_output=True, text=True, check=False)

    def test_the_model_lines_are_the_real_lines(self):
        out = self.smi("mig", "-lgip", "-i", "1").stdout.splitlines()
        real = LGIP.splitlines()
        self.assertEqual(out[:5], real[:5])
        self.assertEqual(out[5], real[5].replace("|   0 ", "|   1 "))
        self.assertEqual(out[6:8], real[6:8])
        lgi = self.smi("mig", "-lgi", "-i", "0").stdout.splitlines()
        self.assertEqual(len(lgi[5]), len(LGI.splitlines()[4]))

    def test_what_discovery_reads_from_the_model(self):
        view = nvidia_smi.View(self.root)
        self.assertIsNone(view.error)
        self.assertEqual(view.gpus["0000:07:00.0"].mig_current, "Enabled")
        profiles, gis, cis = view.mig()
        self.assertEqual(len(profiles[1]), 6)
        self.assertEqual([g["gi"] for g in gis[0]], list(range(7, 14)))
        self.assertEqual(cis[(0, 7)], [{"id": 0, "profile_id": 0, "name": "1g.10gb"}])

    def test_refusals_the_model_reports_like_the_tool(self):
        no_room = self.smi("mig", "-i", "0", "-cgi", "19", "-C")
        self.assertNotEqual(no_room.returncode, 0)
        self.assertIn("Insufficient Resources", no_room.stdout)
        self.assertIn("In use by another client", self.smi("-i", "0", "-mig", "0").stdout)
        self.assertIn("not a valid field", self.smi("--query-gpu=colour", "--format=csv").stdout)
