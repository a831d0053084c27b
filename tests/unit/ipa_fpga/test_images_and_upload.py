"""Image fetch limits and the firmware-upload protocol's failure paths."""

import os

import pytest

from ipa_fpga import errors, images
from ipa_fpga.flash.fw_upload import FwUpload
from tests.unit.ipa_fpga.conftest import sha256


def test_fetch_verifies_and_cleans_up(files, tmp_path):
    data = os.urandom(3 << 20)
    url = files.add("blob", data)
    with images.fetch(url, sha256(data), "sha256", dest_dir=str(tmp_path)) as image:
        assert image.size == len(data)
        with open(image.path, "rb") as f:
            assert f.read() == data
    assert os.listdir(tmp_path) == []
    with pytest.raises(errors.ImageError, match="over the 1048576 byte limit"):
        images.fetch(url, sha256(data), "sha256", max_bytes=1 << 20, dest_dir=str(tmp_path))
    with pytest.raises(errors.ImageError, match="HTTP 404"):
        images.fetch(url + "-missing", sha256(data), "sha256", dest_dir=str(tmp_path))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("checksum, ctype, message", [
    ("abc", "sha256", "64 hex digits"),
    ("0" * 64, "md5", "not sha256 or sha512"),
    ("", "sha256", "required"),
])
def test_checksum_forms(checksum, ctype, message):
    with pytest.raises(errors.ImageError, match=message):
        images.parse_checksum(checksum, ctype)


def test_credentials_never_shown(files):
    url = files.url.replace("http://", "http://user:pw@") + "/none"
    with pytest.raises(errors.ImageError) as info:
        images.fetch(url, "0" * 64, "sha256")
    assert "pw" not in str(info.value)


def _fw_dir(tmp_path, status="idle"):
    d = tmp_path / "secure-update0"
    d.mkdir()
    for name, value in {"loading": "0", "status": status, "error": "", "remaining_size": "0",
                        "data": "", "cancel": ""}.items():
        (d / name).write_text(value)
    return d


def test_busy_device_is_refused(tmp_path):
    d = _fw_dir(tmp_path, status="programming")
    image = tmp_path / "img"
    image.write_bytes(b"x" * 10)
    with pytest.raises(errors.UpdateFailed, match="busy"):
        FwUpload(str(d), "0000:3f:00.0").upload(str(image), timeout=1)


def test_timeout_cancels(tmp_path):
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
    with pytest.raises(errors.UpdateFailed, match="cancelled"):
        up.upload(str(image), timeout=0.3)
    assert (d / "cancel").read_text() == "1"
