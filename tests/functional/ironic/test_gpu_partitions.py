"""GPU partitions through a real Ironic and a real IPA: inspection of a MIG host into its
traits, then ``configure_gpu_partitions`` from a deploy template named after one.

The fixture is the bundled ``gpu-mig`` host (G1 of hwfacts gpu-partitioning.md: an A100
with 7 x 1g.10gb, a second A100 with MIG on and no instances). MIG state lives in the
fixture's model of NVIDIA's driver and ``nvidia-smi`` (``accel_hosts.nvidia_smi``), which
the real IPA process runs as the ramdisk would run the real tool.
"""

import os
import shutil
import subprocess
import tempfile

import pytest

import accel_hosts
from accel_hosts import sysfs
from tests.functional.ironic.conftest import api, boot_ipa, new_node, wait_state
from tests.functional.ironic.test_inspection import collect, inspect

pytestmark = pytest.mark.functional

MAC = "52:54:00:cc:00:21"
GPU1 = "0000:0f:00.0"
TEMPLATE = "CUSTOM_GPU_MIG_1G_10GB"


class Env:
    pass


@pytest.fixture(scope="module")
def env(tmp_path_factory, shared_ironic):
    e = Env()
    e.host = accel_hosts.load("gpu-mig")
    e.root = tempfile.mkdtemp(prefix="accel-gpu-mig-")
    e.ironic = shared_ironic
    e.ipa = None
    try:
        e.plugin_data = collect(e.root, e.host)  # builds the tree, runs the collector
        e.node = new_node(e.ironic, "gpu-mig-node", MAC)
        e.ipa_dir = tmp_path_factory.mktemp("ipa-gpu")
        yield e
    finally:
        if e.ipa:
            e.ipa.stop()
        shutil.rmtree(e.root, ignore_errors=True)


def start_agent(e):
    boot_ipa(e, MAC, power_cycle=True)  # after inspection: Ironic forgets its agent token


def gpu_instances(env, index):
    out = subprocess.run([os.path.join(env.root, "usr/bin/nvidia-smi"), "mig", "-lgi", "-i",
                          str(index)], capture_output=True, text=True, check=False).stdout
    return sorted(line.split()[3] for line in out.splitlines()
                  if line.startswith("|") and " MIG " in line)


def test_inspection_reports_mig_capability_and_state_as_traits(env):
    resp = inspect(env.ironic, env.node, MAC, env.plugin_data)
    assert resp.status_code == 202, resp.text
    node = wait_state(env.ironic, env.node, ["manageable", "inspect failed"])
    assert node["provision_state"] == "manageable", node["last_error"]
    traits = api(env.ironic, "GET", f"/v1/nodes/{env.node}/traits").json()["traits"]
    for trait in ("CUSTOM_GPU_NVIDIA_A100", "CUSTOM_GPU_PARTITION_MIG", "CUSTOM_GPU_MIG_ENABLED",
                  TEMPLATE, "CUSTOM_GPU_MIG_3G_40GB", "CUSTOM_GPU_MIG_7G_80GB"):
        assert trait in traits, traits
    caps = node["properties"]["capabilities"]
    assert "accel_gpu_count:2" in caps and "accel_gpu_mig:enabled" in caps
    assert "accel_gpu_partitioning:mig" in caps
    gpu0 = next(a for a in node["properties"]["accelerators"]
                if a["pci_address"] == "0000:07:00.0")
    assert gpu0["partitions"]["mig_mode"] == "Enabled"
    assert gpu0["partitions"]["created"] == {"mig:1g.10gb": 7}
    assert "mig:1g.10gb" in gpu0["partitions"]["types"]


def test_deploy_template_lays_out_mig_instances(env):
    resp = api(env.ironic, "POST", "/v1/deploy_templates", json={
        "name": TEMPLATE,
        "steps": [{"interface": "deploy", "step": "configure_gpu_partitions", "priority": 80,
                   "args": {"address": GPU1,
                            "mig": {"enabled": True, "profiles": ["1g.10gb"] * 7}}}]})
    assert resp.status_code == 201, resp.text
    assert gpu_instances(env, 1) == []
    start_agent(env)
    api(env.ironic, "PUT", f"/v1/nodes/{env.node}/states/provision", json={"target": "provide"})
    wait_state(env.ironic, env.node, ["available"])
    resp = api(env.ironic, "PATCH", f"/v1/nodes/{env.node}", json=[
        {"op": "add", "path": "/instance_info/traits", "value": [TEMPLATE]}])
    assert resp.status_code == 200, resp.text
    resp = api(env.ironic, "PUT", f"/v1/nodes/{env.node}/states/provision",
               json={"target": "active"})
    assert resp.status_code == 202, resp.text
    node = wait_state(env.ironic, env.node, ["active", "deploy failed"], timeout=120)
    assert node["provision_state"] == "active", (node["last_error"], env.ipa.log_tail())
    assert gpu_instances(env, 1) == ["1g.10gb"] * 7
    assert gpu_instances(env, 0) == ["1g.10gb"] * 7  # the other A100 untouched


def test_service_step_refuses_clearly_without_nvidia_smi(env):
    node = api(env.ironic, "GET", f"/v1/nodes/{env.node}").json()
    if node["provision_state"] != "active":
        pytest.fail(f"needs the node deployed above (is {node['provision_state']})")
    tool = os.path.join(env.root, "usr/bin/nvidia-smi")
    os.rename(tool, tool + ".away")  # a ramdisk without NVIDIA's tools
    try:
        resp = api(env.ironic, "PUT", f"/v1/nodes/{env.node}/states/provision", json={
            "target": "service",
            "service_steps": [{"interface": "deploy", "step": "configure_gpu_partitions",
                               "args": {"address": GPU1, "mig": {"enabled": False}}}]})
        assert resp.status_code == 202, resp.text
        wait_state(env.ironic, env.node, ["service wait", "active", "service failed"])
        start_agent(env)
        node = wait_state(env.ironic, env.node, ["active", "service failed"], timeout=90)
        assert node["provision_state"] == "service failed", node
        assert "nvidia-smi is not installed" in node["last_error"], node["last_error"]
        assert GPU1 in node["last_error"]
    finally:
        os.rename(tool + ".away", tool)
    assert gpu_instances(env, 1) == ["1g.10gb"] * 7  # nothing was changed
    assert sysfs.driver_state_path(env.root)
