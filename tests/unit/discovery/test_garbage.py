"""Damaged sysfs trees: every problem is a warning in a valid document, never a traceback."""

import os
import shutil
import tempfile

import pytest

import accel_hosts
from accel_contract import inventory as contract
from accel_hosts import sysfs
from ipa_fpga import drivers
from ipa_fpga.discovery import DiscoveryError, discover

SMALL = {
    "name": "small", "hostname": "small.example", "system_uuid": "5",
    "cards": [
        {"kind": "qat_4xxx", "address": "0000:6b:00.0", "vfs": 3},
        {"kind": "h100_sxm5", "address": "0000:18:00.0"},
        {"kind": "n6000", "address": "0000:e1:00.0"},
    ],
}


@pytest.fixture
def small(tmp_path):
    host = accel_hosts.from_dict(SMALL)
    root = str(tmp_path / "root")
    sysfs.build(host, root)
    return host, root


def fn_path(root, address, name):
    return os.path.join(root, "sys/bus/pci/devices", address, name)


def codes(doc, device=None):
    if device is None:
        return [(w["code"], w["path"]) for w in doc["warnings"]]
    dev = next(d for d in doc["devices"] if d["id"] == device)
    return [(w["code"], w["path"]) for w in dev["warnings"]]


def ids(doc):
    return [d["id"] for d in doc["devices"]]


def test_clean_small_host(small):
    doc = contract.validate(discover(small[1]))
    assert ids(doc) == ["0000:18:00.0", "0000:6b:00.0", "0000:e1:00.0"]
    assert doc["warnings"] == []


@pytest.mark.parametrize("content", ["zzzz\n", "0x80\n", "0x8086 extra\n", "\n", ""])
def test_non_hex_or_truncated_vendor(small, content):
    _, root = small
    with open(fn_path(root, "0000:18:00.0", "vendor"), "w") as f:
        f.write(content)
    doc = contract.validate(discover(root))
    assert ids(doc) == ["0000:6b:00.0", "0000:e1:00.0"]  # the damaged function is skipped
    assert ("bad_value", "/sys/bus/pci/devices/0000:18:00.0/vendor") in codes(doc)


def test_truncated_value_without_newline(small):
    _, root = small
    with open(fn_path(root, "0000:6b:00.0", "class"), "w") as f:
        f.write("0x0b40")
    doc = contract.validate(discover(root))
    path = "/sys/bus/pci/devices/0000:6b:00.0/class"
    assert ("truncated", path) in codes(doc)
    assert ("bad_value", path) in codes(doc)
    assert "0000:6b:00.0" not in ids(doc)


def test_truncated_config_header(small):
    _, root = small
    with open(fn_path(root, "0000:18:00.0", "config"), "wb") as f:
        f.write(b"\xde\x10\x30\x23")
    doc = contract.validate(discover(root))
    assert ("truncated", "/sys/bus/pci/devices/0000:18:00.0/config") in codes(doc)
    gpu = next(d for d in doc["devices"] if d["id"] == "0000:18:00.0")
    assert gpu["functions"][0]["revision"] is None


def test_dangling_virtfn_and_bus_entry(small):
    _, root = small
    link = fn_path(root, "0000:6b:00.0", "virtfn1")
    os.unlink(link)
    os.symlink("../0000:6b:09.0", link)
    os.symlink("../../../devices/pci0000:99/0000:99:00.0",
               os.path.join(root, "sys/bus/pci/devices/0000:99:00.0"))
    doc = contract.validate(discover(root))
    assert ("dangling_symlink", "/sys/bus/pci/devices/0000:6b:00.0/virtfn1") in codes(doc)
    assert ("dangling_symlink", "/sys/bus/pci/devices/0000:99:00.0") in codes(doc)
    qat = next(d for d in doc["devices"] if d["id"] == "0000:6b:00.0")
    # The VF whose virtfn link broke is still found through its own physfn link.
    assert qat["functions"][0]["sriov"]["vfs"] == ["0000:6b:00.1", "0000:6b:00.2",
                                                   "0000:6b:00.3"]


def test_directory_where_a_file_should_be(small):
    _, root = small
    path = fn_path(root, "0000:18:00.0", "numa_node")
    os.unlink(path)
    os.mkdir(path)
    doc = contract.validate(discover(root))
    assert ("not_a_file", "/sys/bus/pci/devices/0000:18:00.0/numa_node") in codes(doc)
    gpu = next(d for d in doc["devices"] if d["id"] == "0000:18:00.0")
    assert gpu["numa_node"] is None


