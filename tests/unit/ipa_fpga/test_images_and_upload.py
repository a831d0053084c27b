"""Image fetch limits and the firmware-upload protocol's failure paths."""

import os

from ipa_fpga import errors, images
from ipa_fpga.flash.fw_upload import FwUpload
from tests.unit.ipa_fpga import simulated
from tests.unit.ipa_fpga.simulated import sha256


def _fw_dir(tmp_path, status="idle"):
    d = tmp_path / "secure-update0"
    d.mkdir()
    for name, value in {"loading": "0", "status": status, "error": "", "remaining_size": "0",
                        "data": "", "cancel": ""}.items():
        (d / name).write_text(value)
    return d


CHECKSUM_FORMS_CASES = [
    ("abc", "sha256", "64 hex digits"),
    ("0" * 64, "md5", "not sha256 or sha512"),
    ("", "sha256", "required"),
]


class TestImagesAndUpload(simulated.FilesTestCase):
    def test_fetch_verifies_and_cleans_up(self):
        tmp_path = self.tmp_dir()
        data = os.urandom(3 << 20)
        url = self.files.add("blob", data)
        with images.fetch(url, sha256(data), "sha256", dest_dir=str(tmp_path)) as image:
            self.assertEqual(image.size, len(data))
            with open(image.path, "rb") as f:
                self.assertEqual(f.read(), data)
        self.assertEqual(os.listdir(tmp_path), [])
        with self.assertRaisesRegex(errors.ImageError, "over the 1048576 byte limit"):
            images.fetch(url, sha256(data), "sha256", max_bytes=1 << 20, dest_dir=str(tmp_path))
        with self.assertRaisesRegex(errors.ImageError, "HTTP 404"):
            images.fetch(url + "-missing", sha256(data), "sha256", dest_dir=str(tmp_path))
        self.assertEqual(os.listdir(tmp_path), [])

    def test_checksum_forms(self):
        for checksum, ctype, message in CHECKSUM_FORMS_CASES:
            with self.subTest(checksum=checksum, ctype=ctype, message=message):
                with self.assertRaisesRegex(errors.ImageError, message):
                    images.parse_checksum(checksum, ctype)

    def test_credentials_never_shown(self):
        url = self.files.url.replace("http://", "http://user:pw@") + "/none"
        with self.assertRaises(errors.ImageError) as info:
            images.fetch(url, "0" * 64, "sha256")
        self.assertNotIn("pw", str(info.exception))

    def test_busy_device_is_refused(self):
        tmp_path = self.tmp_dir()
        d = _fw_dir(tmp_path, status="programming")
        image = tmp_path / "img"
        image.write_bytes(b"x" * 10)
        with self.assertRaisesRegex(errors.UpdateFailed, "busy"):
            FwUpload(str(d), "0000:3f:00.0").upload(str(image), timeout=1)

    def test_timeout_cancels(self):
        tmp_path = self.tmp_dir()
        d = _fw_dir(tmp_path)
        image = tmp_path / "img"
        image.write_bytes(b"x" * 10)
        # Nobody answers (no kernel): status flips to "receiving" and stays there.
        up = FwUpload(str(d), "0000:3f:00.0", poll=0.01, start_grace=0.05)
        orig = up._write

        def write(name, value):
            orig(name, value)
            if name == "loading" and value == "0":
                (d / "status").write_text("receiving")

        up._write = write
        with self.assertRaisesRegex(errors.UpdateFailed, "cancelled"):
            up.upload(str(image), timeout=0.3)
        self.assertEqual((d / "cancel").read_text(), "1")
