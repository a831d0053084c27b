import os
import shutil
import struct
import subprocess

import pytest

import accel_hosts
from accel_hosts import sysfs
from tests.discovery_helpers import built_root

LSPCI = shutil.which("lspci")


@pytest.fixture(scope="module")
def host_a():
    return accel_hosts.load("host-a"), built_root("host-a")


def test_bus_links_are_relative_into_devices(host_a):
    host, root = host_a
    link = os.path.join(root, "sys/bus/pci/devices/0000:3f:00.0")
    assert os.readlink(link) == (
        "../../../devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/0000:3c:09.0/0000:3f:00.0")
    assert os.path.realpath(link) == os.path.realpath(sysfs.device_dir(host, "0000:3f:00.0", root))
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                assert not os.readlink(path).startswith("/"), path
                assert os.path.exists(path), f"dangling {path}"


def test_attribute_formats(host_a):
    host, root = host_a
    d = os.path.join(root, "sys/bus/pci/devices/0000:3f:00.0")

    def read(name):
        with open(os.path.join(d, name)) as f:
            return f.read()

    assert read("vendor") == "0x8086\n"
    assert read("device") == "0x0b30\n"
    assert read("class") == "0x120000\n"
    assert read("revision") == "0x00\n"
    assert read("numa_node") == "0\n"
    assert read("local_cpulist") == "0-31,64-95\n"
    assert read("current_link_speed") == "8.0 GT/s PCIe\n"
    assert read("max_link_width") == "8\n"
    assert os.readlink(os.path.join(d, "driver")) == "../../../../../../bus/pci/drivers/dfl-pci"
    assert os.readlink(os.path.join(d, "iommu_group")).endswith("kernel/iommu_groups/16")
    lines = read("resource").splitlines()
    assert len(lines) == 13 and all(len(x.split()) == 3 for x in lines)
    nic = os.path.join(root, "sys/bus/pci/devices/0000:3d:00.0")
    with open(os.path.join(nic, "sriov_vf_device")) as f:
        assert f.read() == "154c\n"
    with open(os.path.join(nic, "sriov_numvfs")) as f:
        assert f.read() == "8\n"
    assert os.readlink(os.path.join(nic, "virtfn7")) == "../0000:3d:02.7"
    vf = os.path.join(root, "sys/bus/pci/devices/0000:3d:02.7")
    assert os.readlink(os.path.join(vf, "physfn")) == "../0000:3d:00.0"
    assert not os.path.exists(os.path.join(vf, "sriov_totalvfs"))


def test_every_text_attribute_ends_with_newline(host_a):
    _, root = host_a
    base = os.path.join(root, "sys/devices")
    skip = {"config", "remove", "rescan", "reset", "data", "cancel", "bind", "unbind"}
    checked = 0
    for dirpath, _dirs, files in os.walk(base):
        for name in files:
            path = os.path.join(dirpath, name)
            if name in skip or os.path.islink(path) or os.path.getsize(path) == 0:
                continue
            with open(path, "rb") as f:
                assert f.read().endswith(b"\n"), path
            checked += 1
    assert checked > 500


def test_config_header_bytes(host_a):
    _, root = host_a
    with open(os.path.join(root, "sys/bus/pci/devices/0000:3d:00.0/config"), "rb") as f:
        cfg = f.read()
    assert len(cfg) == 256
    vendor, device = struct.unpack_from("<HH", cfg, 0)
    assert (vendor, device) == (0x8086, 0x0d58)
    assert cfg[8] == 0x02 and (cfg[0x0B], cfg[0x0A], cfg[0x09]) == (0x02, 0x00, 0x00)
    assert cfg[0x0E] == 0x80  # multi-function (00.0 and 00.1)
    assert struct.unpack_from("<HH", cfg, 0x2C) == (0x8086, 0x0001)
    with open(os.path.join(root, "sys/bus/pci/devices/0000:3b:00.0/config"), "rb") as f:
        bridge = f.read()
    assert bridge[0x0E] & 0x7F == 1  # type 1 header
    assert (bridge[0x18], bridge[0x19], bridge[0x1A]) == (0x3b, 0x3c, 0x43)


