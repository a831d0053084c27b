"""One real Ironic per module, with the ``accelerators_ext`` hook and operator rules."""

import os
import tempfile

import pytest
import requests

from tests.accel_api_helpers import running_server, write_htpasswd
from tests.realprocs.base import wait_for
from tests.realprocs.ironic import API_VERSION, Ironic

RULES = """
rules:
  - name: n3000-bmc-2.1
    match:
      model: N3000
      firmware: {component: max10_bmc_nios, version: D.2.1.24}
    traits: [CUSTOM_N3000_BMC_D_2_1]
    capabilities: {n3000_bmc: d.2.1}
  - name: any-nvidia-gpu
    match: {vendor_id: "0x10de", type: GPU}
    traits: [CUSTOM_HAS_NVIDIA_GPU]
"""


def ironic_service(tmp_path_factory, extra=None):
    workdir = tmp_path_factory.mktemp("ironic")
    rules = os.path.join(workdir, "accel-rules.yaml")
    with open(rules, "w") as f:
        f.write(RULES)
    conf = {
        "inspector": {"hooks": "$default_hooks,accelerators_ext"},
        "accel_inspection": {"rules_file": rules},
    }
    for section, values in (extra or {}).items():
        conf.setdefault(section, {}).update(values)
    return Ironic(workdir, conf).start()


def api(ironic, method, path, **kwargs):
    headers = {"X-OpenStack-Ironic-API-Version": API_VERSION}
    return requests.request(method, ironic.url + path, headers=headers, timeout=30, **kwargs)


def wait_state(ironic, node_id, states, timeout=60):
    def check():
        node = api(ironic, "GET", f"/v1/nodes/{node_id}").json()
        return node if node["provision_state"] in states else None
    try:
        return wait_for(check, timeout, interval=0.2, what=f"node {node_id} to reach {states}")
    except TimeoutError:
        node = api(ironic, "GET", f"/v1/nodes/{node_id}").json()
        raise AssertionError(f"node stuck in {node['provision_state']}: {node['last_error']}\n"
                             f"{ironic.log_tail()}") from None


def new_node(ironic, name, mac):
    """A manageable fake-hardware node with one port, deployed by ``custom-agent``."""
    resp = api(ironic, "POST", "/v1/nodes", json={
        "name": name, "driver": "fake-hardware", "deploy_interface": "custom-agent",
        "boot_interface": "fake", "inspect_interface": "agent"})
    assert resp.status_code == 201, resp.text
    node = resp.json()["uuid"]
    assert api(ironic, "POST", "/v1/ports", json={
        "node_uuid": node, "address": mac}).status_code == 201
    api(ironic, "PUT", f"/v1/nodes/{node}/states/provision", json={"target": "manage"})
    wait_state(ironic, node, ["manageable"])
    return node


def boot_ipa(env, mac, power_cycle=False):
    """Boot the "ramdisk": a fresh IPA process that looks ``env.node`` up and heartbeats.

    ``power_cycle``: power off first, so that Ironic forgets an earlier agent token (as a
    real reboot after inspection does)."""
    from tests.realprocs.base import wait_for
    from tests.realprocs.ipa import IPA

    if env.ipa:
        env.ipa.stop()
    if power_cycle:
        api(env.ironic, "PUT", f"/v1/nodes/{env.node}/states/power", json={"target": "power off"})
        wait_for(lambda: api(env.ironic, "GET", f"/v1/nodes/{env.node}").json()["power_state"]
                 == "power off", 30, what="power off")
    api(env.ironic, "PUT", f"/v1/nodes/{env.node}/states/power", json={"target": "power on"})
    env.ipa = IPA(env.ipa_dir, env.ironic.url, env.root, mac).start()
    wait_for(lambda: api(env.ironic, "GET", f"/v1/nodes/{env.node}").json()
             ["driver_internal_info"].get("agent_url"), 60, what="the agent to heartbeat")


def host_inventory(mac, hostname="fixture-host"):
    """Ironic's own (IPA-style) inventory for a host with one NIC."""
    return {
        "interfaces": [{"name": "eth0", "mac_address": mac, "ipv4_address": "192.0.2.10"}],
        "cpu": {"model_name": "fixture", "frequency": "2000", "count": 2,
                "architecture": "x86_64", "flags": []},
        "memory": {"total": 8 << 30, "physical_mb": 8192},
        "disks": [],
        "bmc_address": None,
        "system_vendor": {"product_name": "fixture", "serial_number": "0", "manufacturer": "x"},
        "boot": {"current_boot_mode": "uefi", "pxe_interface": mac},
        "hostname": hostname,
    }


#: Credentials Ironic uses to push inventories to accel_api (never to appear in logs).
ACCEL_API_USER, ACCEL_API_PASSWORD = "ironic", "s3cret-push-pw"
#: An operator account (unlisted users get the admin role) to look at what arrived.
ACCEL_API_ADMIN = ("operator", "operator-pw")


@pytest.fixture(scope="session")
def shared_accel_api(tmp_path_factory):
    """A real accel-api with HTTP basic auth that inspection pushes inventories to."""
    state = tmp_path_factory.mktemp("accel-api")
    htpasswd = os.path.join(state, "htpasswd")
    write_htpasswd(htpasswd, {ACCEL_API_USER: ACCEL_API_PASSWORD,
                              ACCEL_API_ADMIN[0]: ACCEL_API_ADMIN[1]})
    config = (
        "[api]\nauth_strategy = http_basic\nclient_socket_timeout = 2\n"
        f"[http_basic]\nauth_file = {htpasswd}\n"
        f"user_roles = {ACCEL_API_USER}:service\nuser_projects = {ACCEL_API_USER}:service\n"
    )
    with running_server(state_dir=str(state), config=config) as url:
        yield url


@pytest.fixture(scope="session")
def shared_ironic(tmp_path_factory, shared_accel_api):
    """One Ironic for every module of this folder (starting one costs 25-50 s here).

    Inspection pushes every inventory to ``shared_accel_api`` (non-strict).
    """
    service = ironic_service(tmp_path_factory, extra={
        "accel_api": {
            "url": shared_accel_api,
            "auth_type": "http_basic",
            "username": ACCEL_API_USER,
            "password": ACCEL_API_PASSWORD,
        },
    })
    yield service
    service.stop()


@pytest.fixture
def fixture_root():
    with tempfile.TemporaryDirectory(prefix="accel-fixture-") as root:
        yield root
