"""Operator rules, capabilities helpers and the accel_api push (against a loopback server)."""

import http.server
import json
import threading

import pytest
from oslo_config import cfg

import accel_hosts
from accel_hosts import sysfs
from ipa_fpga.discovery import discover
from ironic_fpga.conf import inspection as conf_inspection
from ironic_fpga.inspection import plan as hook
from ironic_fpga.inspection import push, rules


@pytest.fixture(scope="module")
def doc(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("mixed"))
    sysfs.build(accel_hosts.load("mixed"), root)
    return discover(root=root)


def test_rules_match_vendor_model_firmware(doc):
    parsed = rules.parse({"rules": [
        {"name": "n3000", "match": {"model": "n3000", "vendor_id": ["0x8086", "0x1234"],
                                    "firmware": {"component": "max10_bmc_nios",
                                                 "version": "D.2.1.24"}},
         "traits": ["CUSTOM_A"], "capabilities": {"fpga_nic": True}},
        {"name": "none", "match": {"model": "U280"}, "traits": ["CUSTOM_B"]},
        {"name": "afu", "match": {"afu_id": "D8424DC4A4A3C413F89E433683F9040B"},
         "capabilities": {"afu": "nlb"}},
    ]})
    traits, caps, names = rules.apply(parsed, doc)
    assert traits == ["CUSTOM_A"]
    assert caps == {"fpga_nic": "true", "afu": "nlb"}
    assert names == ["n3000", "afu"]


@pytest.mark.parametrize("bad, message", [
    ({"rules": [{"match": {"colour": "red"}, "traits": ["CUSTOM_A"]}]}, "cannot match on"),
    ({"rules": [{"match": {"model": "x"}, "traits": ["lower"]}]}, "not a valid trait"),
    ({"rules": [{"match": {"model": "x"}, "capabilities": {"a": "b,c:d"}}]}, "characters"),
    ({"rules": [{"match": {"model": "x"}}]}, "neither traits nor capabilities"),
    ({"rules": [{"match": {}, "traits": ["CUSTOM_A"]}]}, "non-empty"),
    ({"rules": "no"}, "'rules' list"),
])
def test_bad_rules_are_named(bad, message):
    with pytest.raises(rules.RulesError, match=message):
        rules.parse(bad)


def test_rules_file_errors(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("rules: [\n")
    with pytest.raises(rules.RulesError, match="not valid YAML"):
        rules.load(str(path))
    with pytest.raises(rules.RulesError, match="cannot read"):
        rules.load(str(tmp_path / "missing.yaml"))


def test_capabilities_round_trip_and_property_shape(doc):
    caps = hook.parse_capabilities("boot_mode:uefi,accel_fpga_count:3")
    assert caps == {"boot_mode": "uefi", "accel_fpga_count": "3"}
    assert hook.format_capabilities(caps) == "boot_mode:uefi,accel_fpga_count:3"
    props = hook.accelerators_property(doc)
    for item in props:
        assert {"vendor_id", "device_id", "type", "device_info", "pci_address"} <= set(item)
        assert not item["vendor_id"].startswith("0x")
    assert hook.type_capabilities(doc)["accel_gpu_count"] == "3"
    traits = hook.inventory_traits(doc, ["CUSTOM_RULE"])
    assert traits.index("CUSTOM_RULE") < traits.index(
        "CUSTOM_FPGA_REGION_INTEL_F3C9941350814AADBCED07EB84A6D0BB")


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


@pytest.fixture
def accel_api():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.calls = []
    _Recorder.status = 200
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _conf(url, **auth):
    conf = cfg.ConfigOpts()
    conf_inspection.register_opts(conf)
    conf([], project="test")
    conf.set_override("url", url, group="accel_api")
    for key, value in auth.items():
        conf.set_override(key, value, group="accel_api")
    return conf


def test_push_puts_inventory_with_http_basic(doc, accel_api):
    conf = _conf(accel_api, auth_type="http_basic")
    from keystoneauth1 import loading as ks_loading

    conf.register_opts(ks_loading.get_auth_plugin_conf_options("http_basic"), group="accel_api")
    conf.set_override("username", "ironic", group="accel_api")
    conf.set_override("password", "s3cret", group="accel_api")
    assert push.push_inventory(conf, "mixed.example.org", doc) == 200
    path, auth, body = _Recorder.calls[0]
    assert path == "/v2/hosts/mixed.example.org/inventory"
    assert auth.startswith("Basic ")
    assert body == doc


def test_push_failures_are_clear(doc, accel_api):
    _Recorder.status = 409
    with pytest.raises(push.PushError, match="HTTP 409"):
        push.push_inventory(_conf(accel_api), "h", doc)
    with pytest.raises(push.PushError, match="cannot reach accel_api"):
        push.push_inventory(_conf("http://127.0.0.1:9"), "h", doc)


def test_sample_config_is_current(tmp_path):
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
        assert out.read_text() == (top / f"etc/{name}.conf.sample").read_text(), (
            f"etc/{name}.conf.sample is stale: run tox -e genconfig")
