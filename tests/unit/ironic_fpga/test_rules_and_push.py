"""Operator rules, capabilities helpers and the accel_api push (against a loopback server)."""

import http.server
import json
import threading

from oslo_config import cfg

import accel_hosts
from accel_hosts import sysfs
from ipa_fpga.discovery import discover
from ironic_fpga.conf import inspection as conf_inspection
from ironic_fpga.inspection import plan as hook
from ironic_fpga.inspection import push, rules
from tests.unit import base


class _Recorder(http.server.BaseHTTPRequestHandler):
    calls = []
    status = 200

    def do_PUT(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls.append((self.path, self.headers.get("Authorization"), json.loads(body)))
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def _conf(url, **auth):
    conf = cfg.ConfigOpts()
    conf_inspection.register_opts(conf)
    conf([], project="test")
    conf.set_override("url", url, group="accel_api")
    for key, value in auth.items():
        conf.set_override(key, value, group="accel_api")
    return conf


BAD_RULES_ARE_NAMED_CASES = [
    ({"rules": [{"match": {"colour": "red"}, "traits": ["CUSTOM_A"]}]}, "cannot match on"),
    ({"rules": [{"match": {"model": "x"}, "traits": ["lower"]}]}, "not a valid trait"),
    ({"rules": [{"match": {"model": "x"}, "capabilities": {"a": "b,c:d"}}]}, "characters"),
    ({"rules": [{"match": {"model": "x"}}]}, "neither traits nor capabilities"),
    ({"rules": [{"match": {}, "traits": ["CUSTOM_A"]}]}, "non-empty"),
    ({"rules": "no"}, "'rules' list"),
]


class TestRulesAndPush(base.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        root = str(cls.class_tmp_dir("accel-mixed-"))
        sysfs.build(accel_hosts.load("mixed"), root)
        cls.doc = discover(root=root)

    def setUp(self):
        super().setUp()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        _Recorder.calls = []
        _Recorder.status = 200
        self.accel_api = f"http://127.0.0.1:{server.server_address[1]}"

    def test_rules_match_vendor_model_firmware(self):
        parsed = rules.parse({"rules": [
            {"name": "n3000", "match": {"model": "n3000", "vendor_id": ["0x8086", "0x1234"],
                                        "firmware": {"component": "max10_bmc_nios",
                                                     "version": "D.2.1.24"}},
             "traits": ["CUSTOM_A"], "capabilities": {"fpga_nic": True}},
            {"name": "none", "match": {"model": "U280"}, "traits": ["CUSTOM_B"]},
            {"name": "afu", "match": {"afu_id": "D8424DC4A4A3C413F89E433683F9040B"},
             "capabilities": {"afu": "nlb"}},
        ]})
        traits, caps, names = rules.apply(parsed, self.doc)
        self.assertEqual(traits, ["CUSTOM_A"])
        self.assertEqual(caps, {"fpga_nic": "true", "afu": "nlb"})
        self.assertEqual(names, ["n3000", "afu"])

    def test_bad_rules_are_named(self):
        for bad, message in BAD_RULES_ARE_NAMED_CASES:
            with self.subTest(bad=bad, message=message):
                with self.assertRaisesRegex(rules.RulesError, message):
                    rules.parse(bad)

    def test_rules_file_errors(self):
        tmp_path = self.tmp_dir()
        path = tmp_path / "r.yaml"
        path.write_text("rules: [\n")
        with self.assertRaisesRegex(rules.RulesError, "not valid YAML"):
            rules.load(str(path))
        with self.assertRaisesRegex(rules.RulesError, "cannot read"):
            rules.load(str(tmp_path / "missing.yaml"))

    def test_capabilities_round_trip_and_property_shape(self):
        caps = hook.parse_capabilities("boot_mode:uefi,accel_fpga_count:3")
        self.assertEqual(caps, {"boot_mode": "uefi", "accel_fpga_count": "3"})
        self.assertEqual(hook.format_capabilities(caps), "boot_mode:uefi,accel_fpga_count:3")
        props = hook.accelerators_property(self.doc)
        for item in props:
            self.assertLessEqual(
                {"vendor_id", "device_id", "type", "device_info", "pci_address"}, set(item))
            self.assertFalse(item["vendor_id"].startswith("0x"))
        self.assertEqual(hook.type_capabilities(self.doc)["accel_gpu_count"], "3")
        traits = hook.inventory_traits(self.doc, ["CUSTOM_RULE"])
        self.assertLess(traits.index("CUSTOM_RULE"), traits.index(
            "CUSTOM_FPGA_REGION_INTEL_F3C9941350814AADBCED07EB84A6D0BB"))

    def test_push_puts_inventory_with_http_basic(self):
        conf = _conf(self.accel_api, auth_type="http_basic")
        from keystoneauth1 import loading as ks_loading

        conf.register_opts(ks_loading.get_auth_plugin_conf_options("http_basic"), group="accel_api")
        conf.set_override("username", "ironic", group="accel_api")
        conf.set_override("password", "s3cret", group="accel_api")
        self.assertEqual(push.push_inventory(conf, "mixed.example.org", self.doc), 200)
        path, auth, body = _Recorder.calls[0]
        self.assertEqual(path, "/v2/hosts/mixed.example.org/inventory")
        self.assertTrue(auth.startswith("Basic "))
        self.assertEqual(body, self.doc)

    def test_push_failures_are_clear(self):
        _Recorder.status = 409
        with self.assertRaisesRegex(push.PushError, "HTTP 409"):
            push.push_inventory(_conf(self.accel_api), "h", self.doc)
        with self.assertRaisesRegex(push.PushError, "cannot reach accel_api"):
            push.push_inventory(_conf("http://127.0.0.1:9"), "h", self.doc)

    def test_sample_config_is_current(self):
        tmp_path = self.tmp_dir()
        import subprocess
        import sys
        from pathlib import Path

        top = Path(__file__).resolve().parents[3]
        for name in ("ironic-fpga", "ipa-fpga"):
            out = tmp_path / f"{name}.sample"
            gen = Path(sys.executable).with_name("oslo-config-generator")
            subprocess.run([str(gen), "--config-file",
                            str(top / f"etc/oslo-config-generator/{name}.conf"),
                            "--output-file", str(out)], check=True, cwd=top)
            self.assertEqual(
                out.read_text(),
                (top / f"etc/{name}.conf.sample").read_text(),
                f"etc/{name}.conf.sample is stale: run tox -e genconfig")
