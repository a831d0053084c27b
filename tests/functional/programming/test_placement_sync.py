"""Placement reporting against a real Placement (openstack-placement, SQLite, noauth2).

Nova's side is played with ``Placement.compute_node``: the calls nova-compute makes for
its compute node (same name, uuid, inventory and traits), before or after accel-api
reports, so that every start order can be checked against the real Placement.
"""

import copy
import datetime as dt
import uuid as uuidlib

import pytest
from oslo_config import cfg

from accel_api.placement import client as pclient
from accel_api.placement import desired, sync
from accel_contract import identity
from tests.realprocs.placement import NOVA_FAKE_TRAITS

pytestmark = pytest.mark.functional
HOST = "host-a"


def make_client(placement, directory):
    # noauth2: the token "admin" is an admin; keystoneauth's admin_token plugin sends it.
    path = directory / "accel-api.conf"
    path.write_text("[placement]\nauth_type = admin_token\ntoken = admin\n"
                    f"endpoint = {placement.url}\nendpoint_override = {placement.url}\n")
    conf = cfg.ConfigOpts()
    pclient.register_opts(conf)
    conf(["--config-file", str(path)], default_config_files=[])
    return pclient.PlacementClient.from_conf(conf)


@pytest.fixture(scope="module")
def client(placement, tmp_path_factory):
    return make_client(placement, tmp_path_factory.mktemp("placement-client"))


def _fpga_candidates(placement):
    resp = placement.get("/allocation_candidates", resources="FPGA:1",
                         required="CUSTOM_FPGA_INTEL")
    assert resp.status_code == 200, resp.text
    # Providers an allocation could use (summaries also list their tree's other members).
    return {rp for req in resp.json()["allocation_requests"] for rp in req["allocations"]}


def _rp(hostname, dep_id):
    return identity.deployable_rp_uuid(hostname, dep_id)


def _standalone(hostname=HOST):
    return desired.Target(hostname, desired.STANDALONE)


def _nova(hostname, nodename=None):
    return desired.Target(hostname, desired.NOVA, nodename or hostname)


def _renamed(doc, hostname):
    doc = copy.deepcopy(doc)
    doc["host"]["hostname"] = hostname
    return doc


def _counting(client, fn):
    """Run ``fn()``; return (its result, {"read": n, "write": n} it cost)."""
    before = dict(client.requests)
    out = fn()
    return out, {k: client.requests[k] - before.get(k, 0) for k in ("read", "write")}


def tree_shape(placement, name):
    """The tree of the root named ``name`` as {provider name: (parent name, inventory,
    traits)}: two trees with the same shape hold the same thing the same way."""
    roots = placement.get("/resource_providers", name=name).json()["resource_providers"]
    assert len(roots) == 1, roots
    providers = placement.get("/resource_providers",
                              in_tree=roots[0]["uuid"]).json()["resource_providers"]
    names = {p["uuid"]: p["name"] for p in providers}
    shape = {}
    for p in providers:
        inv = placement.get(f"/resource_providers/{p['uuid']}/inventories").json()
        traits = placement.get(f"/resource_providers/{p['uuid']}/traits").json()["traits"]
        shape[p["name"]] = (names.get(p["parent_provider_uuid"]),
                            {rc: v["total"] for rc, v in inv["inventories"].items()},
                            sorted(traits))
    return shape


def _allocate(placement, rp_uuid, consumer):
    resp = placement.request("PUT", f"/allocations/{consumer}", {
        "allocations": {rp_uuid: {"resources": {"FPGA": 1}}},
        "project_id": str(uuidlib.uuid4()), "user_id": str(uuidlib.uuid4()),
        "consumer_generation": None, "consumer_type": "INSTANCE"})
    assert resp.status_code == 204, resp.text


def _legacy_root(client, hostname, doc):
    """The tree an earlier accel-api made for a host Nova had not reported yet: a bare
    root named after the host, the deployables' providers under it."""
    root = client.create_provider(hostname)
    for uuid, want in desired.from_document(hostname, doc).items():
        client.create_provider(want.name, uuid=uuid, parent_uuid=root["uuid"])
        client.ensure_trait("CUSTOM_FPGA_INTEL")
        client.ensure_trait(desired.MANAGED_TRAIT)
        gen = client.set_inventories(uuid, 0, want.inventory_body())
        client.set_traits(uuid, gen["resource_provider_generation"], want.traits)
    return root


