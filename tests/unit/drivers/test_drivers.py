import os
import stat

import accel_hosts
from accel_contract import catalogue
from accel_contract import inventory as contract
from accel_hosts import sysfs
from ipa_fpga import drivers
from ipa_fpga.discovery import discover
from ipa_fpga.drivers import base, intel_dfl, nvidia, nvidia_smi
from tests.unit import base as test_base


def _fake_smi(folder, body):
    path = folder / "nvidia-smi"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


OTHER_ALVEO_FAMILIES_CASES = ["u280", "u55c"]


class TestDrivers(test_base.TestCase):
    def test_every_catalogue_plugin_is_an_installed_stevedore_driver(self):
        wanted = {e.plugin for e in catalogue.entries()}
        self.assertEqual(wanted, {"intel_dfl", "xilinx_xrt", "nvidia", "intel_gpu", "intel_qat",
                                  "generic"})
        for name in wanted:
            driver = drivers.get(name)
            self.assertIsInstance(driver, base.AcceleratorDriver, name)
            self.assertEqual(driver.name, name)
        self.assertIsNone(drivers.get("no-such-driver"))
        self.assertEqual(drivers.get("intel_dfl").operations, {"fw_upload", "fpga_pr"})

    def test_m10_versions_round_trip(self):
        self.assertEqual(intel_dfl.decode_m10_version("0x44020118"), "D.2.1.24")
        self.assertEqual(intel_dfl.decode_m10_version("0x44020007"), "D.2.0.7")
        self.assertIsNone(intel_dfl.decode_m10_version("0x00020007"))
        self.assertIsNone(intel_dfl.decode_m10_version("nope"))
        self.assertEqual(intel_dfl.dashed_guid("f3c9941350814aadbced07eb84a6d0bb"),
            "f3c99413-5081-4aad-bced-07eb84a6d0bb")

    def test_dfl_reading_helpers_match_the_builder(self):
        tmp_path = self.tmp_dir()
        host = accel_hosts.load("host-a")
        root = str(tmp_path)
        sysfs.build(host, root)
        card = host.card("fpga1")
        addr = card.primary.address
        self.assertTrue(
            os.path.samefile(intel_dfl.fme_dir(root, addr), sysfs.fme_dir(host, card, root)))
        self.assertTrue(
            os.path.samefile(intel_dfl.port_dirs(root, addr)[0], sysfs.port_dir(host, card, root)))
        self.assertTrue(os.path.samefile(intel_dfl.pr_region_dir(intel_dfl.fme_dir(root, addr)),
                                sysfs.pr_region_dir(host, card, root)))
        self.assertEqual(intel_dfl.fw_upload_devices(root, addr), [
            ("secure-update1", os.path.join(root, "sys/class/firmware/secure-update1"))])
        self.assertIsNone(intel_dfl.fme_dir(root, "0000:3d:00.0"))

    def test_nvidia_information_and_bus_ids(self):
        text = ("Model: \t\t NVIDIA H100 80GB HBM3\nGPU UUID: \t GPU-1234\n"
                "Video BIOS: \t 96.00.89.00.01\nBus Location: \t 0000:18:00.0\n")
        info = nvidia.parse_information(text)
        self.assertEqual(info["Video BIOS"], "96.00.89.00.01")
        self.assertEqual(info["GPU UUID"], "GPU-1234")
        self.assertEqual(nvidia.parse_information(None), {})
        self.assertEqual(nvidia.smi_bus_id("00000000:18:00.0"), "0000:18:00.0")
        self.assertEqual(nvidia.smi_bus_id("0000:DB:00.0"), "0000:db:00.0")

    def test_nvidia_smi_runs_with_an_argument_list(self):
        tmp_path = self.tmp_dir()
        # A stand-in for the root's nvidia-smi prints the documented CSV for the exact
        # arguments we pass and fails otherwise.
        _fake_smi(tmp_path / "usr/bin",
                  'if [ "$1" = "--query-gpu=index,pci.bus_id,mig.mode.current,mig.mode.pending" ]'
                  ' && [ "$2" = "--format=csv,noheader" ]; then\n'
                  'echo "0, 00000000:18:00.0, Disabled, Disabled"\n'
                  'echo "1, 00000000:DB:00.0, Enabled, Enabled"\n'
                  'echo "2, 00000000:DC:00.0, [N/A], [N/A]"\nelse exit 3; fi\n')
        view = nvidia_smi.View(str(tmp_path))
        self.assertIsNone(view.error)
        self.assertEqual({a: (r.index, r.mig_current) for a, r in view.gpus.items()}, {
            "0000:18:00.0": (0, "Disabled"), "0000:db:00.0": (1, "Enabled"),
            "0000:dc:00.0": (2, None)})

    def test_nvidia_smi_absent_failing_or_hanging(self):
        tmp_path = self.tmp_dir()
        view = nvidia_smi.View(str(tmp_path))
        self.assertTrue(view.missing)
        self.assertIn("not installed", view.error)
        self.assertEqual(view.gpus, {})
        _fake_smi(tmp_path / "usr/bin", "echo 'Failed to initialize NVML: Driver/library version "
                                        "mismatch'\nexit 9\n")
        view = nvidia_smi.View(str(tmp_path))
        self.assertFalse(view.missing)
        self.assertIn("version mismatch", view.error)
        _fake_smi(tmp_path / "usr/bin", "exec sleep 5\n")
        self.assertIn("did not answer within 0.2s",
                      nvidia_smi.View(str(tmp_path), timeout=0.2).error)
        (tmp_path / "usr/bin/nvidia-smi").chmod(0o777)  # writable by others: never run
        self.assertTrue(nvidia_smi.View(str(tmp_path)).missing)

    def test_path_nvidia_smi_is_not_consulted_for_a_fixture_root(self):
        tmp_path = self.tmp_dir()
        _fake_smi(tmp_path, "touch \"$0.ran\"; exit 1\n")
        self.set_env("PATH", str(tmp_path))
        host = accel_hosts.from_dict({"name": "g", "hostname": "g", "system_uuid": "1",
                                      "nvidia_smi": False, "cards": [
                                          {"kind": "h100_sxm5", "address": "0000:18:00.0"}]})
        root = tmp_path / "root"
        sysfs.build(host, str(root))
        doc = contract.validate(discover(str(root)))
        self.assertFalse((tmp_path / "nvidia-smi.ran").exists())
        self.assertEqual([w["code"] for w in doc["devices"][0]["warnings"]], ["no_nvidia_smi"])

    def test_qat_down_offers_no_service_traits(self):
        tmp_path = self.tmp_dir()
        host = accel_hosts.from_dict({"name": "q", "hostname": "q", "system_uuid": "1", "cards": [
            {"kind": "qat_4xxx", "address": "0000:6b:00.0", "vfs": 1,
             "qat": {"state": "down", "cfg_services": "sym;asym"}}]})
        sysfs.build(host, str(tmp_path))
        doc = contract.validate(discover(str(tmp_path)))
        dev = doc["devices"][0]
        self.assertEqual(dev["attributes"]["qat.state"], "down")
        self.assertEqual([w["code"] for w in dev["warnings"]], ["device_down"])
        self.assertNotIn("CUSTOM_QAT_SYM", dev["deployables"][1]["traits"])

    def test_xrt_without_user_pf(self):
        tmp_path = self.tmp_dir()
        host = accel_hosts.load("host-c")
        sysfs.build(host, str(tmp_path))
        os.unlink(tmp_path / "sys/bus/pci/devices/0000:17:00.1")
        doc = contract.validate(discover(str(tmp_path)))
        dev = next(d for d in doc["devices"] if d["id"] == "0000:17:00.0")
        self.assertEqual([w["code"] for w in dev["warnings"]], ["no_user_pf"])
        region = dev["deployables"][1]
        self.assertIsNone(region["resource_class"])
        self.assertEqual(region["attach_handles"], [])

    def test_other_alveo_families(self):
        for kind in OTHER_ALVEO_FAMILIES_CASES:
            with self.subTest(kind=kind):
                tmp_path = self.tmp_dir()
                host = accel_hosts.from_dict({
                    "name": "x", "hostname": "x", "system_uuid": "1",
                    "cards": [{"kind": kind, "address": "0000:17:00.0"}]})
                sysfs.build(host, str(tmp_path))
                doc = contract.validate(discover(str(tmp_path)))
                self.assertEqual(doc["devices"][0]["model"], kind.upper())
                self.assertEqual(
                    [f["role"] for f in doc["devices"][0]["functions"]], ["management", "user"])

    def test_dfl_port_vf_is_what_is_offered(self):
        tmp_path = self.tmp_dir()
        host = accel_hosts.from_dict({"name": "v", "hostname": "v", "system_uuid": "1", "cards": [
            {"kind": "n3000", "bus": "3a", "nic_vfs": 0, "fpga_vfs": 1}]})
        sysfs.build(host, str(tmp_path))
        doc = contract.validate(discover(str(tmp_path)))
        dev = doc["devices"][0]
        offered = [(d["id"], d["kind"], d["parent"], d["resource_class"],
                    [h["address"] for h in d["attach_handles"]]) for d in dev["deployables"][:4]]
        self.assertEqual(offered, [
            ("0000:3f:00.0", "fpga", None, None, []),
            ("0000:3f:00.0/region0", "region", "0000:3f:00.0", None, []),
            ("0000:3f:00.1", "vf", "0000:3f:00.0/region0", "FPGA", ["0000:3f:00.1"]),
            ("0000:3f:00.0/port0", "port", "0000:3f:00.0/region0", None, []),
        ])
        vf = dev["deployables"][2]
        self.assertIn("CUSTOM_FPGA_REGION_F3C9941350814AADBCED07EB84A6D0BB", vf["traits"])
        fns = {f["address"]: f for f in dev["functions"]}
        self.assertEqual(
            (fns["0000:3f:00.1"]["role"], fns["0000:3f:00.1"]["device_id"]), ("vf", "0x0b31"))
        self.assertEqual(dev["functions"][0]["sriov"]["vfs"], ["0000:3f:00.1"])
