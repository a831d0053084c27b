"""A real Nova booting servers whose flavors name accel-api device profiles.

The cloud (``conftest.py``) is real end to end and authenticated by a real Keystone;
only the kernel's accelerator drivers are modelled (fixture sysfs roots with the kernel
simulator). Neutron is not run (see ``tests/realprocs/nova.NeutronStub``): servers boot
with no network.
"""

import os
import signal

import pytest

from tests.functional.nova.conftest import HOSTS, SLOW
from tests.programming_helpers import bitstream
from tests.realprocs import base

pytestmark = [pytest.mark.functional, pytest.mark.postgresql]
IFACE = "f3c99413-5081-4aad-bced-07eb84a6d0bb"  # host-a's N3000 PR interface
OTHER_IFACE = "25d8bd3f-c344-5e2b-a5c2-d4b9e2c8c1c5"
AFU_GZIP = "8d1e5b4a-8f2e-4c6b-9d1a-0c2b3e4f5a6b"
AFU_NLB = "d8424dc4-a4a3-c413-f89e-433683f9040b"
#: What accel-api's FPGA profiles ask for on host-a's regions.
FPGA = {"resources:FPGA": "1", "trait:CUSTOM_FPGA_INTEL": "required"}


def _device_providers(cloud, key):
    """{rp_uuid: provider} of accel-api's providers in the compute node's tree."""
    root = cloud.compute_provider(HOSTS[key][0])
    return {p["uuid"]: p for p in cloud.providers_in_tree(root) if p["uuid"] != root}


def _sysfs(cloud, key, vf, name):
    path = os.path.join(cloud.agents[key].root, "sys/bus/pci/devices", vf, "nvidia", name)
    with open(path) as f:
        return f.read().strip()


def _booted_with_its_device(cloud, server_id, key, resource_class):
    """ACTIVE, one ARQ Bound to a provider of host ``key``, allocated in Placement."""
    server = cloud.wait_server(server_id)
    assert server["status"] == "ACTIVE", server.get("fault")
    assert server["OS-EXT-SRV-ATTR:host"] == HOSTS[key][0]
    arqs = cloud.arqs_of(server_id)
    assert [a["state"] for a in arqs] == ["Bound"], arqs
    arq = arqs[0]
    assert arq["hostname"] == HOSTS[key][0] and arq["instance_uuid"] == server_id
    assert arq["attach_handle_type"] == "PCI"
    providers = _device_providers(cloud, key)
    assert arq["device_rp_uuid"] in providers
    allocations = cloud.allocations(server_id)
    assert allocations[arq["device_rp_uuid"]]["resources"] == {resource_class: 1}
    root = cloud.compute_provider(HOSTS[key][0])
    assert allocations[root]["resources"]["VCPU"] == 1
    return arq


def _freed(cloud, server_id, handles_before):
    cloud.delete(server_id)
    # Nova's compute deletes the ARQs after the instance: wait for it, never sleep.
    base.wait_for(lambda: not cloud.arqs_of(server_id), SLOW, 0.5, "the ARQs deleted")
    assert cloud.allocations(server_id) == {}
    assert cloud.handles_in_use() == handles_before


def test_both_start_orders_end_in_the_compute_nodes_tree(cloud):
    # compute-b's agent reported first: accel-api waited for nova-compute's provider.
    assert cloud.waiting_seen["root_provider_uuid"] is None
    assert "waiting for compute node provider 'compute-b'" in cloud.waiting_seen["reason"]
    for key in HOSTS:
        state = cloud.host_placement(key)
        root = cloud.compute_provider(HOSTS[key][0])
        assert state["state"] == "synced" and state["root_provider_uuid"] == root, state
        tree = cloud.providers_in_tree(root)
        # One tree: nova-compute's root (with its inventory) and accel-api's children.
        assert {p["root_provider_uuid"] for p in tree} == {root}
        assert len(tree) > 1
        inventory = cloud.placement.get(f"/resource_providers/{root}/inventories").json()
        assert "VCPU" in inventory["inventories"]
    assert "Conflicting resource provider name" not in cloud.nova.log("nova-compute-compute-b")