def test_bad_numa_and_sriov_values(small):
    _, root = small
    with open(fn_path(root, "0000:18:00.0", "numa_node"), "w") as f:
        f.write("banana\n")
    with open(fn_path(root, "0000:6b:00.0", "sriov_totalvfs"), "w") as f:
        f.write("-\n")
    doc = contract.validate(discover(root))
    assert ("bad_value", "/sys/bus/pci/devices/0000:18:00.0/numa_node") in codes(doc)
    assert ("bad_value", "/sys/bus/pci/devices/0000:6b:00.0/sriov_totalvfs") in codes(doc)


def test_permission_denied(small):
    """Run as an unprivileged user (root ignores file modes) on a world-readable copy."""
    _, built = small
    base = tempfile.mkdtemp(prefix="accel-perm-")
    try:
        os.chmod(base, 0o755)
        root = os.path.join(base, "root")
        shutil.copytree(built, root, symlinks=True)
        os.chmod(fn_path(root, "0000:18:00.0", "numa_node"), 0o000)
        os.chmod(os.path.join(root, "proc/driver/nvidia/gpus/0000:18:00.0/information"), 0o000)
        discover(root)  # warm every lazy import and plugin load first
        if os.geteuid() == 0:
            os.seteuid(65534)
        try:
            doc = discover(root)
        finally:
            if os.getuid() == 0:
                os.seteuid(0)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    contract.validate(doc)
    assert ("permission_denied", "/sys/bus/pci/devices/0000:18:00.0/numa_node") in codes(doc)
    assert ("permission_denied", "/proc/driver/nvidia/gpus/0000:18:00.0/information") in codes(
        doc, "0000:18:00.0")


def test_dfl_damage_is_a_device_warning(small):
    host, root = small
    card = host.card("0000:e1:00.0")
    bmc = sysfs.bmc_dir(host, card, root)
    with open(os.path.join(bmc, "bmcfw_version"), "w") as f:
        f.write("garbage\n")
    doc = contract.validate(discover(root))
    dev = next(d for d in doc["devices"] if d["id"] == "0000:e1:00.0")
    assert [w["code"] for w in dev["warnings"]] == ["bad_value"]
    assert "max10_bmc_nios" not in [f["component"] for f in dev["firmware"]]
    shutil.rmtree(fn_path(root, "0000:e1:00.0", "fpga_region"))
    doc = contract.validate(discover(root))
    dev = next(d for d in doc["devices"] if d["id"] == "0000:e1:00.0")
    assert [w["code"] for w in dev["warnings"]] == ["no_fme"]
    assert [d["kind"] for d in dev["deployables"]] == ["fpga", "region"]


class _Exploding:
    name = "nvidia"

    def describe(self, ctx):
        ctx.device.firmware.append({"half": "written"})
        raise RuntimeError("boom")


def test_driver_failure_becomes_a_warning(small, monkeypatch):
    real_get = drivers.get
    monkeypatch.setattr(drivers, "get",
                        lambda name: _Exploding() if name == "nvidia" else real_get(name))
    doc = contract.validate(discover(small[1]))
    gpu = next(d for d in doc["devices"] if d["id"] == "0000:18:00.0")
    assert gpu["warnings"][0]["code"] == "driver_failed"
    assert "RuntimeError: boom" in gpu["warnings"][0]["message"]
    assert gpu["firmware"] == []  # nothing half-written survives
    assert [(d["kind"], d["resource_class"]) for d in gpu["deployables"]] == [
        ("accelerator", "PGPU")]
    assert ids(doc) == ["0000:18:00.0", "0000:6b:00.0", "0000:e1:00.0"]


def test_missing_plugin_falls_back_to_generic(small, monkeypatch):
    real_get = drivers.get
    monkeypatch.setattr(drivers, "get", lambda name: None if name == "intel_qat" else
                        real_get(name))
    doc = contract.validate(discover(small[1]))
    qat = next(d for d in doc["devices"] if d["id"] == "0000:6b:00.0")
    assert qat["warnings"][0]["code"] == "driver_not_found"
    assert [d["resource_class"] for d in qat["deployables"]] == [None] + ["CUSTOM_QAT"] * 3


def test_missing_or_unusable_root(tmp_path):
    with pytest.raises(DiscoveryError, match="does not exist"):
        discover(str(tmp_path / "nope"))
    with pytest.raises(DiscoveryError, match="no PCI bus"):
        discover(str(tmp_path))
    (tmp_path / "file").write_text("x")
    with pytest.raises(DiscoveryError):
        discover(str(tmp_path / "file"))


def test_not_an_address_entry(small):
    _, root = small
    os.mkdir(os.path.join(root, "sys/bus/pci/devices/garbage"))
    doc = contract.validate(discover(root))
    assert ("bad_entry", "/sys/bus/pci/devices/garbage") in codes(doc)
