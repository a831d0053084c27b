"""The real accel-api reporting to a real Placement: imports, the hosts' Placement state in
the API, retries of hosts waiting for their compute node, restarts."""

import copy
import os
import uuid as uuidlib

import pytest
import requests

from accel_api.placement import desired
from tests.accel_api_helpers import free_port, running_server
from tests.realprocs.base import wait_for

pytestmark = pytest.mark.functional
WAIT_LINE = "waiting for compute node provider"


def _config(url, extra=""):
    return ("[api]\ngraceful_shutdown_timeout = 1\nclient_socket_timeout = 2\n"
            "[placement]\nauth_type = admin_token\ntoken = admin\n"
            f"endpoint = {url}\nendpoint_override = {url}\n" + extra)


def _fpga_candidates(placement):
    resp = placement.get("/allocation_candidates", resources="FPGA:1",
                         required="CUSTOM_FPGA_INTEL")
    assert resp.status_code == 200, resp.text
    return {rp for req in resp.json()["allocation_requests"] for rp in req["allocations"]}


def _doc(base, host, nova_compute=None):
    doc = copy.deepcopy(base)
    doc["host"]["hostname"] = host
    if nova_compute is not None:
        doc["host"]["nova_compute"] = nova_compute
    return doc


def _placement_state(url, host):
    resp = requests.get(f"{url}/v2/hosts/{host}", timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()["placement"]


def test_accel_api_reports_each_import_to_placement(placement, host_a_inventory):
    """A standalone host: an import lands in Placement, and the rp_uuid accel_api hands
    Nova is the provider Placement offers; disabling reserves at once."""
    host = "compute-api-1"
    doc = _doc(host_a_inventory, host, nova_compute=False)
    with running_server(config=_config(placement.url)) as url:
        resp = requests.put(f"{url}/v2/hosts/{host}/inventory", json=doc, timeout=60)
        assert resp.status_code == 200, resp.text
        assert resp.json()["placement"]["created"] == 2
        state = _placement_state(url, host)
        assert state["state"] == "synced" and state["kind"] == "standalone"
        deps = requests.get(f"{url}/v2/deployables", params={"hostname": host},
                            timeout=10).json()["deployables"]
        rps = {d["rp_uuid"] for d in deps if d["resource_class"] == "FPGA"}
        assert len(rps) == 2 and rps <= _fpga_candidates(placement)
        # An unchanged report changes nothing, and (checked moments ago) asks Placement
        # nothing: neither the import nor Placement has work to do.
        doc["collected_at"] = "2026-12-02T10:00:00Z"
        resp = requests.put(f"{url}/v2/hosts/{host}/inventory", json=doc, timeout=60)
        assert resp.json()["unchanged"] is True, resp.text
        assert resp.json()["placement"]["unchanged"] == 2, resp.text
        assert resp.json()["placement"]["requests"] == {"read": 0, "write": 0}
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
    dead = f"http://127.0.0.1:{free_port()}"
    with running_server(config=_config(dead)) as url:
        host = host_a_inventory["host"]["hostname"]
        resp = requests.put(f"{url}/v2/hosts/{host}/inventory", json=host_a_inventory,
                            timeout=60)
        assert resp.status_code == 200 and "unreachable" in resp.json()["placement"]["error"]
        state = _placement_state(url, host)
        assert state["state"] == "error" and "unreachable" in state["reason"]
        assert state["next_try_at"]
        device = requests.get(f"{url}/v2/devices", timeout=10).json()["devices"][0]["uuid"]
        resp = requests.post(f"{url}/v2/devices/{device}/disable", timeout=30)
        assert resp.status_code == 200
        status = requests.get(f"{url}/v2/devices/{device}", timeout=10,
                              headers={"OpenStack-API-Version": "accelerator 2.3"})
        assert status.json()["status"] == "disabled"


def test_agent_first_waits_visibly_then_reports_under_the_compute_node_across_restarts(
        placement, host_a_inventory, tmp_path):
    """accel-agent reports before nova-compute started: the host waits (its API view and
    one log line say so), accel-api retries by itself, also after a restart, and the
    providers end under the compute node nova-compute then creates."""
    host, later = "compute-agent-first-api", "compute-after-restart"
    config = _config(placement.url, "compute_node_retry_interval = 1\n"
                                    "compute_node_retry_max_interval = 2\n"
                                    "verify_interval = 0\n")
    state_dir = str(tmp_path / "api")
    os.makedirs(state_dir)
    log = os.path.join(state_dir, "accel-api.log")
    with running_server(state_dir=state_dir, config=config) as url:
        for _ in range(3):  # the agent reports again meanwhile
            resp = requests.put(f"{url}/v2/hosts/{host}/inventory",
                                json=_doc(host_a_inventory, host), timeout=60)
            assert resp.status_code == 200, resp.text
            assert resp.json()["placement"]["state"] == "waiting"
        state = _placement_state(url, host)
        assert state["state"] == "waiting" and state["kind"] == "nova"
        assert state["reason"].startswith(f"waiting for compute node provider {host!r} since ")
        listed = requests.get(f"{url}/v2/hosts", timeout=10).json()["hosts"]
        assert any(h["hostname"] == host and h["placement"]["state"] == "waiting"
                   for h in listed)
        assert placement.get("/resource_providers", name=host).json()[
            "resource_providers"] == []
        # nova-compute starts: its create succeeds, and accel-api's retries find it.
        cn_uuid = str(uuidlib.uuid4())
        assert placement.compute_node(host, cn_uuid) == 200
        wait_for(lambda: _placement_state(url, host)["state"] == "synced", 60,
                 what="the retrier to report under the compute node")
        assert _placement_state(url, host)["root_provider_uuid"] == cn_uuid
        # verify_interval = 0: each unchanged report checks Placement, with one read.
        resp = requests.put(f"{url}/v2/hosts/{host}/inventory",
                            json=_doc(host_a_inventory, host), timeout=60)
        assert resp.json()["placement"]["requests"] == {"read": 1, "write": 0}, resp.text
        assert resp.json()["placement"]["unchanged"] == 2
        rps = set(desired.from_document(host, _doc(host_a_inventory, host)))
        for rp in rps:
            assert placement.get(f"/resource_providers/{rp}").json()[
                "parent_provider_uuid"] == cn_uuid
        # Another host starts waiting just before accel-api stops.
        resp = requests.put(f"{url}/v2/hosts/{later}/inventory",
                            json=_doc(host_a_inventory, later), timeout=60)
        assert resp.json()["placement"]["state"] == "waiting"
    with open(log) as f:
        text = f.read()
    assert text.count(f"host {host}: {WAIT_LINE}") == 1, text[-3000:]
    assert f"host {host}: compute node provider {host!r} found after" in text

    # accel-api restarted; nova-compute starts on the other host meanwhile.
    placement.compute_node(later, str(uuidlib.uuid4()))
    with running_server(state_dir=state_dir, config=config) as url:
        wait_for(lambda: _placement_state(url, later)["state"] == "synced", 60,
                 what="the restarted accel-api to retry the waiting host")
        assert _placement_state(url, host)["state"] == "synced"