def test_boot_with_an_fpga_profile_then_delete_frees_everything(cloud):
    handles = cloud.handles_in_use()
    cloud.device_profile("fpga-region", FPGA)
    server = cloud.boot(cloud.flavor("fpga-region"), "fpga-vm")
    arq = _booted_with_its_device(cloud, server, "a", "FPGA")
    assert cloud.handles_in_use() - handles
    # Nova's bind got through with Nova's service token: the user's token alone may not
    # change the binding of the user's own ARQ.
    resp = cloud.accel("demo").patch(f"{cloud.api.url}/v2/accelerator_requests", json={
        arq["uuid"]: [{"path": "/hostname", "op": "remove"},
                      {"path": "/device_rp_uuid", "op": "remove"},
                      {"path": "/instance_uuid", "op": "remove"}]})
    assert resp.status_code == 403, resp.text
    assert cloud.accel("demo").get(
        f"{cloud.api.url}/v2/accelerator_requests/{arq['uuid']}").json()["state"] == "Bound"
    _freed(cloud, server, handles)
    assert arq["device_rp_uuid"] in _device_providers(cloud, "a")


def test_boot_with_a_vf_framework_vgpu_sets_the_type_and_delete_releases_it(cloud):
    handles = cloud.handles_in_use()
    cloud.device_profile("l40s-6q", {"resources:VGPU": "1",
                                     "trait:CUSTOM_VGPU_L40S_6Q": "required",
                                     "accel:vgpu_type": "L40S-6Q"})
    server = cloud.boot(cloud.flavor("l40s-6q"), "vgpu-vm")
    arq = _booted_with_its_device(cloud, server, "b", "VGPU")
    info = arq["attach_handle_info"]
    vf = f"{info['domain']}:{info['bus']}:{info['device']}.{info['function']}"
    assert info["vgpu_type"] == "1151"
    # The agent wrote the type into the VF at bind (the kernel simulator made it).
    assert _sysfs(cloud, "b", vf, "current_vgpu_type") == "1151"
    _freed(cloud, server, handles)
    if vf not in ("0000:3d:00.4", "0000:3d:00.5"):  # the fixture's own 6Q VFs stay
        assert _sysfs(cloud, "b", vf, "current_vgpu_type") == "0"


def _errored_holding_nothing(cloud, server_id, handles_before):
    """ERROR with no ARQ and no handle held by accel-api. Nova keeps an ERROR server's
    Placement allocations until the server is deleted (its own behaviour): the delete
    frees them."""
    server = cloud.wait_server(server_id)
    assert server["status"] == "ERROR", server
    assert cloud.arqs_of(server_id) == []
    assert cloud.handles_in_use() == handles_before
    cloud.delete(server_id)
    assert cloud.allocations(server_id) == {}
    return server


def test_a_refused_bind_puts_the_server_in_error_holding_nothing(cloud):
    handles = cloud.handles_in_use()
    # A bitstream for another PR interface: accel-api refuses the bind (409) at once.
    other = cloud.upload(bitstream(OTHER_IFACE, AFU_NLB), OTHER_IFACE, AFU_NLB, "n6000-nlb")
    cloud.device_profile("wrong-iface", dict(FPGA, **{"accel:bitstream_id": other["uuid"]}))
    server = cloud.boot(cloud.flavor("wrong-iface"), "refused-vm")
    server_view = _errored_holding_nothing(cloud, server, handles)
    assert "Failed to bind accelerator requests" in server_view["fault"]["message"], \
        server_view["fault"]


#: Partition profiles Nova can schedule (compute-c and -d report their pools to Placement,
#: ``[gpu_partitions] placement_hosts``) but not consume: (host, profile, group, what
#: accel-api's reason says, the form its log line names).
REFUSED_FOR_NOVA = {
    "mig": ("c", "mig-1g", {"resources:CUSTOM_MIG_1G_10GB": "1"},
            ("MIG instance", "Nova cannot attach"), "a MIG instance"),
    # Cyborg's trait of the A16-4C type, as the fixture's mdev pools advertise it.
    "mdev": ("d", "a16-4c", {"resources:VGPU": "1",
                             "trait:CUSTOM_NVIDIA_25B6_A16_4C": "required"},
             ("an mdev vGPU (MDEV attach handle)", "attaches PCI devices only"),
             "an mdev vGPU"),
}


def _mdevs(cloud, key):
    return sorted(os.listdir(os.path.join(cloud.agents[key].root, "sys/bus/mdev/devices")))


