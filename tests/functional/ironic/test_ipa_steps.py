"""Manual cleaning and template deploys run by a real IPA with our hardware manager.

One Ironic, one IPA process (reused by every test), a fixture host-a sysfs tree under
the kernel simulator, images served by a loopback HTTP server.
"""

import hashlib
import os
import shutil
import tempfile

import pytest

import accel_hosts
from accel_hosts import kernel_sim, sysfs
from ipa_fpga.flash import pac_image
from ipa_fpga.program import gbs
from tests.functional.ironic.conftest import api, boot_ipa, new_node, wait_state
from tests.realprocs.fileserver import FileServer

pytestmark = pytest.mark.functional

N3000 = "0000:3f:00.0"
COMPAT = "f3c9941350814aadbced07eb84a6d0bb"
OLD_AFU = "d8424dc4a4a3c413f89e433683f9040b"
GZIP_AFU = "9aeffe5f84570612c53bd9b6e31f1b8e"
MAC = "52:54:00:cc:00:01"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class Env:
    pass


@pytest.fixture(scope="module")
def env(tmp_path_factory, shared_ironic):
    e = Env()
    e.host = accel_hosts.load("host-a")
    e.root = tempfile.mkdtemp(prefix="accel-ipa-root-")
    sysfs.build(e.host, e.root)
    e.sim = kernel_sim.KernelSim(e.host, e.root).start()
    e.files = FileServer(tmp_path_factory.mktemp("www")).start()
    e.ironic = shared_ironic
    e.ipa = None
    try:
        e.node = new_node(e.ironic, "ipa-node", MAC)
        api(e.ironic, "PUT", f"/v1/nodes/{e.node}/states/power", json={"target": "power on"})
        e.ipa_dir = tmp_path_factory.mktemp("ipa")
        start_agent(e)
        yield e
    finally:
        if e.ipa:
            e.ipa.stop()
        e.files.stop()
        e.sim.stop()
        shutil.rmtree(e.root, ignore_errors=True)


def start_agent(e):
    """Boot the "ramdisk": a fresh IPA process that looks the node up and heartbeats."""
    boot_ipa(e, MAC)


def read(path):
    with open(path) as f:
        return f.read().strip()


def run_clean(env, steps):
    resp = api(env.ironic, "PUT", f"/v1/nodes/{env.node}/states/provision",
               json={"target": "clean", "clean_steps": steps})
    assert resp.status_code == 202, resp.text
    node = wait_state(env.ironic, env.node, ["manageable", "clean failed"], timeout=90)
    if node["provision_state"] == "clean failed":
        # A failed clean puts the node in maintenance; the operator's recovery, as documented.
        api(env.ironic, "DELETE", f"/v1/nodes/{env.node}/maintenance")
        api(env.ironic, "PUT", f"/v1/nodes/{env.node}/states/provision", json={"target": "manage"})
        wait_state(env.ironic, env.node, ["manageable"])
        # Ironic rebooted the node after the failure: a real ramdisk boots again with a
        # new agent token, so start a new agent as that boot would.
        start_agent(env)
    return node


def flash_step(url, checksum, version="D.2.1.25"):
    return {"interface": "deploy", "step": "flash_accelerator_firmware", "args": {"images": [{
        "url": url, "checksum": checksum, "checksum_type": "sha256", "address": N3000,
        "component": "max10_bmc_nios", "version": version}]}}


def bmcfw(env, card=0):
    return read(os.path.join(sysfs.bmc_dir(env.host, env.host.cards[card], env.root),
                             "bmcfw_version"))


def afu(env):
    return read(os.path.join(sysfs.port_dir(env.host, env.host.cards[0], env.root), "afu_id"))


def test_manual_clean_flashes_bmc_firmware(env):
    data = pac_image.build("max10_bmc_nios", kernel_sim.fw_payload("n3000", "D.2.1.25"))
    url = env.files.add("n3000-bmc-2.1.25.bin", data)
    node = run_clean(env, [flash_step(url, sha256(data))])
    assert node["provision_state"] == "manageable", (node["last_error"], env.ipa.log_tail())
    assert bmcfw(env) == "0x44020119"  # D.2.1.25 as the MAX10 register reads
    assert bmcfw(env, 1) == "0x44020118"  # the other card is untouched