def _legacy_host(placement, client, base, host):
    """A host with a leftover root and an instance holding one of its providers:
    (document, leftover root, provider uuids, the held one, the consumer)."""
    doc = _renamed(base, host)
    legacy = _legacy_root(client, host, doc)
    rps = set(desired.from_document(host, doc))
    held, consumer = sorted(rps)[0], str(uuidlib.uuid4())
    _allocate(placement, held, consumer)
    return doc, legacy, rps, held, consumer


# -- standalone hosts ----------------------------------------------------------------------

def test_standalone_host_gets_a_root_nova_cannot_use_and_unchanged_reports_read_once(
        placement, client, host_a_inventory):
    result, cost = _counting(client, lambda: sync.sync_document(
        client, _standalone(), host_a_inventory))
    regions = [d["id"] for dev in host_a_inventory["devices"] for d in dev["deployables"]
               if d["kind"] == "region"]
    assert len(regions) == 2
    expected = {_rp(HOST, r) for r in regions}
    assert set(result.created) == expected and result.state == sync.SYNCED
    # Created providers are written unread: a POST, an inventory and a traits PUT each
    # (plus the root, and each custom trait created once).
    custom = {t for w in desired.from_document(HOST, host_a_inventory).values()
              for t in w.traits if t.startswith("CUSTOM_")}
    assert cost["write"] == 1 + 3 * len(expected) + len(custom), cost
    assert cost["read"] <= 2, cost
    assert expected <= _fpga_candidates(placement)
    root = placement.get(f"/resource_providers/{result.root_uuid}").json()
    assert root["name"] == f"ironic-accel:standalone:{HOST}"
    assert result.root_uuid == identity.standalone_root_uuid(HOST)
    assert uuidlib.UUID(root["uuid"]).version == 5  # Nova's compute node uuids are uuid4
    for uuid in expected:
        rp = placement.get(f"/resource_providers/{uuid}").json()
        assert rp["parent_provider_uuid"] == result.root_uuid
        traits = placement.get(f"/resource_providers/{uuid}/traits").json()["traits"]
        assert "CUSTOM_FPGA_INTEL_N3000" in traits and sync.MANAGED_TRAIT in traits
        inv = placement.get(f"/resource_providers/{uuid}/inventories").json()["inventories"]
        assert inv["FPGA"]["total"] == 1 and inv["FPGA"]["reserved"] == 0
    # An unchanged report: one read (the tree), no write.
    again, cost = _counting(client, lambda: sync.sync_document(
        client, _standalone(), host_a_inventory, stored=result.stored))
    assert cost == {"read": 1, "write": 0}
    assert set(again.unchanged) == expected and not again.created and not again.updated
    # Without what was stored (a lost database), nothing is written either.
    again, cost = _counting(client, lambda: sync.sync_document(
        client, _standalone(), host_a_inventory))
    assert cost["write"] == 0 and set(again.unchanged) == expected


def test_changes_removals_and_disable_converge(placement, client, host_a_inventory):
    doc = copy.deepcopy(host_a_inventory)
    stored = sync.sync_document(client, _standalone(), doc).stored
    first, second = doc["devices"][0], doc["devices"][1]
    first_region = next(d for d in first["deployables"] if d["kind"] == "region")
    second_region = next(d for d in second["deployables"] if d["kind"] == "region")
    # Changed traits (a new function loaded) and a vanished device; the other disabled.
    old_traits = [t for t in first_region["traits"] if "FUNCTION" in t]
    first_region["traits"] = [t for t in first_region["traits"] if "FUNCTION" not in t] + [
        "CUSTOM_FPGA_FUNCTION_ID_INTEL_00112233445566778899AABBCCDDEEFF"]
    doc["devices"] = [first]
    result = sync.sync_document(client, _standalone(), doc, disabled_devices={first["id"]},
                                stored=stored)
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
    result = sync.sync_document(client, _standalone(), host_a_inventory,
                                stored=result.stored)
    assert result.created == [uuid2] and result.updated == [uuid1]
    assert {uuid1, uuid2} <= _fpga_candidates(placement)


