"""Placement reporting against a real Placement (openstack-placement, SQLite, noauth2)."""

import copy

import pytest
from oslo_config import cfg

from accel_api.placement import client as pclient
from accel_api.placement import sync
from accel_contract import identity
from tests.realprocs.placement import Placement

pytestmark = pytest.mark.functional
HOST = "host-a"


@pytest.fixture(scope="module")
def placement(tmp_path_factory):
    proc = Placement(tmp_path_factory.mktemp("placement")).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def client(placement, tmp_path_factory):
    # noauth2: the token "admin" is an admin; keystoneauth's admin_token plugin sends it.
    path = tmp_path_factory.mktemp("placement-client") / "accel-api.conf"
    path.write_text("[placement]\nauth_type = admin_token\ntoken = admin\n"
                    f"endpoint = {placement.url}\nendpoint_override = {placement.url}\n")
    conf = cfg.ConfigOpts()
    pclient.register_opts(conf)
    conf(["--config-file", str(path)], default_config_files=[])
    return pclient.PlacementClient.from_conf(conf)


def _fpga_candidates(placement):
    resp = placement.get("/allocation_candidates", resources="FPGA:1",
                         required="CUSTOM_FPGA_INTEL")
    assert resp.status_code == 200, resp.text
    # Providers an allocation could use (summaries also list their tree's other members).
    return {rp for req in resp.json()["allocation_requests"] for rp in req["allocations"]}


def _rp(hostname, dep_id):
    return identity.deployable_rp_uuid(hostname, dep_id)


def test_report_creates_nested_providers_found_by_allocation_candidates(
        placement, client, host_a_inventory):
    result = sync.sync_host(client, HOST, host_a_inventory)
    regions = [d["id"] for dev in host_a_inventory["devices"] for d in dev["deployables"]
               if d["kind"] == "region"]
    assert len(regions) == 2
    expected = {_rp(HOST, r) for r in regions}
    assert set(result.created) == expected
    found = _fpga_candidates(placement)
    assert expected <= found
    root = placement.get(f"/resource_providers/{result.root_uuid}").json()
    assert root["name"] == HOST
    for uuid in expected:
        rp = placement.get(f"/resource_providers/{uuid}").json()
        assert rp["parent_provider_uuid"] == result.root_uuid
        traits = placement.get(f"/resource_providers/{uuid}/traits").json()["traits"]
        assert "CUSTOM_FPGA_INTEL_N3000" in traits and sync.MANAGED_TRAIT in traits
        inv = placement.get(f"/resource_providers/{uuid}/inventories").json()["inventories"]
        assert inv["FPGA"]["total"] == 1 and inv["FPGA"]["reserved"] == 0
    # A second report with nothing changed writes nothing.
    again = sync.sync_host(client, HOST, host_a_inventory)
    assert set(again.unchanged) == expected and not again.created and not again.updated


def test_changes_removals_and_disable_converge(placement, client, host_a_inventory):
    doc = copy.deepcopy(host_a_inventory)
    sync.sync_host(client, HOST, doc)
    first, second = doc["devices"][0], doc["devices"][1]
    first_region = next(d for d in first["deployables"] if d["kind"] == "region")
    second_region = next(d for d in second["deployables"] if d["kind"] == "region")
    # Changed traits (a new function loaded) and a vanished device; the other disabled.
    old_traits = [t for t in first_region["traits"] if "FUNCTION" in t]
    first_region["traits"] = [t for t in first_region["traits"] if "FUNCTION" not in t] + [
        "CUSTOM_FPGA_FUNCTION_ID_INTEL_00112233445566778899AABBCCDDEEFF"]
    doc["devices"] = [first]
    result = sync.sync_host(client, HOST, doc, disabled_devices={first["id"]})
    uuid1 = _rp(HOST, first_region["id"])
    uuid2 = _rp(HOST, second_region["id"])
    assert result.updated == [uuid1]
    assert result.deleted == [uuid2]
    assert placement.get(f"/resource_providers/{uuid2}").status_code == 404
    traits = placement.get(f"/resource_providers/{uuid1}/traits").json()["traits"]
    assert "CUSTOM_FPGA_FUNCTION_ID_INTEL_00112233445566778899AABBCCDDEEFF" in traits
    assert not set(old_traits) & set(traits)
    inv = placement.get(f"/resource_providers/{uuid1}/inventories").json()["inventories"]
    assert inv["FPGA"]["reserved"] == inv["FPGA"]["total"] == 1
    assert not _fpga_candidates(placement) & {uuid1, uuid2}
    # Re-enabled and the device back: both offered again.
    result = sync.sync_host(client, HOST, host_a_inventory)
    assert result.created == [uuid2] and result.updated == [uuid1]
    assert {uuid1, uuid2} <= _fpga_candidates(placement)


