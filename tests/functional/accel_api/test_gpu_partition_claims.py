"""GPU partitions through accel-api and the host's accel-agent, end to end.

Each host runs as ``tests.programming_helpers.Stack``: the real accel-api and accel-agent
processes (JSON-RPC over http_basic) on a fixture root of a bundled GPU host, with the
kernel simulator (mdev ``create``/``remove``, ``current_vgpu_type``) and the fixture's
model of ``nvidia-smi`` (MIG) standing in for the kernel, the driver and NVIDIA's tool.
The claim (``POST /v2/claims``) makes the partition and the release removes it, both
checked in the fixture's sysfs / the tool's listing; Nova's path (ARQs) takes only what
Nova can attach.
"""

import os
import subprocess
import uuid

import pytest

from tests.programming_helpers import Stack

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def mig(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("gpu-mig"), host="gpu-mig").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def mdev(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("gpu-mdev"), host="gpu-mdev").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def vfio(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("gpu-vfio"), host="gpu-vfio").start()
    yield s
    s.stop()


def _claim(stack, user="alice", **body):
    return stack.session(user).post(f"{stack.url}/v2/claims",
                                    json=dict(body, hostname=stack.hostname))


def _release(stack, claim, user="alice"):
    resp = stack.session(user).delete(f"{stack.url}/v2/claims/{claim['uuid']}")
    assert resp.status_code == 204, resp.text


def _gpu_instances(stack):
    out = subprocess.run([os.path.join(stack.root, "usr/bin/nvidia-smi"), "mig", "-lgi"],
                         capture_output=True, text=True, check=False).stdout
    rows = [line.split() for line in out.splitlines() if line.startswith("|") and "MIG" in line]
    return {(int(r[1]), r[3], int(r[5])) for r in rows}  # (gpu index, profile, GI id)


def _read(path):
    with open(path) as f:
        return f.read().strip()


def test_mig_claim_creates_an_instance_and_release_destroys_it(mig):
    before = _gpu_instances(mig)
    resp = _claim(mig, resource_class="CUSTOM_MIG_3G_40GB")
    assert resp.status_code == 201, resp.text
    claim = resp.json()
    info = claim["attach_handle_info"]
    assert claim["attach_handle_type"] == "MIG" and claim["partition"]["created"] is True
    assert (info["domain"], info["bus"], info["device"], info["function"]) == (
        "0000", "0f", "00", "0")
    assert info["mig_profile"] == "3g.40gb" and info["compute_instance_id"] == "0"
    gi = int(info["gpu_instance_id"])
    assert _gpu_instances(mig) - before == {(1, "3g.40gb", gi)}
    caps = os.path.join(mig.root, f"proc/driver/nvidia/capabilities/gpu1/mig/gi{gi}")
    assert os.path.exists(os.path.join(caps, "ci0", "access"))
    _release(mig, claim)
    assert _gpu_instances(mig) == before and not os.path.exists(caps)


def test_mig_claim_hands_out_an_existing_instance_and_keeps_it(mig):
    before = _gpu_instances(mig)
    resp = _claim(mig, resource_class="CUSTOM_MIG_1G_10GB")
    assert resp.status_code == 201, resp.text
    claim = resp.json()
    # gpu0's layout (7 x 1g.10gb, made by configure_gpu_partitions) comes first.
    assert claim["partition"]["created"] is False
    assert claim["attach_handle_info"]["gpu_instance_id"] in {str(g) for g in range(7, 14)}
    _release(mig, claim)
    assert _gpu_instances(mig) == before


def test_mig_claim_without_room_is_refused_clearly(mig):
    held = []
    try:
        resp = _claim(mig, resource_class="CUSTOM_MIG_7G_80GB")
        assert resp.status_code == 201, resp.text
        held.append(resp.json())
        resp = _claim(mig, resource_class="CUSTOM_MIG_3G_40GB")  # the 7g took every slice
        assert resp.status_code == 409, resp.text
        assert "Insufficient Resources" in resp.text or "claimed" in resp.text
    finally:
        for claim in held:
            _release(mig, claim)


