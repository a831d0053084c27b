from ipa_fpga.discovery import pciids

TEXT = """# comment
8086  Intel Corporation
\t0b30  PAC N3000
\t\t8086 0000  subsystem line
10de  NVIDIA Corporation
\t2330  GH100 [H100 SXM5 80GB]
C 12  Processing accelerators
"""


def test_lookup():
    ids = pciids.PciIds(TEXT)
    assert ids.vendor("0x8086") == "Intel Corporation"
    assert ids.device("0x8086", "0x0b30") == "Intel Corporation PAC N3000"
    assert ids.device("0x8086", "0x2330") == "Intel Corporation Device 2330"
    assert ids.device("0x10de", "0x2330") == "NVIDIA Corporation GH100 [H100 SXM5 80GB]"
    assert ids.device("0x1fe0", "0x0001") is None
    assert ids.vendor("0x1fe0") is None


def test_root_copy_wins_and_absent_file_is_fine(tmp_path, monkeypatch):
    (tmp_path / "usr/share/hwdata").mkdir(parents=True)
    (tmp_path / "usr/share/hwdata/pci.ids").write_text(TEXT)
    assert pciids.find(str(tmp_path)) == str(tmp_path / "usr/share/hwdata/pci.ids")
    assert pciids.PciIds.load(str(tmp_path)).vendor("0x10de") == "NVIDIA Corporation"
    monkeypatch.setattr(pciids, "CANDIDATES", ("nowhere/pci.ids",))
    empty = pciids.PciIds.load(str(tmp_path))
    assert empty.device("0x8086", "0x0b30") is None