def test_foreign_providers_in_the_tree_are_left_alone(placement, client, host_a_inventory):
    result = sync.sync_document(client, _standalone(), host_a_inventory)
    other = client.create_provider(f"{HOST}_vgpu_by_nova", parent_uuid=result.root_uuid)
    doc = copy.deepcopy(host_a_inventory)
    doc["devices"] = []
    result = sync.sync_document(client, _standalone(), doc, stored=result.stored)
    assert len(result.deleted) == 2
    assert placement.get(f"/resource_providers/{other['uuid']}").status_code == 200
    sync.sync_document(client, _standalone(), host_a_inventory)


def test_generation_conflict_is_retried(placement, client, host_a_inventory, monkeypatch):
    sync.sync_document(client, _standalone(), host_a_inventory)
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
    result = sync.sync_document(client, _standalone(), doc)
    monkeypatch.undo()
    assert uuid in result.updated and calls["n"] == 1
    traits = placement.get(f"/resource_providers/{uuid}/traits").json()["traits"]
    assert "CUSTOM_FPGA_TEST_RETRY" in traits
    sync.sync_document(client, _standalone(), host_a_inventory)


def test_a_leftover_root_of_a_standalone_host_is_folded_into_its_root(
        placement, client, host_a_inventory):
    host = "standalone-legacy"
    doc, legacy, rps, _held, consumer = _legacy_host(placement, client, host_a_inventory,
                                                     host)
    result = sync.sync_document(client, _standalone(host), doc)
    assert result.state == sync.SYNCED and result.repaired
    assert placement.get(f"/resource_providers/{legacy['uuid']}").status_code == 404
    for rp in rps:
        assert placement.get(f"/resource_providers/{rp}").json()[
            "parent_provider_uuid"] == identity.standalone_root_uuid(host)
    allocs = placement.get(f"/allocations/{consumer}").json()["allocations"]
    assert set(allocs) <= rps and len(allocs) == 1  # the instance kept its accelerator


# -- hosts Nova manages: every start order ends in the same tree ---------------------------

def test_nova_first_agent_first_and_restarts_end_in_the_same_tree(
        placement, client, host_a_inventory, tmp_path):
    # Nova first: the compute node exists; accel-api reports under it.
    nova_first = "compute-nova-first"
    placement.compute_node(nova_first, str(uuidlib.uuid4()))
    doc = _renamed(host_a_inventory, nova_first)
    result = sync.sync_document(client, _nova(nova_first), doc)
    assert result.state == sync.SYNCED and len(result.created) == 2
    expected = tree_shape(placement, nova_first)
    assert sorted(expected[nova_first][2]) == sorted(NOVA_FAKE_TRAITS)

    # Agent first: accel-api waits, creating nothing (nothing Nova could trip on).
    host = "compute-agent-first"
    doc = _renamed(host_a_inventory, host)
    waiting, cost = _counting(client, lambda: sync.sync_document(client, _nova(host), doc))
    assert waiting.state == sync.WAITING and cost["write"] == 0
    assert f"waiting for compute node provider {host!r}" in waiting.reason
    assert placement.get("/resource_providers", name=host).json()["resource_providers"] == []
    again = sync.sync_document(client, _nova(host), doc, stored=waiting.stored)
    assert again.state == sync.WAITING
    cn_uuid = str(uuidlib.uuid4())
    assert placement.compute_node(host, cn_uuid) == 200  # nova-compute starts: no conflict
    result = sync.sync_document(client, _nova(host), doc, stored=again.stored)
    assert result.state == sync.SYNCED and result.root_uuid == cn_uuid
    assert _same_shape(tree_shape(placement, host), host, expected, nova_first)

    # accel-api restarts (a new client, what the database kept): one read, no write.
    restarted = make_client(placement, tmp_path)
    again, cost = _counting(restarted, lambda: sync.sync_document(
        restarted, _nova(host), doc, stored=result.stored))
    assert cost == {"read": 1, "write": 0} and again.state == sync.SYNCED
    # nova-compute restarts (re-sets its inventory and traits): still no write of ours.
    assert placement.compute_node(host, cn_uuid) == 200
    again, cost = _counting(restarted, lambda: sync.sync_document(
        restarted, _nova(host), doc, stored=again.stored))
    assert cost == {"read": 1, "write": 0}
    assert _same_shape(tree_shape(placement, host), host, expected, nova_first)
    assert set(desired.from_document(host, doc)) <= _fpga_candidates(placement)


