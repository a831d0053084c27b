"""The real accel-api process driven through openstacksdk's accelerator proxy, with
http_basic users in two projects for the isolation checks; on each database."""

import os
import tempfile
import uuid

import openstack
import pytest
import requests
from openstack import exceptions as sdk_exc

from tests.accel_api_helpers import (
    DATABASE_KINDS,
    inventory,
    running_server,
    scratch_database,
    write_htpasswd,
)

pytestmark = pytest.mark.functional
USERS = {"admin": "admin-pw", "nova": "nova-pw", "alice": "alice-pw", "bob": "bob-pw"}


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def server(request):
    with tempfile.TemporaryDirectory() as state, scratch_database(request.param) as db_url:
        htpasswd = os.path.join(state, "htpasswd")
        write_htpasswd(htpasswd, USERS)
        config = (
            "[api]\nauth_strategy = http_basic\nclient_socket_timeout = 2\n"
            f"[http_basic]\nauth_file = {htpasswd}\n"
            "user_projects = admin:admin,nova:service,alice:proj-a,bob:proj-b\n"
            "user_roles = admin:admin,nova:service,alice:member,bob:member\n")
        with running_server(state_dir=state, config=config, database=db_url) as url:
            yield url


def connect(url, user):
    return openstack.connection.Connection(
        auth_type="http_basic", auth={"username": user, "password": USERS[user]},
        accelerator_endpoint_override=url + "/v2", accelerator_api_version="2")


@pytest.fixture(scope="module")
def setup(server):
    admin = requests.Session()
    admin.auth = ("admin", USERS["admin"])
    resp = admin.put(f"{server}/v2/hosts/compute-1/inventory",
                     json=inventory("compute-1", devices=2, handles_per_device=2))
    assert resp.status_code == 200, resp.text
    assert resp.json()["devices"]["added"] == 2
    conn = connect(server, "admin")
    conn.accelerator.create_device_profile(
        name="fpga-one", description="one Intel FPGA region",
        groups=[{"resources:FPGA": "1", "trait:CUSTOM_FPGA_INTEL": "required"}])
    return admin


def _bind_patch(hostname, rp_uuid, instance):
    return [{"path": "/hostname", "op": "add", "value": hostname},
            {"path": "/device_rp_uuid", "op": "add", "value": rp_uuid},
            {"path": "/instance_uuid", "op": "add", "value": instance}]


def test_whole_claim_lifecycle_through_openstacksdk(server, setup):
    admin = connect(server, "admin")
    nova = connect(server, "nova")
    alice = connect(server, "alice")
    profiles = list(alice.accelerator.device_profiles())
    assert [p.name for p in profiles] == ["fpga-one"]
    assert alice.accelerator.get_device_profile(profiles[0].uuid).groups == profiles[0].groups
    deployables = list(admin.accelerator.deployables())
    assert len(deployables) == 2 and all(d.num_accelerators == 2 for d in deployables)
    dep = admin.accelerator.get_deployable(deployables[0].id)
    devices = list(admin.accelerator.devices())
    assert {d.hostname for d in devices} == {"compute-1"}
    assert admin.accelerator.get_device(devices[0].uuid).model == "PAC Arria10"
    attrs = list(admin.accelerator.attributes())
    assert {a.key for a in attrs} == {"region_id"}
    new_attr = admin.accelerator.create_attribute(deployable_id=attrs[0].deployable_id,
                                                  key="owner", value="lab")
    assert admin.accelerator.get_attribute(new_attr.uuid).value == "lab"
    admin.accelerator.delete_attribute(new_attr.uuid)

    arq = alice.accelerator.create_accelerator_request(device_profile_name="fpga-one")
    assert arq.state == "Initial" and arq.device_profile_group_id == 0
    instance = str(uuid.uuid4())
    rp_uuid = requests.get(f"{server}/v2/deployables/{dep.id}",
                           auth=("admin", USERS["admin"])).json()["rp_uuid"]
    nova.accelerator.update_accelerator_request(arq.uuid, _bind_patch("compute-1", rp_uuid,
                                                                       instance))
    bound = alice.accelerator.get_accelerator_request(arq.uuid)
    assert bound.state == "Bound" and bound.instance_uuid == instance
    assert bound.attach_handle_type == "PCI"
    info = bound.attach_handle_info
    assert f"{info['domain']}:{info['bus']}:{info['device']}.{info['function']}" in {
        "0000:3b:00.0", "0000:3b:00.1"}
    raw = requests.get(f"{server}/v2/accelerator_requests/{arq.uuid}",
                       auth=("alice", USERS["alice"])).json()
    assert uuid.UUID(raw["attach_handle_uuid"])  # Cyborg's field (an MDEV's uuid)
    resolved = list(nova.accelerator.accelerator_requests(instance=instance,
                                                          bind_state="resolved"))
    assert [a.uuid for a in resolved] == [arq.uuid]
    nova.accelerator.update_accelerator_request(arq.uuid, [
        {"path": "/hostname", "op": "remove"}, {"path": "/device_rp_uuid", "op": "remove"},
        {"path": "/instance_uuid", "op": "remove"}])
    assert alice.accelerator.get_accelerator_request(arq.uuid).state == "Unbound"
    alice.accelerator.delete_accelerator_request(arq.uuid)
    with pytest.raises(sdk_exc.NotFoundException):
        alice.accelerator.get_accelerator_request(arq.uuid)

    def _status():
        return requests.get(f"{server}/v2/devices/{devices[0].uuid}",
                            headers={"OpenStack-API-Version": "accelerator 2.3"},
                            auth=("admin", USERS["admin"])).json()["status"]

    admin.accelerator.disable_device(devices[0].uuid)
    assert _status() == "disabled"
    admin.accelerator.enable_device(devices[0].uuid)
    assert _status() == "enabled"
    temp = admin.accelerator.create_device_profile(
        name="temp", groups=[{"resources:FPGA": "1"}])
    admin.accelerator.delete_device_profile(temp.uuid)
    assert [p.name for p in admin.accelerator.device_profiles()] == ["fpga-one"]


