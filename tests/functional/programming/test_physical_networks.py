"""A SmartNIC's physical network end to end: the inventory document (as accel-agent's
``[agent] physical_networks`` writes it) through the real accel-api to a real Placement
(trait ``CUSTOM_PHYSNET_<NAME>`` on the device provider) and to the ARQ's
``attach_handle_info`` Nova reads for a port with a device profile."""

import uuid

import pytest
import requests

from ipa_fpga.agent import report
from tests.accel_api_helpers import inventory, running_server

pytestmark = pytest.mark.functional
HOST = "compute-physnet-1"


def test_physical_network_reaches_placement_and_attach_handle_info(placement):
    doc = inventory(HOST, devices=2, handles_per_device=1, resource_class="CUSTOM_NIC_VF",
                    traits=("CUSTOM_NIC_SMARTNIC",))
    doc["host"]["nova_compute"] = False
    first = doc["devices"][0]["id"]
    assert report.set_physical_networks(
        doc, report.parse_physical_networks([f"{first}=phys-net.1"])) == 1
    config = ("[api]\ngraceful_shutdown_timeout = 1\nclient_socket_timeout = 2\n"
              "[placement]\nauth_type = admin_token\ntoken = admin\n"
              f"endpoint = {placement.url}\nendpoint_override = {placement.url}\n")
    with running_server(config=config) as url:
        resp = requests.put(f"{url}/v2/hosts/{HOST}/inventory", json=doc, timeout=60)
        assert resp.status_code == 200, resp.text
        deps = requests.get(f"{url}/v2/deployables", params={"hostname": HOST},
                            timeout=10).json()["deployables"]
        wired = next(d for d in deps if first in d["name"])
        other = next(d for d in deps if first not in d["name"])
        traits = placement.get(f"/resource_providers/{wired['rp_uuid']}/traits").json()
        assert "CUSTOM_PHYSNET_PHYS_NET_1" in traits["traits"], traits
        traits = placement.get(f"/resource_providers/{other['rp_uuid']}/traits").json()
        assert not [t for t in traits["traits"] if t.startswith("CUSTOM_PHYSNET_")]
        resp = requests.post(f"{url}/v2/device_profiles", json=[{
            "name": "smartnic", "groups": [{"resources:CUSTOM_NIC_VF": "1"}]}], timeout=10)
        assert resp.status_code == 201, resp.text
        infos = {}
        for dep in (wired, other):
            arq = requests.post(f"{url}/v2/accelerator_requests",
                                json={"device_profile_name": "smartnic"},
                                timeout=10).json()["arqs"][0]["uuid"]
            resp = requests.patch(f"{url}/v2/accelerator_requests", json={arq: [
                {"path": "/hostname", "op": "add", "value": HOST},
                {"path": "/device_rp_uuid", "op": "add", "value": dep["rp_uuid"]},
                {"path": "/instance_uuid", "op": "add", "value": str(uuid.uuid4())}]},
                timeout=30)
            assert resp.status_code == 202, resp.text
            view = requests.get(f"{url}/v2/accelerator_requests/{arq}", timeout=10).json()
            assert view["state"] == "Bound", view
            infos[dep["rp_uuid"]] = view["attach_handle_info"]
        # What nova.accelerator.cyborg.get_arq_pci_device_profile reads.
        assert infos[wired["rp_uuid"]]["physical_network"] == "phys-net.1"
        assert set(infos[wired["rp_uuid"]]) == {"domain", "bus", "device", "function",
                                                "physical_network"}
        assert "physical_network" not in infos[other["rp_uuid"]]