def _same_shape(shape, host, expected, expected_host):
    renamed = {name.replace(expected_host, host): (
        parent.replace(expected_host, host) if parent else None, inv, traits)
        for name, (parent, inv, traits) in expected.items()}
    assert shape == renamed
    return True


def test_a_leftover_root_in_novas_way_is_repaired_keeping_allocations(
        placement, client, host_a_inventory):
    host = "compute-legacy"
    doc, legacy, rps, held, consumer = _legacy_host(placement, client, host_a_inventory, host)
    cn_uuid = str(uuidlib.uuid4())
    assert placement.compute_node(host, cn_uuid) == 409  # what nova-compute hit
    # accel-api moves its providers out of the way and removes the bare root...
    result = sync.sync_document(client, _nova(host), doc)
    assert result.state == sync.WAITING and result.repaired and set(result.moved) == rps
    assert placement.get(f"/resource_providers/{legacy['uuid']}").status_code == 404
    # ... so nova-compute's next try creates its compute node, and accel-api moves its
    # providers under it: the allocation stays where it was.
    assert placement.compute_node(host, cn_uuid) == 200
    result = sync.sync_document(client, _nova(host), doc, stored=result.stored)
    assert result.state == sync.SYNCED and result.root_uuid == cn_uuid
    assert set(result.moved) == rps
    for rp in rps:
        assert placement.get(f"/resource_providers/{rp}").json()[
            "parent_provider_uuid"] == cn_uuid
    allocs = placement.get(f"/allocations/{consumer}").json()["allocations"]
    assert list(allocs) == [held]
    # Same tree as a host where Nova came first.
    other = "compute-legacy-ref"
    placement.compute_node(other, str(uuidlib.uuid4()))
    sync.sync_document(client, _nova(other), _renamed(host_a_inventory, other))
    assert _same_shape(tree_shape(placement, host), host, tree_shape(placement, other), other)


def test_a_bare_childless_root_is_removed_only_once_it_stayed_bare(
        placement, client, host_a_inventory):
    host = "compute-bare-root"
    doc = _renamed(host_a_inventory, host)
    bare = client.create_provider(host)
    t0 = dt.datetime(2026, 1, 1)
    first = sync.sync_document(client, _nova(host), doc, now=t0, empty_root_grace=60)
    assert first.state == sync.WAITING and first.stored.suspect_root_uuid == bare["uuid"]
    assert placement.get(f"/resource_providers/{bare['uuid']}").status_code == 200
    # Nova's own provider in the making gets its traits within moments: never removed.
    early = sync.sync_document(client, _nova(host), doc, stored=first.stored,
                               now=t0 + dt.timedelta(seconds=30), empty_root_grace=60)
    assert early.state == sync.WAITING
    assert placement.get(f"/resource_providers/{bare['uuid']}").status_code == 200
    late = sync.sync_document(client, _nova(host), doc, stored=early.stored,
                              now=t0 + dt.timedelta(seconds=61), empty_root_grace=60)
    assert late.state == sync.WAITING and late.repaired
    assert placement.get(f"/resource_providers/{bare['uuid']}").status_code == 404
    assert placement.compute_node(host, str(uuidlib.uuid4())) == 200


def test_a_standalone_host_becoming_a_nova_host_moves_under_the_compute_node(
        placement, client, host_a_inventory):
    host = "compute-was-standalone"
    doc = _renamed(host_a_inventory, host)
    before = sync.sync_document(client, _standalone(host), doc)
    # Declared a Nova host before nova-compute runs: left where they are meanwhile.
    waiting = sync.sync_document(client, _nova(host), doc, stored=before.stored)
    assert waiting.state == sync.WAITING
    assert placement.get(f"/resource_providers/{before.root_uuid}").status_code == 200
    cn_uuid = str(uuidlib.uuid4())
    assert placement.compute_node(host, cn_uuid) == 200
    result = sync.sync_document(client, _nova(host), doc, stored=waiting.stored)
    assert result.state == sync.SYNCED and len(result.moved) == 2
    assert placement.get(f"/resource_providers/{before.root_uuid}").status_code == 404