@pytest.mark.parametrize("case", ["bad_checksum", "unreachable", "incompatible_bitstream"])
def test_failures_leave_the_device_untouched(env, case):
    before = (bmcfw(env), afu(env))
    if case == "bad_checksum":
        data = pac_image.build("max10_bmc_nios", kernel_sim.fw_payload("n3000", "D.2.1.26"))
        url = env.files.add("tampered.bin", data)
        step = flash_step(url, sha256(data + b"tampered"), "D.2.1.26")
        expected = "sha256 checksum mismatch"
    elif case == "unreachable":
        step = flash_step("http://127.0.0.1:9/missing.bin", "0" * 64, "D.2.1.26")
        expected = "connection failed"
    else:
        data = gbs.build("00112233445566778899aabbccddeeff", GZIP_AFU,
                         kernel_sim.pr_bitstream("00112233445566778899aabbccddeeff", GZIP_AFU))
        url = env.files.add("other-shell.gbs", data)
        step = {"interface": "deploy", "step": "program_fpga_bitstream",
                "args": {"url": url, "checksum": sha256(data), "checksum_type": "sha256",
                         "address": N3000}}
        expected = f"region has {COMPAT}"
    node = run_clean(env, [step])
    assert node["provision_state"] == "clean failed"
    assert expected in node["last_error"], node["last_error"]
    assert N3000 in node["last_error"]
    assert (bmcfw(env), afu(env)) == before


def test_deploy_template_programs_bitstream_from_trait(env):
    data = gbs.build(COMPAT, GZIP_AFU, kernel_sim.pr_bitstream(COMPAT, GZIP_AFU))
    url = env.files.add("gzip.gbs", data)
    resp = api(env.ironic, "POST", "/v1/deploy_templates", json={
        "name": "CUSTOM_FPGA_GZIP",
        "steps": [{"interface": "deploy", "step": "program_fpga_bitstream", "priority": 80,
                   "args": {"url": url, "checksum": "sha256:" + sha256(data),
                            "model": "N3000"}}]})
    assert resp.status_code == 201, resp.text
    assert afu(env) == OLD_AFU
    api(env.ironic, "PUT", f"/v1/nodes/{env.node}/traits/CUSTOM_FPGA_GZIP")
    api(env.ironic, "PUT", f"/v1/nodes/{env.node}/states/provision", json={"target": "provide"})
    wait_state(env.ironic, env.node, ["available"])
    resp = api(env.ironic, "PATCH", f"/v1/nodes/{env.node}", json=[
        {"op": "add", "path": "/instance_info/traits", "value": ["CUSTOM_FPGA_GZIP"]}])
    assert resp.status_code == 200, resp.text
    resp = api(env.ironic, "PUT", f"/v1/nodes/{env.node}/states/provision",
               json={"target": "active"})
    assert resp.status_code == 202, resp.text
    node = wait_state(env.ironic, env.node, ["active", "deploy failed"], timeout=90)
    assert node["provision_state"] == "active", (node["last_error"], env.ipa.log_tail())
    # Both N3000s (selected by model) now run the gzip AFU.
    assert afu(env) == GZIP_AFU
    assert read(os.path.join(sysfs.port_dir(env.host, env.host.cards[1], env.root),
                             "afu_id")) == GZIP_AFU


def test_service_step_reprograms_an_active_node(env):
    """Service steps (API >= 1.87) on the node deployed above: back to the original AFU."""
    node = api(env.ironic, "GET", f"/v1/nodes/{env.node}").json()
    if node["provision_state"] != "active":
        pytest.fail(f"needs the deployed node of the previous test (is {node['provision_state']})")
    data = gbs.build(COMPAT, OLD_AFU, kernel_sim.pr_bitstream(COMPAT, OLD_AFU))
    url = env.files.add("nlb.gbs", data)
    resp = api(env.ironic, "PUT", f"/v1/nodes/{env.node}/states/provision", json={
        "target": "service",
        "service_steps": [{"interface": "deploy", "step": "program_fpga_bitstream",
                           "args": {"url": url, "checksum": "sha256:" + sha256(data),
                                    "address": N3000}}]})
    assert resp.status_code == 202, resp.text
    # Ironic boots the ramdisk again (fake power): the new boot is a new agent.
    wait_state(env.ironic, env.node, ["service wait", "active", "service failed"])
    start_agent(env)
    node = wait_state(env.ironic, env.node, ["active", "service failed"], timeout=90)
    assert node["provision_state"] == "active", (node["last_error"], env.ipa.log_tail())
    assert afu(env) == OLD_AFU
    assert read(os.path.join(sysfs.port_dir(env.host, env.host.cards[1], env.root),
                             "afu_id")) == GZIP_AFU  # selected by address: card 1 untouched
