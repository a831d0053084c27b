"""Inspection through a real Ironic: the collector's inventory -> traits, capabilities, properties.

The inventory is what ``ipa_fpga.inspection_collector`` collects from a fixture sysfs tree; it
is posted to ``/v1/continue_inspection`` as the ramdisk would, and the ``accelerators_ext`` hook
runs inside the real Ironic conductor.
"""

import copy
import dataclasses

import pytest
import requests

import accel_hosts
from accel_hosts import sysfs
from ipa_fpga import conf as ipa_conf
from ipa_fpga import inspection_collector
from tests.functional.ironic.conftest import (
    ACCEL_API_ADMIN,
    ACCEL_API_PASSWORD,
    api,
    host_inventory,
    wait_state,
)

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def ironic(shared_ironic):
    return shared_ironic


def collect(root, host):
    sysfs.build(host, root)
    ipa_conf.cfg.CONF.set_override("sysfs_root", root, group=ipa_conf.GROUP)
    try:
        data, failures = {}, []

        class Failures:
            def add(self, fmt, *args):
                failures.append(fmt % args)

        inspection_collector.collect_accelerators(data, Failures())
        assert not failures
        return data
    finally:
        ipa_conf.cfg.CONF.clear_override("sysfs_root", group=ipa_conf.GROUP)


def inspect(ironic, node_id, mac, plugin_data):
    resp = api(ironic, "PUT", f"/v1/nodes/{node_id}/states/provision",
               json={"target": "inspect"})
    assert resp.status_code == 202, resp.text
    wait_state(ironic, node_id, ["inspect wait"])
    body = dict(plugin_data)
    body["inventory"] = host_inventory(mac)
    return api(ironic, "POST", f"/v1/continue_inspection?node_uuid={node_id}", json=body)


def make_node(ironic, name):
    resp = api(ironic, "POST", "/v1/nodes", json={
        "name": name, "driver": "fake-hardware", "inspect_interface": "agent",
        "deploy_interface": "custom-agent"})
    assert resp.status_code == 201, resp.text
    node = resp.json()
    api(ironic, "PUT", f"/v1/nodes/{node['uuid']}/states/provision", json={"target": "manage"})
    wait_state(ironic, node["uuid"], ["manageable"])
    return node["uuid"]


def traits(ironic, node_id):
    return set(api(ironic, "GET", f"/v1/nodes/{node_id}/traits").json()["traits"])


def accel_api_devices(url, hostname):
    """Devices accel_api holds for ``hostname`` (as its operator sees them)."""
    resp = requests.get(f"{url}/v2/hosts/{hostname}", auth=ACCEL_API_ADMIN, timeout=10)
    return resp.json()["num_devices"] if resp.status_code == 200 else None


def test_inspection_sets_traits_properties_and_converges(ironic, fixture_root, tmp_path,
                                                         shared_accel_api):
    node_id = make_node(ironic, "inspect-mixed")
    # The operator's own trait must survive every re-inspection.
    assert api(ironic, "PUT", f"/v1/nodes/{node_id}/traits/CUSTOM_OPERATOR_RACK_7").status_code \
        == 204
    host = accel_hosts.load("mixed")
    data = collect(str(tmp_path / "full"), host)
    resp = inspect(ironic, node_id, "52:54:00:aa:00:01", data)
    assert resp.status_code in (200, 202), resp.text
    node = wait_state(ironic, node_id, ["manageable", "inspect failed"])
    assert node["provision_state"] == "manageable", node["last_error"]

    got = traits(ironic, node_id)
    for expected in ("CUSTOM_FPGA_INTEL_N3000", "CUSTOM_FPGA_XILINX_U250", "CUSTOM_GPU_NVIDIA_H100",
                     "CUSTOM_GPU_NVIDIA_L4", "CUSTOM_QAT", "CUSTOM_FPGA_INTEL_N6000",
                     "CUSTOM_FPGA_REGION_INTEL_F3C9941350814AADBCED07EB84A6D0BB",
                     "CUSTOM_N3000_BMC_D_2_1", "CUSTOM_HAS_NVIDIA_GPU",
                     "CUSTOM_OPERATOR_RACK_7"):
        assert expected in got, (expected, sorted(got))
    props = node["properties"]
    caps = dict(item.split(":", 1) for item in props["capabilities"].split(","))
    assert caps["accel_fpga_count"] == "3"
    assert caps["accel_gpu_count"] == "3"
    assert caps["n3000_bmc"] == "d.2.1"
    by_addr = {a["pci_address"]: a for a in props["accelerators"]}
    n3000 = by_addr["0000:3f:00.0"]
    # The built-in ``accelerators`` hook's keys, then ours.
    assert n3000["vendor_id"] == "8086" and n3000["device_id"] == "0b30"
    assert n3000["type"] == "FPGA" and n3000["device_info"]
    assert n3000["model"] == "N3000" and n3000["driver"] == "intel_dfl"
    assert n3000["firmware"]["max10_bmc_nios"] == "D.2.1.24"
    assert by_addr["0000:9a:00.0"]["firmware"]["vbios"] == "96.00.89.00.01"
    # The hook pushed the same inventory to accel_api, authenticated with HTTP basic, as
    # the host named after the node (not the ramdisk's hostname), a standalone host.
    hostname = "inspect-mixed"
    assert data["accelerators_inventory"]["host"]["hostname"] != hostname
    assert accel_api_devices(shared_accel_api, hostname) == len(
        data["accelerators_inventory"]["devices"])

    # Re-inspect after the GPUs left the host: their traits and capabilities go, the
    # operator's trait stays.
    api(ironic, "PUT", f"/v1/nodes/{node_id}/states/provision", json={"target": "manage"})
    smaller = dataclasses.replace(
        host, cards=[c for c in host.cards if not c.name.startswith("gpu")])
    data = collect(str(tmp_path / "smaller"), smaller)
    resp = inspect(ironic, node_id, "52:54:00:aa:00:01", data)
    assert resp.status_code in (200, 202), resp.text
    node = wait_state(ironic, node_id, ["manageable", "inspect failed"])
    assert node["provision_state"] == "manageable", node["last_error"]
    got = traits(ironic, node_id)
    assert not {t for t in got if "GPU" in t}, sorted(got)
    assert "CUSTOM_FPGA_INTEL_N3000" in got and "CUSTOM_OPERATOR_RACK_7" in got
    caps = dict(item.split(":", 1) for item in node["properties"]["capabilities"].split(","))
    assert "accel_gpu_count" not in caps and caps["accel_fpga_count"] == "3"
    assert "0000:9a:00.0" not in {a["pci_address"] for a in node["properties"]["accelerators"]}
    # accel_api converged too (the GPUs were held by nothing, so they are gone there as well),
    # and the push credentials never reached Ironic's log.
    assert accel_api_devices(shared_accel_api, hostname) == len(
        data["accelerators_inventory"]["devices"])
    assert ACCEL_API_PASSWORD not in ironic.log_tail(limit=10_000_000)