def test_nodename_differing_from_the_host_name(placement, client, host_a_inventory):
    host, nodename = "compute-fqdn", "compute-fqdn.example.org"
    doc = _renamed(host_a_inventory, host)
    waiting = sync.sync_document(client, _nova(host, nodename), doc)
    assert nodename in waiting.reason
    placement.compute_node(nodename, str(uuidlib.uuid4()))
    result = sync.sync_document(client, _nova(host, nodename), doc, stored=waiting.stored)
    assert result.state == sync.SYNCED
    names = {p["name"] for p in placement.get(
        "/resource_providers", in_tree=result.root_uuid).json()["resource_providers"]}
    assert names == {nodename} | {w.name for w in desired.from_document(host, doc).values()}


# -- what is not reported: functions Nova reports, partition pools not opted in ------------

@pytest.fixture(scope="module")
def gpu_vfio_inventory(tmp_path_factory):
    from tests.functional.programming.conftest import _inventory

    return copy.deepcopy(_inventory("gpu-vfio", str(tmp_path_factory.mktemp("gpu-vfio-root"))))


@pytest.fixture(scope="module")
def gpu_mig_inventory(tmp_path_factory):
    from tests.functional.programming.conftest import _inventory

    return copy.deepcopy(_inventory("gpu-mig", str(tmp_path_factory.mktemp("gpu-mig-root"))))


def test_functions_nova_reports_are_never_reported_twice(placement, client, gpu_vfio_inventory):
    """A VF Nova reports itself (PCI in Placement: provider ``<nodename>_<address>`` under
    the compute node) is skipped; the others are ours, marked OWNER_CYBORG."""
    host = "gpu-vfio"
    cn_uuid = str(uuidlib.uuid4())
    placement.compute_node(host, cn_uuid)
    nova_vf = client.create_provider(f"{host}_0000:3d:00.6", parent_uuid=cn_uuid)
    result = sync.sync_document(client, _nova(host), gpu_vfio_inventory)
    assert result.owned_by_nova == {"0000:3d:00.6": f"{host}_0000:3d:00.6"}
    vfs = [d["id"] for dev in gpu_vfio_inventory["devices"] for d in dev["deployables"]
           if d["kind"] == "vf" and d["num_accelerators"]]
    assert set(result.created) == {_rp(host, v) for v in vfs if v != "0000:3d:00.6"}
    for uuid in result.created:
        traits = placement.get(f"/resource_providers/{uuid}/traits").json()["traits"]
        assert {"OWNER_CYBORG", sync.MANAGED_TRAIT} <= set(traits)
    assert placement.get(f"/resource_providers/{nova_vf['uuid']}/traits").json()[
        "traits"] == []  # Nova's provider untouched
    again, cost = _counting(client, lambda: sync.sync_document(
        client, _nova(host), gpu_vfio_inventory, stored=result.stored))
    assert not again.created and not again.deleted and cost == {"read": 1, "write": 0}


def test_partition_pools_are_reported_only_where_opted_in(placement, client, gpu_mig_inventory):
    host = "gpu-mig"
    pools = {_rp(host, d["id"]) for dev in gpu_mig_inventory["devices"]
             for d in dev["deployables"] if d["kind"] == "mig"}
    result = sync.sync_document(client, _standalone(host), gpu_mig_inventory)
    assert not result.created and not set(result.unchanged) & pools
    result = sync.sync_document(client, _standalone(host), gpu_mig_inventory,
                                placement_hosts=[host], stored=result.stored)
    assert set(result.created) == pools
    resp = placement.get("/allocation_candidates", resources="CUSTOM_MIG_3G_40GB:1")
    assert resp.status_code == 200, resp.text
    assert len(resp.json()["allocation_requests"]) == 1
    result = sync.sync_document(client, _standalone(host), gpu_mig_inventory,
                                stored=result.stored)  # opted out again: removed
    assert set(result.deleted) == pools