@pytest.mark.parametrize("form", sorted(REFUSED_FOR_NOVA))
def test_a_partition_profile_is_refused_at_arq_creation_with_its_reason(cloud, form):
    # Nova schedules there (the pools are in Placement, under the compute node); accel-api's
    # refusal when the conductor creates the ARQs is what keeps the VM from booting
    # without its GPU. (The claim path takes both: test_gpu_partition_claims.)
    key, name, group, reason, logged = REFUSED_FOR_NOVA[form]
    offers = [d for d in cloud.deployables(key)
              if all(t[6:] in d["traits"] for t in group if t.startswith("trait:"))
              and any(f"resources:{d['resource_class']}" == r for r in group)]
    assert offers and {d["rp_uuid"] for d in offers} <= set(_device_providers(cloud, key))
    handles = cloud.handles_in_use()
    mdevs = _mdevs(cloud, "d")
    cloud.device_profile(name, group)
    server = cloud.boot(cloud.flavor(name), f"{form}-vm")
    server_view = _errored_holding_nothing(cloud, server, handles)
    # Nova 34's Cyborg client keeps only the status of the refusal in the fault (the
    # conductor creates the ARQs once the scheduler picked the host: no "No valid host")...
    fault = server_view["fault"]["message"]
    assert "Failed to create accelerator requests" in fault and "400" in fault, fault
    # ...the reason is in accel-api's answer (what Nova's client got) and in its log.
    resp = cloud.accel().post(f"{cloud.api.url}/v2/accelerator_requests",
                              json={"device_profile_name": name})
    assert resp.status_code == 400, resp.text
    assert all(r in resp.text for r in reason), resp.text
    log = base.file_tail(os.path.join(cloud.api.workdir, "accel-api.log"), 10 ** 6)
    lines = [line for line in log.splitlines()
             if f"refused accelerator requests of device profile {name} " in line]
    assert lines and all(logged in line for line in lines), lines
    # No partition was made on the way: the fixture's mdevs are those it started with.
    assert _mdevs(cloud, "d") == mdevs


def _log_has(cloud, name, text):
    cloud.nova.check_alive()
    return text in cloud.nova.log(name)


def test_an_asynchronous_programming_bind_ends_bound_with_novas_event(cloud):
    """202 BindStarted while the agent programs, then Bound, accelerator-request-bound
    sent by accel-api ([nova]) and awaited by nova-compute, server ACTIVE.

    The fixture card's programming is held (the kernel simulator paused, as a slow
    card would be) until nova-compute waits for the event: so Nova's first look at the
    ARQ finds it unresolved in every run, however loaded the machine."""
    handles = cloud.handles_in_use()
    gzip = cloud.upload(bitstream(IFACE, AFU_GZIP), IFACE, AFU_GZIP, "gzip")
    cloud.device_profile("fpga-gzip", dict(FPGA, **{"accel:bitstream_id": gzip["uuid"]}))
    kernel = cloud.agents["a"].procs["kernel-sim"].proc
    os.kill(kernel.pid, signal.SIGSTOP)
    try:
        server = cloud.boot(cloud.flavor("fpga-gzip"), "programmed-vm")
        arqs = base.wait_for(lambda: cloud.arqs_of(server), SLOW, 0.2, "the ARQ")
        started = base.wait_for(
            lambda: [a for a in cloud.arqs_of(server) if a["state"] != "Initial"], SLOW, 0.2,
            "the ARQ bound or binding")
        assert [a["state"] for a in started] == ["BindStarted"], started
        arq = arqs[0]["uuid"]
        base.wait_for(lambda: _log_has(
            cloud, "nova-compute-compute-a",
            f"Preparing to wait for external event accelerator-request-bound-{arq}"),
            SLOW, 0.2, "nova-compute waiting for the ARQ's event")
        assert cloud.server(server)["status"] == "BUILD"
        assert cloud.arqs_of(server)[0]["state"] == "BindStarted"
    finally:
        os.kill(kernel.pid, signal.SIGCONT)
    _booted_with_its_device(cloud, server, "a", "FPGA")
    # Nova's API took accel-api's event (authenticated as accel's user, role service)
    # and nova-compute was waiting for it.
    assert _log_has(cloud, "nova-api", f"Creating event accelerator-request-bound:{arq}")
    compute = cloud.nova.log("nova-compute-compute-a")
    assert f"Processing event accelerator-request-bound-{arq}" in compute
    assert f"Received unexpected event accelerator-request-bound-{arq}" not in compute
    region = next(d for d in cloud.deployables("a")
                  if d["rp_uuid"] == cloud.arqs_of(server)[0]["device_rp_uuid"])
    assert region["bitstream_id"] == gzip["uuid"]
    _freed(cloud, server, handles)