def test_unresolved_instance_is_locked(server, setup):
    nova = connect(server, "nova")
    alice = connect(server, "alice")
    arq = alice.accelerator.create_accelerator_request(device_profile_name="fpga-one")
    instance = str(uuid.uuid4())
    url = f"{server}/v2/accelerator_requests"
    rp_uuid = next(nova.accelerator.deployables()).id
    rp_uuid = requests.get(f"{server}/v2/deployables/{rp_uuid}",
                           auth=("nova", USERS["nova"])).json()["rp_uuid"]
    nova.accelerator.update_accelerator_request(arq.uuid, _bind_patch("compute-1", rp_uuid,
                                                                       instance))
    second = alice.accelerator.create_accelerator_request(device_profile_name="fpga-one")
    # Another ARQ of the same instance and group unit: refused by the unique guard.
    resp = requests.patch(url, auth=("nova", USERS["nova"]), json={
        second.uuid: _bind_patch("compute-1", rp_uuid, instance)})
    assert resp.status_code == 409, resp.text
    resp = requests.get(url, params={"instance": instance, "bind_state": "resolved"},
                        auth=("nova", USERS["nova"]))
    assert resp.status_code == 200
    resp = requests.delete(url, params={"instance": instance}, auth=("nova", USERS["nova"]))
    assert resp.status_code == 204
    requests.delete(url, params={"arqs": second.uuid}, auth=("alice", USERS["alice"]))


def test_other_projects_cannot_see_bind_unbind_or_delete(server, setup):
    alice = connect(server, "alice")
    bob = connect(server, "bob")
    arq = alice.accelerator.create_accelerator_request(device_profile_name="fpga-one")
    assert arq.uuid not in {a.uuid for a in bob.accelerator.accelerator_requests()}
    assert arq.uuid in {a.uuid for a in alice.accelerator.accelerator_requests()}
    with pytest.raises(sdk_exc.NotFoundException):
        bob.accelerator.get_accelerator_request(arq.uuid)
    rp_uuid = requests.get(f"{server}/v2/deployables", auth=("admin", USERS["admin"])
                           ).json()["deployables"][1]["rp_uuid"]
    with pytest.raises(sdk_exc.ForbiddenException):
        bob.accelerator.update_accelerator_request(
            arq.uuid, _bind_patch("compute-1", rp_uuid, str(uuid.uuid4())))
    with pytest.raises(sdk_exc.ForbiddenException):
        alice.accelerator.update_accelerator_request(
            arq.uuid, _bind_patch("compute-1", rp_uuid, str(uuid.uuid4())))
    with pytest.raises(sdk_exc.ForbiddenException):
        bob.accelerator.update_accelerator_request(arq.uuid, [
            {"path": "/hostname", "op": "remove"}])
    with pytest.raises(sdk_exc.NotFoundException):
        bob.accelerator.delete_accelerator_request(arq.uuid, ignore_missing=False)
    assert alice.accelerator.get_accelerator_request(arq.uuid).state == "Initial"
    resp = requests.delete(f"{server}/v2/accelerator_requests",
                           params={"instance": str(uuid.uuid4())}, auth=("bob", USERS["bob"]))
    assert resp.status_code == 403
    for path in ("devices", "deployables", "attributes", "hosts"):
        assert requests.get(f"{server}/v2/{path}", auth=("bob", USERS["bob"])
                            ).status_code == 403
    with pytest.raises(sdk_exc.ForbiddenException):
        bob.accelerator.create_device_profile(name="x", groups=[{"resources:FPGA": "1"}])
    resp = requests.put(f"{server}/v2/hosts/evil/inventory", json=inventory("evil"),
                        auth=("bob", USERS["bob"]))
    assert resp.status_code == 403
    assert requests.get(f"{server}/v2/devices").status_code == 401
    assert requests.get(f"{server}/v2/devices", auth=("bob", "wrong")).status_code == 401
    alice.accelerator.delete_accelerator_request(arq.uuid)


def test_one_call_claim_gives_the_pci_address_and_is_project_scoped(server, setup):
    alice = ("alice", USERS["alice"])
    bob = ("bob", USERS["bob"])
    resp = requests.post(f"{server}/v2/claims", auth=alice, json={
        "hostname": "compute-1", "resource_class": "FPGA", "traits": ["CUSTOM_FPGA_INTEL"],
        "bitstream_id": None})
    assert resp.status_code == 201, resp.text
    claim = resp.json()
    assert claim["pci_address"].startswith("0000:3") and claim["state"] == "Bound"
    assert requests.get(f"{server}/v2/claims/{claim['uuid']}", auth=bob).status_code == 404
    assert requests.delete(f"{server}/v2/claims/{claim['uuid']}", auth=bob).status_code == 404
    assert requests.delete(f"{server}/v2/claims/{claim['uuid']}", auth=alice
                           ).status_code == 204
    resp = requests.post(f"{server}/v2/claims", auth=alice, json={
        "hostname": "compute-1", "resource_class": "FPGA", "traits": ["CUSTOM_NOT_THERE"]})
    assert resp.status_code == 409
