"""The installed console scripts, run as a user would run them."""

import os
import subprocess
import sys

import accel_hosts
from accel_contract import inventory as contract
from tests.discovery_helpers import built_root
from tests.unit import base

BIN = os.path.dirname(sys.executable)


def run(tool, *args, timeout=60):
    path = os.path.join(BIN, tool)
    if not os.path.exists(path):
        raise AssertionError(f"{tool} is not installed in {BIN}: run tools/venv.sh")
    return subprocess.run([path, *args], capture_output=True, text=True, timeout=timeout)


BAD_ROOT_IS_ONE_LINE_EXIT_2_CASES = ["missing", "empty", "file"]


class TestCli(base.TestCase):
    def test_discover_json_validates(self):
        proc = run("accel-discover", "--root", built_root("host-a"), "--format", "json",
                   "--hostname", "node-7")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        doc = contract.loads(proc.stdout)
        self.assertEqual(doc["host"]["hostname"], "node-7")
        self.assertEqual([d["id"] for d in doc["devices"]], ["0000:3f:00.0", "0000:b3:00.0"])
        self.assertEqual(proc.stderr, "")

    def test_discover_tree(self):
        proc = run("accel-discover", "--root", built_root("host-c"), "--format", "tree", "--traits")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = proc.stdout
        self.assertTrue(
            out.startswith("host-c.example.org: 6 accelerator devices, 43 deployables, 0 warnings"))
        self.assertIn("+-[0000:17:00.0] FPGA Xilinx Corporation U250  numa=0 driver=xclmgmt " \
               "plugin=xilinx_xrt", out)
        self.assertIn("region 0000:17:00.0/region0  FPGA x1 -> 0000:17:00.1 (xocl)", out)
        self.assertIn("sr-iov: 0000:6b:00.0 16/16 VFs", out)
        self.assertIn("vf 0000:6b:00.1  CUSTOM_QAT x1 -> 0000:6b:00.1 (vfio-pci)", out)
        self.assertIn(
            "traits: CUSTOM_CRYPTO_INTEL CUSTOM_CRYPTO_INTEL_4XXX CUSTOM_QAT CUSTOM_QAT_SYM", out)
        self.assertIn("firmware: xrt_shell=", out)

    def test_discover_tree_shows_firmware_and_warnings(self):
        tmp_path = self.tmp_dir()
        root = tmp_path / "a"
        proc = run("accel-fixture", "build", "--host", "host-a", "--root", str(root))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        (root / "sys/bus/pci/devices/0000:b3:00.0/vendor").write_text("0xZZZZ\n")
        proc = run("accel-discover", "--root", str(root), "--format", "tree")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("firmware: max10_bmc_nios=D.2.1.24 max10_bmc_build=D.2.0.7 " \
               "fpga_image=0x2300011001030f", proc.stdout)
        self.assertIn("warning bad_value: vendor is '0xZZZZ'", proc.stdout)
        self.assertNotIn("Traceback", proc.stdout + proc.stderr)

    def test_bad_root_is_one_line_exit_2(self):
        for make in BAD_ROOT_IS_ONE_LINE_EXIT_2_CASES:
            with self.subTest(make=make):
                tmp_path = self.tmp_dir()
                root = tmp_path / "root"
                if make == "empty":
                    root.mkdir()
                elif make == "file":
                    root.write_text("x")
                proc = run("accel-discover", "--root", str(root))
                self.assertEqual(proc.returncode, 2)
                self.assertEqual(proc.stdout, "")
                lines = proc.stderr.strip().splitlines()
                self.assertEqual(len(lines), 1)
                self.assertTrue(lines[0].startswith("accel-discover: error: "))

    def test_unreadable_root_as_unprivileged_user(self):
        tmp_path = self.tmp_dir()
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
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertTrue(proc.stderr.strip().startswith("accel-discover: error:"))
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1)

    def test_bad_format_is_a_usage_error(self):
        proc = run("accel-discover", "--format", "xml")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("invalid choice", proc.stderr)

    def test_fixture_cli(self):
        tmp_path = self.tmp_dir()
        proc = run("accel-fixture", "list")
        self.assertEqual(proc.stdout.split(), accel_hosts.names())
        proc = run("accel-fixture", "build", "--host", "large:120", "--root", str(tmp_path / "l"))
        self.assertEqual(proc.returncode, 0)
        self.assertIn("PCI functions", proc.stdout)
        proc = run("accel-fixture", "build", "--host", "nope", "--root", str(tmp_path / "x"))
        self.assertEqual(proc.returncode, 2)
        self.assertTrue(proc.stderr.startswith("accel-fixture: error: no host"))
        (tmp_path / "f").write_text("x")
        proc = run("accel-fixture", "build", "--host", "mixed", "--root", str(tmp_path / "f"))
        self.assertEqual(proc.returncode, 2)
        self.assertIn("not a directory", proc.stderr)

    def test_demo_prints_the_discovery_tree(self):
        proc = run("accel-demo", "--host", "host-b", timeout=600)  # a hang guard, not a speed test
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("== step 1: Build sample host fixtures", proc.stdout)
        self.assertIn("host-b.example.org: 12 accelerator devices", proc.stdout)
        self.assertIn("gpu 0000:18:00.0  PGPU x1 -> 0000:18:00.0 (nvidia)", proc.stdout)