def test_nova_is_refused_mig_profiles_when_arqs_are_created(mig):
    admin = mig.session("admin")
    resp = admin.post(f"{mig.url}/v2/device_profiles", json=[{
        "name": "mig-for-nova", "groups": [{"resources:CUSTOM_MIG_1G_10GB": "1"}]}])
    assert resp.status_code == 201, resp.text
    resp = mig.session("nova").post(f"{mig.url}/v2/accelerator_requests",
                                    json={"device_profile_name": "mig-for-nova"})
    assert resp.status_code == 400, resp.text
    assert "Nova cannot attach" in resp.text and "/v2/claims" in resp.text


def test_mdev_claim_creates_the_mdev_with_the_handle_uuid(mdev):
    resp = _claim(mdev, resource_class="VGPU", traits=["CUSTOM_MDEV_NVIDIA_713"])
    assert resp.status_code == 201, resp.text
    claim = resp.json()
    info = claim["attach_handle_info"]
    assert claim["attach_handle_type"] == "MDEV" and claim["partition"]["created"] is True
    assert info["asked_type"] == "nvidia-713" and info["bus"] == "25"
    assert info["mdev_uuid"] == claim["attach_handle_uuid"]
    parent = f"{info['domain']}:{info['bus']}:{info['device']}.{info['function']}"
    assert parent in ("0000:25:00.6", "0000:25:00.7")
    link = os.path.join(mdev.root, "sys/bus/mdev/devices", info["mdev_uuid"])
    assert os.path.basename(os.readlink(os.path.join(link, "mdev_type"))) == "nvidia-713"
    types = os.path.join(mdev.root, "sys/bus/pci/devices", parent, "mdev_supported_types")
    assert _read(os.path.join(types, "nvidia-721", "available_instances")) == "0"
    # One vGPU per VF: the other types of that VF are not handed out any more.
    second = _claim(mdev, resource_class="VGPU", traits=["CUSTOM_MDEV_NVIDIA_713"])
    assert second.status_code == 201, second.text
    other = second.json()["attach_handle_info"]
    assert f"{other['domain']}:{other['bus']}:{other['device']}.{other['function']}" != parent
    _release(mdev, second.json())
    _release(mdev, claim)
    assert not os.path.lexists(link)
    assert _read(os.path.join(types, "nvidia-713", "available_instances")) == "1"


def test_nova_is_refused_mdev_profiles(mdev):
    admin = mdev.session("admin")
    resp = admin.post(f"{mdev.url}/v2/device_profiles", json=[{
        "name": "a16-4c", "groups": [{"resources:VGPU": "1",
                                      "trait:CUSTOM_NVIDIA_25B6_A16_4C": "required"}]}])
    assert resp.status_code == 201, resp.text
    resp = mdev.session("nova").post(f"{mdev.url}/v2/accelerator_requests",
                                     json={"device_profile_name": "a16-4c"})
    assert resp.status_code == 400, resp.text
    assert "mdev" in resp.text and "PCI devices only" in resp.text


def _vgpu_vf(stack, claim):
    info = claim["attach_handle_info"]
    return f"{info['domain']}:{info['bus']}:{info['device']}.{info['function']}"


def _current(stack, vf):
    return _read(os.path.join(stack.root, "sys/bus/pci/devices", vf, "nvidia",
                              "current_vgpu_type"))


