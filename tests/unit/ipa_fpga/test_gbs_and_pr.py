"""GBS header parsing, the PR ioctl ABI, and the simulator channel's guard."""

import ctypes
import struct

import pytest

from ipa_fpga import errors
from ipa_fpga.program import dfl_pr, gbs


def test_ioctl_abi_matches_linux_uapi():
    # include/uapi/linux/fpga-dfl.h: _IO(0xB6, 0x80); struct of 4 x u32 + u64.
    assert dfl_pr.DFL_FPGA_FME_PORT_PR == 0xB680
    assert ctypes.sizeof(dfl_pr.DflFpgaFmePortPr) == 24
    assert dfl_pr.DflFpgaFmePortPr.buffer_address.offset == 16


def test_gbs_round_trip(tmp_path):
    path = tmp_path / "a.gbs"
    path.write_bytes(gbs.build("F3C99413-5081-4AAD-BCED-07EB84A6D0BB",
                               "9aeffe5f-8457-0612-c53b-d9b6e31f1b8e", b"\x01" * 100))
    image = gbs.parse(str(path), "dev")
    assert image.interface_id == "f3c9941350814aadbced07eb84a6d0bb"
    assert image.afu_id == "9aeffe5f84570612c53bd9b6e31f1b8e"
    assert image.length == 100


@pytest.mark.parametrize("blob, message", [
    (b"not a gbs at all", "GBS GUID missing"),
    (gbs.GBS_GUID + struct.pack("<I", 0), "out of range"),
    (gbs.GBS_GUID + struct.pack("<I", 5) + b"nope!" + b"\0" * 10, "not the expected JSON"),
    (gbs.GBS_GUID + struct.pack("<I", 2) + b"{}" + b"\0", "not the expected JSON"),
    (gbs.build("f3c9941350814aadbced07eb84a6d0bb", "00", b""), "no bitstream"),
])
def test_bad_gbs_is_refused(tmp_path, blob, message):
    path = tmp_path / "bad.gbs"
    path.write_bytes(blob)
    with pytest.raises(errors.IncompatibleImage, match=message):
        gbs.parse(str(path), "dev")


def test_simulator_channel_never_on_real_root(tmp_path):
    assert dfl_pr.simulator_dir("/") is None
    assert dfl_pr.simulator_dir(str(tmp_path)) is None  # no simulator marker
    (tmp_path / dfl_pr.SIM_DIR).mkdir()
    (tmp_path / dfl_pr.SIM_DIR / "active").write_text("1")
    assert dfl_pr.simulator_dir(str(tmp_path)) == str(tmp_path / dfl_pr.SIM_DIR)


def test_plain_file_without_simulator_is_refused(tmp_path):
    port = tmp_path / "port"
    port.mkdir()
    (port / "afu_id").write_text("00")
    (tmp_path / "compat_id").write_text("f3c9941350814aadbced07eb84a6d0bb")
    (tmp_path / "dfl-fme.0").write_text("")
    image = tmp_path / "a.gbs"
    image.write_bytes(gbs.build("f3c9941350814aadbced07eb84a6d0bb", "11" * 16, b"\1" * 8))
    with pytest.raises(errors.UpdateFailed, match="not a character device"):
        dfl_pr.program(str(tmp_path), str(tmp_path / "dfl-fme.0"), str(port),
                       str(tmp_path / "compat_id"), str(image), "dev")


def test_ioctl_request_points_at_the_bitstream_in_the_mapped_file(tmp_path, monkeypatch):
    """The kernel copies ``buffer_size`` bytes from ``buffer_address``: exactly the bitstream.

    The image is mapped, not read into memory, so the agent's RSS stays flat in its size.
    """
    payload = bytes(range(256)) * 40 + b"tail"
    path = tmp_path / "afu.gbs"
    path.write_bytes(gbs.build("f3c99413-5081-4aad-bced-07eb84a6d0bb",
                               "d8424dc4-a4a3-c413-f89e-433683f9040b", payload))
    image = gbs.parse(str(path), "dev")
    node = tmp_path / "dfl-fme.0"
    node.write_bytes(b"")
    seen = {}

    def fake_ioctl(fd, request, req):
        # Stand-in for the kernel (it cannot run here): read what it would copy.
        seen["request"] = request
        seen["port"] = req.port_id
        seen["bytes"] = ctypes.string_at(req.buffer_address, req.buffer_size)

    monkeypatch.setattr(dfl_pr.fcntl, "ioctl", fake_ioctl)
    with open(path, "rb") as f:
        dfl_pr._ioctl(str(node), 3, f, image, "dev")
    assert seen == {"request": dfl_pr.DFL_FPGA_FME_PORT_PR, "port": 3, "bytes": payload}