def test_foreign_providers_in_the_tree_are_left_alone(placement, client, host_a_inventory):
    result = sync.sync_host(client, HOST, host_a_inventory)
    other = client.create_provider(f"{HOST}_vgpu_by_nova", parent_uuid=result.root_uuid)
    doc = copy.deepcopy(host_a_inventory)
    doc["devices"] = []
    result = sync.sync_host(client, HOST, doc)
    assert len(result.deleted) == 2
    assert placement.get(f"/resource_providers/{other['uuid']}").status_code == 200
    sync.sync_host(client, HOST, host_a_inventory)


def test_generation_conflict_is_retried(placement, client, host_a_inventory, monkeypatch):
    sync.sync_host(client, HOST, host_a_inventory)
    doc = copy.deepcopy(host_a_inventory)
    region = next(d for d in doc["devices"][0]["deployables"] if d["kind"] == "region")
    region["traits"] = region["traits"] + ["CUSTOM_FPGA_TEST_RETRY"]
    uuid = _rp(HOST, region["id"])
    real_traits = client.traits
    calls = {"n": 0}

    def racing_traits(rp_uuid):
        current = real_traits(rp_uuid)
        if rp_uuid == uuid and calls["n"] == 0:
            calls["n"] += 1
            # Someone else bumps the generation between our read and our write.
            client.set_traits(rp_uuid, current["resource_provider_generation"],
                              current["traits"] + ["CUSTOM_SOMEONE_ELSE"])
        return current

    client.ensure_trait("CUSTOM_SOMEONE_ELSE")
    monkeypatch.setattr(client, "traits", racing_traits)
    result = sync.sync_host(client, HOST, doc)
    monkeypatch.undo()
    assert uuid in result.updated and calls["n"] == 1
    traits = placement.get(f"/resource_providers/{uuid}/traits").json()["traits"]
    assert "CUSTOM_FPGA_TEST_RETRY" in traits
    sync.sync_host(client, HOST, host_a_inventory)


def test_accel_api_reports_each_import_to_placement(placement, host_a_inventory):
    """The real accel-api with [placement] configured: an import lands in Placement, and
    the rp_uuid accel_api hands Nova is the provider Placement offers."""
    import requests

    from tests.accel_api_helpers import running_server

    host = "compute-api-1"
    doc = copy.deepcopy(host_a_inventory)
    doc["host"]["hostname"] = host
    config = ("[api]\ngraceful_shutdown_timeout = 1\n"
              "[placement]\nauth_type = admin_token\ntoken = admin\n"
              f"endpoint = {placement.url}\nendpoint_override = {placement.url}\n")
    with running_server(config=config) as url:
        resp = requests.put(f"{url}/v2/hosts/{host}/inventory", json=doc, timeout=60)
        assert resp.status_code == 200, resp.text
        assert resp.json()["placement"]["created"] == 2
        deps = requests.get(f"{url}/v2/deployables", params={"hostname": host},
                            timeout=10).json()["deployables"]
        rps = {d["rp_uuid"] for d in deps if d["resource_class"] == "FPGA"}
        assert len(rps) == 2 and rps <= _fpga_candidates(placement)
        # Disabling a device reserves its provider at once; the next report agrees.
        device = next(d for d in deps if d["resource_class"] == "FPGA")["device_uuid"]
        assert requests.post(f"{url}/v2/devices/{device}/disable",
                             timeout=10).status_code == 200
        assert len(rps & _fpga_candidates(placement)) == 1
        resp = requests.put(f"{url}/v2/hosts/{host}/inventory", json=doc, timeout=60)
        assert resp.json()["placement"]["updated"] == 0, resp.text
        assert len(rps & _fpga_candidates(placement)) == 1
        # Enabling frees it at once, and again the next report has nothing to change.
        assert requests.post(f"{url}/v2/devices/{device}/enable",
                             timeout=10).status_code == 200
        assert rps <= _fpga_candidates(placement)
        resp = requests.put(f"{url}/v2/hosts/{host}/inventory", json=doc, timeout=60)
        assert resp.json()["placement"]["updated"] == 0, resp.text