def test_dfl_xrt_nvidia_qat_files():
    host_a_model = accel_hosts.load("host-a")
    root = built_root("host-a")
    card = host_a_model.card("fpga1")
    with open(sysfs.compat_id_path(host_a_model, card, root)) as f:
        assert f.read() == "f3c9941350814aadbced07eb84a6d0bb\n"
    sec = sysfs.secure_update_dir(host_a_model, card, root)
    assert sorted(os.listdir(sec)) == ["cancel", "data", "error", "loading", "remaining_size",
                                       "status"]
    link = sysfs.secure_update_class_link(card, root)
    assert link.endswith("sys/class/firmware/secure-update1")
    assert os.path.samefile(link, sec)
    assert os.path.isfile(sysfs.dev_node(card, "fme", root))
    assert os.path.basename(sysfs.dev_node(card, "fme", root)) == "dfl-fme.1"
    with open(os.path.join(sysfs.fme_dir(host_a_model, card, root), "bitstream_id")) as f:
        assert f.read() == "0x2300011001030f\n"
    assert os.path.samefile(os.path.join(root, "sys/class/fpga_region/region3"),
                            sysfs.pr_region_dir(host_a_model, card, root))

    host_b = accel_hosts.load("host-b")
    root_b = built_root("host-b")
    info = open(sysfs.nvidia_information_path("0000:18:00.0", root_b)).read()
    assert "Video BIOS: \t 96.00.89.00.01\n" in info
    assert f"GPU UUID: \t {host_b.card('gpu0').nvidia.uuid}\n" in info
    assert os.path.isfile(os.path.join(root_b, "dev/nvidia7"))

    host_c = accel_hosts.load("host-c")
    root_c = built_root("host-c")
    mgmt = sysfs.device_dir(host_c, "0000:17:00.0", root_c)
    inst = host_c.card("fpga0").xrt.instance
    assert open(os.path.join(mgmt, f"rom.m.{inst}", "VBNV")).read() == (
        "xilinx_u250_gen3x16_xdma_shell_4_1\n")
    user = sysfs.device_dir(host_c, "0000:17:00.1", root_c)
    assert open(os.path.join(user, "xclbinuuid")).read() == (
        "5a1f3c2e-8d4b-4e6f-9a0b-1c2d3e4f5a6b\n")
    qat = sysfs.device_dir(host_c, "0000:e8:00.0", root_c)
    assert open(os.path.join(qat, "qat/cfg_services")).read() == "dc\n"
    assert open(os.path.join(qat, "qat/state")).read() == "up\n"


def test_cpulist_mask():
    assert sysfs.cpulist_to_mask("0-31,64-95", 128) == "00000000,ffffffff,00000000,ffffffff"
    assert sysfs.cpulist_to_mask("0-31,64-95") == "ffffffff,00000000,ffffffff"
    assert sysfs.cpulist_to_mask("0-3") == "0000000f"


@pytest.mark.skipif(LSPCI is None, reason="lspci (Debian package pciutils) is not installed")
@pytest.mark.parametrize("name", ["host-a", "host-c"])
def test_lspci_reads_the_fixture(name):
    root = built_root(name)
    out = subprocess.run(
        [LSPCI, "-A", "linux-sysfs", "-O", f"sysfs.path={root}/sys/bus/pci", "-vmm", "-nn", "-D",
         "-k"], capture_output=True, text=True, check=True, timeout=30).stdout
    records = [r for r in out.split("\n\n") if r.strip()]
    assert len(records) == len(accel_hosts.load(name).functions())
    if name == "host-a":
        fpga = next(r for r in records if "Slot:\t0000:3f:00.0" in r)
        assert "Device:\tDevice [0b30]" in fpga or "[0b30]" in fpga
        assert "Class:\tProcessing accelerators [1200]" in fpga
        assert "Driver:\tdfl-pci" in fpga
        assert "NUMANode:\t0" in fpga
        vf = next(r for r in records if "Slot:\t0000:3d:02.7" in r)
        assert "[154c]" in vf and "Driver:\tiavf" in vf
    else:
        user = next(r for r in records if "Slot:\t0000:17:00.1" in r)
        assert "[10ee]" in user and "[5005]" in user and "Driver:\txocl" in user
        assert "SDevice:" in user and "[000e]" in user
    tree = subprocess.run(
        [LSPCI, "-A", "linux-sysfs", "-O", f"sysfs.path={root}/sys/bus/pci", "-t"],
        capture_output=True, text=True, check=True, timeout=30).stdout
    if name == "host-a":
        assert "[0000:3a]---00.0-[3b-43]----00.0-[3c-43]" in tree
