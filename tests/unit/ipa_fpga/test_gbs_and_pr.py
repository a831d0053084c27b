"""GBS header parsing, the PR ioctl ABI, and the simulator channel's guard."""

import ctypes
import struct

from ipa_fpga import errors
from ipa_fpga.program import dfl_pr, gbs
from tests.unit import base

BAD_GBS_IS_REFUSED_CASES = [
    (b"not a gbs at all", "GBS GUID missing"),
    (gbs.GBS_GUID + struct.pack("<I", 0), "out of range"),
    (gbs.GBS_GUID + struct.pack("<I", 5) + b"nope!" + b"\0" * 10, "not the expected JSON"),
    (gbs.GBS_GUID + struct.pack("<I", 2) + b"{}" + b"\0", "not the expected JSON"),
    (gbs.build("f3c9941350814aadbced07eb84a6d0bb", "00", b""), "no bitstream"),
]


class TestGbsAndPr(base.TestCase):
    def test_ioctl_abi_matches_linux_uapi(self):
        self.assertEqual(dfl_pr.DFL_FPGA_FME_PORT_PR, 0xB680)
        self.assertEqual(ctypes.sizeof(dfl_pr.DflFpgaFmePortPr), 24)
        self.assertEqual(dfl_pr.DflFpgaFmePortPr.buffer_address.offset, 16)

    def test_gbs_round_trip(self):
        tmp_path = self.tmp_dir()
        path = tmp_path / "a.gbs"
        path.write_bytes(gbs.build("F3C99413-5081-4AAD-BCED-07EB84A6D0BB",
                                   "9aeffe5f-8457-0612-c53b-d9b6e31f1b8e", b"\x01" * 100))
        image = gbs.parse(str(path), "dev")
        self.assertEqual(image.interface_id, "f3c9941350814aadbced07eb84a6d0bb")
        self.assertEqual(image.afu_id, "9aeffe5f84570612c53bd9b6e31f1b8e")
        self.assertEqual(image.length, 100)

    def test_bad_gbs_is_refused(self):
        for blob, message in BAD_GBS_IS_REFUSED_CASES:
            with self.subTest(blob=blob, message=message):
                tmp_path = self.tmp_dir()
                path = tmp_path / "bad.gbs"
                path.write_bytes(blob)
                with self.assertRaisesRegex(errors.IncompatibleImage, message):
                    gbs.parse(str(path), "dev")

    def test_simulator_channel_never_on_real_root(self):
        tmp_path = self.tmp_dir()
        self.assertIsNone(dfl_pr.simulator_dir("/"))
        self.assertIsNone(dfl_pr.simulator_dir(str(tmp_path)))  # no simulator marker
        (tmp_path / dfl_pr.SIM_DIR).mkdir()
        (tmp_path / dfl_pr.SIM_DIR / "active").write_text("1")
        self.assertEqual(dfl_pr.simulator_dir(str(tmp_path)), str(tmp_path / dfl_pr.SIM_DIR))

    def test_plain_file_without_simulator_is_refused(self):
        tmp_path = self.tmp_dir()
        port = tmp_path / "port"
        port.mkdir()
        (port / "afu_id").write_text("00")
        (tmp_path / "compat_id").write_text("f3c9941350814aadbced07eb84a6d0bb")
        (tmp_path / "dfl-fme.0").write_text("")
        image = tmp_path / "a.gbs"
        image.write_bytes(gbs.build("f3c9941350814aadbced07eb84a6d0bb", "11" * 16, b"\1" * 8))
        with self.assertRaisesRegex(errors.UpdateFailed, "not a character device"):
            dfl_pr.program(str(tmp_path), str(tmp_path / "dfl-fme.0"), str(port),
                           str(tmp_path / "compat_id"), str(image), "dev")

    def test_ioctl_request_points_at_the_bitstream_in_the_mapped_file(self):
        """The kernel copies ``buffer_size`` bytes from ``buffer_address``: exactly the bitstream.

        The image is mapped, not read into memory, so the agent's RSS stays flat in its size.
        """
        tmp_path = self.tmp_dir()
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

        self.patch(dfl_pr.fcntl, "ioctl", fake_ioctl)
        with open(path, "rb") as f:
            dfl_pr._ioctl(str(node), 3, f, image, "dev")
        self.assertEqual(
            seen, {"request": dfl_pr.DFL_FPGA_FME_PORT_PR, "port": 3, "bytes": payload})