def make_unnamed_node(ironic):
    resp = api(ironic, "POST", "/v1/nodes", json={
        "driver": "fake-hardware", "inspect_interface": "agent",
        "deploy_interface": "custom-agent"})
    assert resp.status_code == 201, resp.text
    node_id = resp.json()["uuid"]
    api(ironic, "PUT", f"/v1/nodes/{node_id}/states/provision", json={"target": "manage"})
    wait_state(ironic, node_id, ["manageable"])
    return node_id


def test_nodes_whose_ramdisks_share_a_hostname_stay_two_hosts(ironic, tmp_path,
                                                              shared_accel_api):
    """Ramdisks without a hostname of their own all say ``localhost`` (Cyborg's fixture
    tree does): each inspected node is still its own host in accel_api, named after the
    node (its name, or its uuid when it has none)."""
    named = make_node(ironic, "twin-a")
    unnamed = make_unnamed_node(ironic)
    sizes = {}
    # MACs of their own: Ironic's ports hook makes ports of them on the shared Ironic,
    # where test_ipa_steps / test_gpu_partitions hold 52:54:00:cc:00:xx.
    for node_id, layout, mac in ((named, "host-a", "52:54:00:dd:00:01"),
                                 (unnamed, "mixed", "52:54:00:dd:00:02")):
        data = collect(str(tmp_path / node_id), accel_hosts.load(layout))
        data["accelerators_inventory"]["host"]["hostname"] = "localhost"
        sizes[node_id] = len(data["accelerators_inventory"]["devices"])
        resp = inspect(ironic, node_id, mac, data)
        assert resp.status_code in (200, 202), resp.text
        node = wait_state(ironic, node_id, ["manageable", "inspect failed"])
        assert node["provision_state"] == "manageable", node["last_error"]
    assert sizes[named] != sizes[unnamed]
    assert accel_api_devices(shared_accel_api, "twin-a") == sizes[named]
    assert accel_api_devices(shared_accel_api, unnamed) == sizes[unnamed]
    assert accel_api_devices(shared_accel_api, "localhost") is None
    host = requests.get(f"{shared_accel_api}/v2/hosts/twin-a", auth=ACCEL_API_ADMIN,
                        timeout=10).json()
    assert host["hostname"] == "twin-a"


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["devices"][0]["traits"].append("custom_lower; DROP TABLE"),
     "does not match"),
    (lambda d: d["devices"][0].update(id="../../etc/passwd"), "does not match"),
    (lambda d: d.update(devices="x" * 10), "is not of type"),
    (lambda d: d["devices"][0]["deployables"][1].update(parent="nowhere"), "unknown parent"),
    # Over a size limit: refused by looking at what is over it, the limit in the message.
    (lambda d: d["devices"][0].update(traits=[f"CUSTOM_T{i}" for i in range(200)]),
     "$.devices[0].traits: 200 items, more than the limit of 128"),
    (lambda d: d["devices"][0].update(model="m" * 3000),
     "a string of 3000 characters, more than the limit of 255"),
])
def test_hostile_inventory_fails_inspection_and_changes_nothing(ironic, tmp_path, mutate,
                                                                message):
    node_id = make_node(ironic, f"hostile-{tmp_path.name}"[:60])
    data = collect(str(tmp_path / "root"), accel_hosts.load("host-a"))
    before = api(ironic, "GET", f"/v1/nodes/{node_id}").json()
    bad = copy.deepcopy(data)
    mutate(bad["accelerators_inventory"])
    inspect(ironic, node_id, "52:54:00:bb:%02x:%02x" % (len(message), len(tmp_path.name)), bad)
    node = wait_state(ironic, node_id, ["inspect failed", "manageable"])
    assert node["provision_state"] == "inspect failed"
    assert "invalid accelerator inventory" in node["last_error"]
    assert message in node["last_error"]
    assert traits(ironic, node_id) == set()
    assert node["properties"] == before["properties"]
    ports = api(ironic, "GET", f"/v1/ports?node={node_id}").json()["ports"]
    assert ports == []
