"""One real Ironic per module, with the ``accelerators_ext`` hook and operator rules."""

import os
import tempfile

import pytest
import requests

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


@pytest.fixture(scope="session")
def shared_ironic(tmp_path_factory):
    """One Ironic for every module of this folder (starting one costs 25-50 s here)."""
    service = ironic_service(tmp_path_factory)
    yield service
    service.stop()


@pytest.fixture
def fixture_root():
    with tempfile.TemporaryDirectory(prefix="accel-fixture-") as root:
        yield root