def test_vgpu_claim_sets_the_type_and_release_clears_it(vfio):
    held = []
    try:
        made = None
        for _ in range(3):  # .4 and .5 already hold L40S-6Q: handed out as they are
            resp = _claim(vfio, resource_class="VGPU", traits=["CUSTOM_VGPU_L40S_6Q"])
            assert resp.status_code == 201, resp.text
            held.append(resp.json())
            if resp.json()["partition"]["created"]:
                made = resp.json()
                break
        assert made is not None, held
        vf = _vgpu_vf(vfio, made)
        assert made["attach_handle_type"] == "PCI" and made["pci_address"] == vf
        assert made["attach_handle_info"]["vgpu_type"] == "1151"
        assert _current(vfio, vf) == "1151"
        _release(vfio, held.pop())
        assert _current(vfio, vf) == "0"
    finally:
        for claim in held:
            _release(vfio, claim)
    assert _current(vfio, "0000:3d:00.4") == "1151"  # not ours: kept


def test_nova_binds_a_vendor_vfio_vf_and_the_agent_sets_its_type(vfio):
    admin, nova = vfio.session("admin"), vfio.session("nova")
    resp = admin.post(f"{vfio.url}/v2/device_profiles", json=[{
        "name": "l40s-6q", "groups": [{"resources:VGPU": "1",
                                       "trait:CUSTOM_VGPU_L40S_6Q": "required",
                                       "accel:vgpu_type": "L40S-6Q"}]}])
    assert resp.status_code == 201, resp.text
    resp = nova.post(f"{vfio.url}/v2/accelerator_requests",
                     json={"device_profile_name": "l40s-6q"})
    assert resp.status_code == 201, resp.text
    arq = resp.json()["arqs"][0]["uuid"]
    deps = admin.get(f"{vfio.url}/v2/deployables", params={"hostname": vfio.hostname}).json()
    free = next(d for d in deps["deployables"] if d["name"].endswith("0000:3d:01.3"))
    instance = str(uuid.uuid4())
    resp = nova.patch(f"{vfio.url}/v2/accelerator_requests", json={arq: [
        {"path": "/hostname", "op": "add", "value": vfio.hostname},
        {"path": "/device_rp_uuid", "op": "add", "value": free["rp_uuid"]},
        {"path": "/instance_uuid", "op": "add", "value": instance}]})
    assert resp.status_code == 202, resp.text
    got = nova.get(f"{vfio.url}/v2/accelerator_requests/{arq}").json()
    assert got["state"] == "Bound" and got["attach_handle_type"] == "PCI"
    assert got["attach_handle_info"] == {"domain": "0000", "bus": "3d", "device": "01",
                                         "function": "3", "vgpu_type": "1151"}
    assert _current(vfio, "0000:3d:01.3") == "1151"
    resp = nova.delete(f"{vfio.url}/v2/accelerator_requests", params={"instance": instance})
    assert resp.status_code == 204, resp.text
    assert _current(vfio, "0000:3d:01.3") == "0"


def test_nova_bind_of_a_vf_on_a_full_card_is_refused_with_the_reason(vfio):
    admin, nova = vfio.session("admin"), vfio.session("nova")
    resp = nova.post(f"{vfio.url}/v2/accelerator_requests",
                     json={"device_profile_name": "l40s-6q"})
    arq = resp.json()["arqs"][0]["uuid"]
    deps = admin.get(f"{vfio.url}/v2/deployables", params={"hostname": vfio.hostname}).json()
    held = next(d for d in deps["deployables"] if d["name"].endswith("0000:5e:00.4"))
    resp = nova.patch(f"{vfio.url}/v2/accelerator_requests", json={arq: [
        {"path": "/hostname", "op": "add", "value": vfio.hostname},
        {"path": "/device_rp_uuid", "op": "add", "value": held["rp_uuid"]},
        {"path": "/instance_uuid", "op": "add", "value": str(uuid.uuid4())}]})
    assert resp.status_code == 409, resp.text
    assert "already holds vGPU type 1156" in resp.text
    got = nova.get(f"{vfio.url}/v2/accelerator_requests/{arq}").json()
    assert got["state"] == "BindFailed"
    assert _current(vfio, "0000:5e:00.4") == "1156"
