from ipa_fpga.discovery import pciids
from tests.unit import base

TEXT = """# comment
8086  Intel Corporation
\t0b30  PAC N3000
\t\t8086 0000  subsystem line
10de  NVIDIA Corporation
\t2330  GH100 [H100 SXM5 80GB]
C 12  Processing accelerators
"""


class TestPciids(base.TestCase):
    def test_lookup(self):
        ids = pciids.PciIds(TEXT)
        self.assertEqual(ids.vendor("0x8086"), "Intel Corporation")
        self.assertEqual(ids.device("0x8086", "0x0b30"), "Intel Corporation PAC N3000")
        self.assertEqual(ids.device("0x8086", "0x2330"), "Intel Corporation Device 2330")
        self.assertEqual(
            ids.device("0x10de", "0x2330"), "NVIDIA Corporation GH100 [H100 SXM5 80GB]")
        self.assertIsNone(ids.device("0x1fe0", "0x0001"))
        self.assertIsNone(ids.vendor("0x1fe0"))

    def test_root_copy_wins_and_absent_file_is_fine(self):
        tmp_path = self.tmp_dir()
        (tmp_path / "usr/share/hwdata").mkdir(parents=True)
        (tmp_path / "usr/share/hwdata/pci.ids").write_text(TEXT)
        self.assertEqual(pciids.find(str(tmp_path)), str(tmp_path / "usr/share/hwdata/pci.ids"))
        self.assertEqual(pciids.PciIds.load(str(tmp_path)).vendor("0x10de"), "NVIDIA Corporation")
        self.patch(pciids, "CANDIDATES", ("nowhere/pci.ids",))
        empty = pciids.PciIds.load(str(tmp_path))
        self.assertIsNone(empty.device("0x8086", "0x0b30"))
