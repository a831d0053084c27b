"""Out-of-band inspection through a real Ironic: the ``redfish`` inspect interface, no
ramdisk, the ``accelerators_bmc`` hook reading the BMC through ``ironic_fpga.redfish``.

* every real capture and DMTF mockup in ../shared/redfish, served by the emulator's
  static mode: after inspection the node carries exactly the accelerators listed by
  hand in ``tests/redfish_helpers/layouts.py``, their traits and counts, and Ironic's
  firmware components (``cache_firmware_components``) hold every version;
* one node inspected in-band (the ramdisk's collector on the same host's fixture tree,
  posted to ``/v1/continue_inspection``) and out-of-band (the emulator built from that
  host): the two converge, and re-running either changes nothing.

One Ironic for the module.
"""

import pytest
import requests

import accel_hosts
from redfish_mocks.httpd import HttpService
from redfish_mocks.static import StaticService
from tests.realprocs.base import wait_for
from tests.realprocs.ironic import Ironic
from tests.redfish_helpers import layouts, shared_dir, start_emulator

pytestmark = pytest.mark.functional

API_VERSION = "1.95"
#: what Ironic needs in properties to finish an inspection (the captures may not say)
PROPERTIES = {"memory_mb": 65536, "local_gb": 100, "cpu_arch": "x86_64"}
#: Ironic 39's ``redfish`` inspect interface fails in its own code, before any hook, on
#: these layouts: an empty Processors collection and storage it cannot list (the
#: BlueField BMC's), a Storage whose controllers lack MemberId (public-tower), systems
#: without EthernetInterfaces (the emulator's, the CXL hosts). ``redfish-accel`` (ours,
#: a subclass of it) tolerates them and runs the same hooks.
INSPECT = {"nvidia_dpu": "redfish-accel", "public-tower": "redfish-accel",
           "public-cxl-multiswitch": "redfish-accel",
           "public-cxl-multiswitch-host2": "redfish-accel"}
#: ... and on these even ``redfish-accel`` cannot help: Ironic's inspect_hardware reads
#: ``system.boot.mode`` itself and the hosts of public-cxl-multiswitch have no Boot.
IRONIC_CANNOT_INSPECT = {"public-cxl-multiswitch": "no attribute 'mode'",
                         "public-cxl-multiswitch-host2": "no attribute 'mode'"}


