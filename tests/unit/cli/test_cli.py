"""The installed console scripts, run as a user would run them."""

import os
import subprocess
import sys

import pytest

from accel_contract import inventory as contract
from tests.discovery_helpers import built_root

BIN = os.path.dirname(sys.executable)


def run(tool, *args, timeout=60):
    path = os.path.join(BIN, tool)
    if not os.path.exists(path):
        pytest.fail(f"{tool} is not installed in {BIN}: run tools/venv.sh")
    return subprocess.run([path, *args], capture_output=True, text=True, timeout=timeout)


def test_discover_json_validates():
    proc = run("accel-discover", "--root", built_root("host-a"), "--format", "json",
               "--hostname", "node-7")
    assert proc.returncode == 0, proc.stderr
    doc = contract.loads(proc.stdout)
    assert doc["host"]["hostname"] == "node-7"
    assert [d["id"] for d in doc["devices"]] == ["0000:3f:00.0", "0000:b3:00.0"]
    assert proc.stderr == ""


def test_discover_tree():
    proc = run("accel-discover", "--root", built_root("host-c"), "--format", "tree", "--traits")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("host-c.example.org: 6 accelerator devices, 43 deployables, 0 warnings")
    assert "+-[0000:17:00.0] FPGA Xilinx Corporation U250  numa=0 driver=xclmgmt " \
           "plugin=xilinx_xrt" in out
    assert "region 0000:17:00.0/region0  FPGA x1 -> 0000:17:00.1 (xocl)" in out
    assert "sr-iov: 0000:6b:00.0 16/16 VFs" in out
    assert "vf 0000:6b:00.1  CUSTOM_QAT x1 -> 0000:6b:00.1 (vfio-pci)" in out
    assert "traits: CUSTOM_CRYPTO_INTEL CUSTOM_CRYPTO_INTEL_4XXX CUSTOM_QAT CUSTOM_QAT_SYM" in out
    assert "firmware: xrt_shell=" in out


def test_discover_tree_shows_firmware_and_warnings(tmp_path):
    root = tmp_path / "a"
    proc = run("accel-fixture", "build", "--host", "host-a", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    (root / "sys/bus/pci/devices/0000:b3:00.0/vendor").write_text("0xZZZZ\n")
    proc = run("accel-discover", "--root", str(root), "--format", "tree")
    assert proc.returncode == 0, proc.stderr
    assert "firmware: max10_bmc_nios=D.2.1.24 max10_bmc_build=D.2.0.7 " \
           "fpga_image=0x2300011001030f" in proc.stdout
    assert "warning bad_value: vendor is '0xZZZZ'" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("make", ["missing", "empty", "file"])
def test_bad_root_is_one_line_exit_2(tmp_path, make):
    root = tmp_path / "root"
    if make == "empty":
        root.mkdir()
    elif make == "file":
        root.write_text("x")
    proc = run("accel-discover", "--root", str(root))
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("accel-discover: error: ")


def test_unreadable_root_as_unprivileged_user(tmp_path):
    if os.geteuid() != 0:
        root = tmp_path / "locked"
        root.mkdir(mode=0o000)
        proc = run("accel-discover", "--root", str(root))
        root.chmod(0o755)
    else:
        root = tmp_path / "locked"
        root.mkdir(mode=0o000)
        proc = subprocess.run(
            [sys.executable, "-c",
             "import os, sys; from ipa_fpga.cli.discover import main; os.setuid(65534); "
             "sys.exit(main(['--root', sys.argv[1]]))", str(root)],
            capture_output=True, text=True, timeout=60, cwd=os.getcwd())
        root.chmod(0o755)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().startswith("accel-discover: error:")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_bad_format_is_a_usage_error():
    proc = run("accel-discover", "--format", "xml")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


def test_fixture_cli(tmp_path):
    proc = run("accel-fixture", "list")
    assert proc.stdout.split() == ["example", "host-a", "host-b", "host-c", "host-d", "mixed"]
    proc = run("accel-fixture", "build", "--host", "large:120", "--root", str(tmp_path / "l"))
    assert proc.returncode == 0 and "PCI functions" in proc.stdout
    proc = run("accel-fixture", "build", "--host", "nope", "--root", str(tmp_path / "x"))
    assert proc.returncode == 2 and proc.stderr.startswith("accel-fixture: error: no host")
    (tmp_path / "f").write_text("x")
    proc = run("accel-fixture", "build", "--host", "mixed", "--root", str(tmp_path / "f"))
    assert proc.returncode == 2 and "not a directory" in proc.stderr


def test_demo_prints_the_discovery_tree():
    proc = run("accel-demo", "--host", "host-b")
    assert proc.returncode == 0, proc.stderr
    assert "== step 1: Build sample host fixtures" in proc.stdout
    assert "host-b.example.org: 12 accelerator devices" in proc.stdout
    assert "gpu 0000:18:00.0  PGPU x1 -> 0000:18:00.0 (nvidia)" in proc.stdout