def test_placement_down_fails_neither_import_nor_status_change(host_a_inventory):
    import requests

    from tests.accel_api_helpers import free_port, running_server

    dead = f"http://127.0.0.1:{free_port()}"
    config = ("[api]\ngraceful_shutdown_timeout = 1\n"
              "[placement]\nauth_type = admin_token\ntoken = admin\n"
              f"endpoint = {dead}\nendpoint_override = {dead}\n")
    with running_server(config=config) as url:
        resp = requests.put(f"{url}/v2/hosts/{HOST}/inventory", json=host_a_inventory,
                            timeout=60)
        assert resp.status_code == 200 and "unreachable" in resp.json()["placement"]["error"]
        device = requests.get(f"{url}/v2/devices", timeout=10).json()["devices"][0]["uuid"]
        resp = requests.post(f"{url}/v2/devices/{device}/disable", timeout=30)
        assert resp.status_code == 200
        status = requests.get(f"{url}/v2/devices/{device}", timeout=10,
                              headers={"OpenStack-API-Version": "accelerator 2.3"})
        assert status.json()["status"] == "disabled"


@pytest.fixture(scope="module")
def gpu_vfio_inventory(tmp_path_factory):
    from tests.functional.programming.conftest import _inventory

    return copy.deepcopy(_inventory("gpu-vfio", str(tmp_path_factory.mktemp("gpu-vfio-root"))))


@pytest.fixture(scope="module")
def gpu_mig_inventory(tmp_path_factory):
    from tests.functional.programming.conftest import _inventory

    return copy.deepcopy(_inventory("gpu-mig", str(tmp_path_factory.mktemp("gpu-mig-root"))))


def test_functions_nova_reports_are_never_reported_twice(placement, client, gpu_vfio_inventory):
    """A VF Nova reports itself (PCI in Placement: provider ``<host>_<address>`` under the
    compute node) is skipped; the others are ours, marked OWNER_CYBORG."""
    host = "gpu-vfio"
    compute = client.create_provider(host)  # the compute node Nova would have made
    nova_vf = client.create_provider(f"{host}_0000:3d:00.6", parent_uuid=compute["uuid"])
    result = sync.sync_host(client, host, gpu_vfio_inventory)
    assert result.owned_by_nova == {"0000:3d:00.6": f"{host}_0000:3d:00.6"}
    vfs = [d["id"] for dev in gpu_vfio_inventory["devices"] for d in dev["deployables"]
           if d["kind"] == "vf" and d["num_accelerators"]]
    assert set(result.created) == {_rp(host, v) for v in vfs if v != "0000:3d:00.6"}
    for uuid in result.created:
        traits = placement.get(f"/resource_providers/{uuid}/traits").json()["traits"]
        assert {"OWNER_CYBORG", sync.MANAGED_TRAIT} <= set(traits)
    assert placement.get(f"/resource_providers/{nova_vf['uuid']}/traits").json()[
        "traits"] == []  # Nova's provider untouched
    again = sync.sync_host(client, host, gpu_vfio_inventory)
    assert not again.created and not again.deleted


def test_partition_pools_are_reported_only_where_opted_in(placement, client, gpu_mig_inventory):
    host = "gpu-mig"
    pools = {_rp(host, d["id"]) for dev in gpu_mig_inventory["devices"]
             for d in dev["deployables"] if d["kind"] == "mig"}
    result = sync.sync_host(client, host, gpu_mig_inventory)
    assert not result.created and not set(result.unchanged) & pools
    result = sync.sync_host(client, host, gpu_mig_inventory, placement_hosts=[host])
    assert set(result.created) == pools
    resp = placement.get("/allocation_candidates", resources="CUSTOM_MIG_3G_40GB:1")
    assert resp.status_code == 200, resp.text
    assert len(resp.json()["allocation_requests"]) == 1
    result = sync.sync_host(client, host, gpu_mig_inventory)  # opted out again: removed
    assert set(result.deleted) == pools