@pytest.fixture(scope="module")
def ironic(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("ironic")
    http_root = workdir / "http"
    http_root.mkdir()
    service = Ironic(workdir, {
        "DEFAULT": {
            "enabled_hardware_types": "fake-hardware,redfish,redfish-accel",
            "enabled_firmware_interfaces": "fake,redfish,redfish-accel,no-firmware",
            "enabled_boot_interfaces": "fake,redfish-virtual-media,http",
            "enabled_inspect_interfaces": "fake,agent,redfish,redfish-accel,no-inspect",
            "debug": "false",
        },
        "deploy": {"http_root": str(http_root), "http_url": "http://127.0.0.1:9"},
        "redfish": {"inspection_hooks": "accelerators_bmc", "connection_attempts": "2",
                    "connection_retry_interval": "1"},
        "inspector": {"hooks": "$default_hooks,accelerators_ext"},
    }).start()
    yield service
    service.stop()


def api(ironic, method, path, **kwargs):
    return requests.request(method, ironic.url + path, timeout=30,
                            headers={"X-OpenStack-Ironic-API-Version": API_VERSION}, **kwargs)


def node_doc(ironic, uuid):
    return api(ironic, "GET", f"/v1/nodes/{uuid}").json()


def wait_state(ironic, uuid, wanted, timeout=180):
    def check():
        doc = node_doc(ironic, uuid)
        return doc if doc["provision_state"] in wanted and not doc["reservation"] else None
    try:
        return wait_for(check, timeout, interval=0.3, what=f"node {uuid} in {wanted}")
    except TimeoutError:
        doc = node_doc(ironic, uuid)
        raise AssertionError(f"node stuck in {doc['provision_state']}: {doc['last_error']}"
                             f"\n{ironic.log_tail()}") from None


def make_node(ironic, name, url, system_id=None, **interfaces):
    info = {"redfish_address": url, "redfish_username": "admin",
            "redfish_password": "password"}
    if system_id:
        info["redfish_system_id"] = system_id
    resp = api(ironic, "POST", "/v1/nodes", json=dict({
        "name": name, "driver": "redfish-accel", "driver_info": info,
        "inspect_interface": "redfish", "firmware_interface": "redfish-accel",
        "deploy_interface": "direct", "properties": dict(PROPERTIES)}, **interfaces))
    assert resp.status_code == 201, resp.text
    uuid = resp.json()["uuid"]
    assert api(ironic, "PUT", f"/v1/nodes/{uuid}/states/provision",
               json={"target": "manage"}).status_code == 202
    wait_state(ironic, uuid, ["manageable"])
    return uuid


def inspect(ironic, uuid, fails_with=None):
    resp = api(ironic, "PUT", f"/v1/nodes/{uuid}/states/provision", json={"target": "inspect"})
    assert resp.status_code == 202, resp.text
    doc = wait_state(ironic, uuid, ["manageable", "inspect failed"])
    if fails_with:
        assert doc["provision_state"] == "inspect failed" and fails_with in doc["last_error"]
        return doc
    assert doc["provision_state"] == "manageable", (doc["last_error"], ironic.log_tail())
    return doc


def traits(ironic, uuid):
    return set(api(ironic, "GET", f"/v1/nodes/{uuid}/traits").json()["traits"])


def accel_firmware(ironic, uuid):
    rows = api(ironic, "GET", f"/v1/nodes/{uuid}/firmware").json()["firmware"]
    return {r["component"]: r["current_version"] for r in rows
            if r["component"].startswith("accel:")}


@pytest.fixture(scope="module")
def static_bmcs():
    if not shared_dir():
        pytest.skip("../shared/redfish is not beside the repository")
    servers = {name: HttpService(StaticService(layouts.path(layout))).start()
               for name, layout in layouts.LAYOUTS.items()}
    yield servers
    for srv in servers.values():
        srv.stop()


@pytest.mark.parametrize("name", sorted(layouts.LAYOUTS))
def test_layout_read_through_ironic(ironic, static_bmcs, name):
    layout = layouts.LAYOUTS[name]
    uuid = make_node(ironic, f"oob-{name}", static_bmcs[name].url, layout.system,
                     inspect_interface=INSPECT.get(name, "redfish"))
    expected_firmware = {
        f"accel:{dev}:{comp}": version for dev, acc in layout.accelerators.items()
        for comp, (version, _updatable) in acc.firmware.items()}
    # Ironic cached the firmware components when the node was verified (manage):
    # through the redfish-accel firmware interface, every version is there.
    assert accel_firmware(ironic, uuid) == expected_firmware
    doc = inspect(ironic, uuid, fails_with=IRONIC_CANNOT_INSPECT.get(name))
    if name in IRONIC_CANNOT_INSPECT:
        return
    props = doc["properties"]
    assert {a["bmc_id"]: a["type"] for a in props.get("accelerators", [])} == {
        dev: acc.type for dev, acc in layout.accelerators.items()}
    assert all(a["source"] == "bmc" for a in props.get("accelerators", []))
    assert traits(ironic, uuid) == set(layout.traits)
    counts = {}
    for acc in layout.accelerators.values():
        key = f"accel_{acc.type.lower()}_count"
        counts[key] = counts.get(key, 0) + 1
    caps = dict(c.split(":", 1) for c in (props.get("capabilities") or "").split(",") if c)
    assert {k: v for k, v in caps.items() if k.startswith("accel_")} == {
        k: str(v) for k, v in counts.items()}
    # ... and again after the inspection
    assert accel_firmware(ironic, uuid) == expected_firmware


@pytest.fixture(scope="module")
def mixed_bmc():
    srv = start_emulator(hosts=("mixed",), update_seconds=0.2)
    yield srv
    srv.stop()


def inband(ironic, uuid, tmp_path):
    """Agent inspection of the node, the ramdisk's data posted as the ramdisk would."""
    from tests.functional.ironic.conftest import host_inventory
    from tests.functional.ironic.test_inspection import collect

    assert api(ironic, "PATCH", f"/v1/nodes/{uuid}", json=[
        {"op": "replace", "path": "/inspect_interface", "value": "agent"}]).status_code == 200
    resp = api(ironic, "PUT", f"/v1/nodes/{uuid}/states/provision", json={"target": "inspect"})
    assert resp.status_code == 202, resp.text
    wait_state(ironic, uuid, ["inspect wait"])
    body = collect(str(tmp_path), accel_hosts.load("mixed"))
    body["inventory"] = host_inventory("52:54:00:aa:bb:01", hostname="mixed")
    resp = api(ironic, "POST", f"/v1/continue_inspection?node_uuid={uuid}", json=body)
    assert resp.status_code == 202, resp.text
    doc = wait_state(ironic, uuid, ["manageable", "inspect failed"])
    assert doc["provision_state"] == "manageable", (doc["last_error"], ironic.log_tail())
    return doc


def outofband(ironic, uuid):
    # redfish-accel: the emulator's systems list no EthernetInterfaces, which Ironic 39's
    # own redfish inspection does not survive (see INSPECT)
    assert api(ironic, "PATCH", f"/v1/nodes/{uuid}", json=[
        {"op": "replace", "path": "/inspect_interface", "value": "redfish-accel"}]
    ).status_code == 200
    return inspect(ironic, uuid)


def state(ironic, uuid):
    doc = node_doc(ironic, uuid)
    return doc["properties"]["accelerators"], doc["properties"].get("capabilities"), \
        traits(ironic, uuid)


def test_inband_and_out_of_band_converge(ironic, mixed_bmc, tmp_path):
    uuid = make_node(ironic, "oob-and-inband", mixed_bmc.url, "/redfish/v1/Systems/mixed",
                     boot_interface="http")
    assert api(ironic, "PUT", f"/v1/nodes/{uuid}/traits/CUSTOM_OPERATOR_OWN").status_code == 204
    first = inband(ironic, uuid, tmp_path)
    inband_accs = first["properties"]["accelerators"]
    inband_traits = traits(ironic, uuid)
    assert {a["source"] for a in inband_accs} == {"in-band"}

    outofband(ironic, uuid)
    accs, caps, merged_traits = state(ironic, uuid)
    # Every card is one device, seen by both; nothing added, nothing lost.
    assert len(accs) == len(inband_accs)
    assert {a["source"] for a in accs} == {"in-band+bmc"}
    by_addr = {a["pci_address"]: a for a in accs}
    for before in inband_accs:
        after = by_addr[before["pci_address"]]
        # in-band is authoritative for what it read
        for key in ("vendor_id", "device_id", "type", "driver", "numa_node", "model"):
            assert after[key] == before[key], key
        assert {k: after["firmware"][k] for k in before["firmware"]} == before["firmware"]
        assert after["bmc_id"]  # the BMC's name for it (accel:<bmc_id> components)
    assert by_addr["0000:9a:00.0"]["bmc_id"] == "gpu0"
    assert by_addr["0000:3f:00.0"]["bmc_id"] == "fpga0"
    assert inband_traits <= merged_traits and "CUSTOM_OPERATOR_OWN" in merged_traits
    assert "accel_gpu_count:3" in caps

    # Re-running either converges to the same state.
    outofband(ironic, uuid)
    assert state(ironic, uuid) == (accs, caps, merged_traits)
    inband(ironic, uuid, tmp_path)
    assert state(ironic, uuid) == (accs, caps, merged_traits)
