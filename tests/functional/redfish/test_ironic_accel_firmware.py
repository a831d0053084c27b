"""A real Ironic drives ``accel-redfish-mock`` through the ``redfish-accel`` hardware type.

One Ironic and one emulator for the module; each test runs a service step (API 1.87
raw PUT with ``service_steps``) on the same adopted node and checks the outcome.
The step is asynchronous: the node waits in ``service wait``, unlocked, while the
conductor's periodic task follows the BMC's update task.

No test depends on timing: where a test must see the node while the BMC works, the
image is *held* (``ImageServer.add_held``): the BMC's download, and so its task, cannot
finish until the test has seen what it waits for and releases it; outages are longer
than any wait, and every wait is on a condition with a generous deadline.
"""

import json
import time

import pytest
import requests
import sqlalchemy as sa

from tests.realprocs.base import wait_for
from tests.realprocs.ironic import Ironic
from tests.redfish_helpers import BMCProxy, ImageServer, MockProcess

pytestmark = pytest.mark.functional

SYSTEM = "/redfish/v1/Systems/mixed"
INV = "/redfish/v1/UpdateService/FirmwareInventory"
#: service steps need 1.87; disable_ramdisk with them needs 1.108
API_VERSION = "1.108"


@pytest.fixture(scope="module")
def mock(tmp_path_factory):
    proc = MockProcess(tmp_path_factory.mktemp("mock"), "--host", "mixed",
                       "--update-seconds", "1")
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    server = ImageServer(tmp_path_factory.mktemp("images"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ironic(tmp_path_factory):
    service = Ironic(tmp_path_factory.mktemp("ironic"), {
        "DEFAULT": {
            "enabled_hardware_types": "fake-hardware,redfish,redfish-accel",
            "enabled_firmware_interfaces": "fake,redfish,redfish-accel,no-firmware",
            "debug": "false",  # DEBUG logging of every sushy call slows the conductor a lot
        },
        # a BMC silent for 4 s mid-update has failed; one not answering when an update is
        # to start (rebooting) is waited for much longer
        "accel_redfish": {"unreachable_timeout": "4", "task_timeout": "60",
                          "bmc_ready_timeout": "300"},
        # Ironic's own Redfish calls after a failure: do not retry a vanished BMC for long
        "redfish": {"connection_attempts": "2", "connection_retry_interval": "1"},
    }).start()
    yield service
    service.stop()


def _api(ironic, method, path, doc=None):
    return requests.request(method, ironic.url + path, json=doc, timeout=30,
                            headers={"X-OpenStack-Ironic-API-Version": API_VERSION})


def _adopted_node(ironic, name, address, system=SYSTEM):
    """A redfish-accel node of ``system`` (None: the BMC's only one) at ``address``,
    active (adopted)."""
    conn = ironic.conn
    info = {"redfish_address": address, "redfish_username": "admin",
            "redfish_password": "password"}
    if system:
        info["redfish_system_id"] = system
    node = conn.baremetal.create_node(
        driver="redfish-accel", name=name,
        firmware_interface="redfish-accel", deploy_interface="direct", driver_info=info)
    conn.baremetal.set_node_provision_state(node, "manage", wait=True, timeout=120)
    node = conn.baremetal.set_node_provision_state(node, "adopt", wait=True, timeout=120)
    assert node.provision_state == "active", node.last_error
    return node


@pytest.fixture(scope="module")
def node(ironic, mock):
    return _adopted_node(ironic, "accel-oob", mock.url)


def _start_service(ironic, node, settings):
    """Start the update as a service step; the node's provision_updated_at before."""
    before = _api(ironic, "GET", f"/v1/nodes/{node.id}").json()["provision_updated_at"]
    resp = _api(ironic, "PUT", f"/v1/nodes/{node.id}/states/provision", {
        "target": "service", "disable_ramdisk": True,
        "service_steps": [{"interface": "firmware", "step": "update",
                           "args": {"settings": settings}}]})
    assert resp.status_code == 202, resp.text
    return before


def _wait_node(ironic, node, until, what, timeout=180, watch=None):
    """Poll the node until ``until(doc)``; ``watch(doc)`` sees every document read."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = _api(ironic, "GET", f"/v1/nodes/{node.id}").json()
        if watch:
            watch(doc)
        if until(doc):
            return doc
        time.sleep(0.3)
    raise AssertionError(f"node never {what}: {doc['provision_state']} "
                         f"{doc.get('last_error')}\n{ironic.log_tail()}")


def _service_ended(before):
    def ended(doc):
        moved = doc["provision_updated_at"] != before and not doc["reservation"]
        return moved and (doc["provision_state"] == "service failed" or (
            doc["provision_state"] == "active" and not doc["target_provision_state"]))
    return ended


def _service(ironic, node, settings, timeout=180, watch=None):
    """Run the update as a service step and wait for its end."""
    before = _start_service(ironic, node, settings)
    return _wait_node(ironic, node, _service_ended(before), "finished servicing", timeout,
                      watch)


def _running_is(name):
    """The node waits in service wait while the conductor follows ``name``'s update."""
    return lambda doc: (doc["provision_state"] == "service wait"
                        and (_running(doc) or {}).get("name") == name)


def _recover(ironic, node):
    """A failed service leaves the node in maintenance; the next service may start from
    "service failed" once maintenance is off (no abort: its tear-down costs ~30 s)."""
    resp = _api(ironic, "DELETE", f"/v1/nodes/{node.id}/maintenance")
    assert resp.status_code == 202, resp.text


def _running(doc):
    """The accelerator update the conductor is following, from driver_internal_info."""
    return (doc.get("driver_internal_info") or {}).get("accel_firmware_update")


def _no_update_state_left(ironic, node):
    info = _api(ironic, "GET", f"/v1/nodes/{node.id}").json()["driver_internal_info"]
    assert "accel_firmware_update" not in info
    assert "servicing_polling" not in info and "skip_current_service_step" not in info


def _versions(mock):
    return {m["@odata.id"].rsplit("/", 1)[1]: mock.get(m["@odata.id"])["Version"]
            for m in mock.get(INV)["Members"]}


def test_service_step_updates_one_fpga_only(ironic, mock, images, node):
    before = _versions(mock)
    url, _ = images.add("n3000-nios.bin", "max10_bmc_nios", "D.2.1.26")
    doc = _service(ironic, node, [{"component": "accel:fpga0:max10_bmc_nios", "url": url}])
    assert doc["provision_state"] == "active", doc["last_error"]
    after = _versions(mock)
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert changed == {"mixed-fpga0-max10_bmc_nios": ("D.2.1.24", "D.2.1.26")}
    # fpga2 has the same component and must be untouched.
    assert after["mixed-fpga2-max10_bmc_nios"] == before["mixed-fpga2-max10_bmc_nios"]
    # The operator reads the versions from Ironic's firmware components API.
    fw = _api(ironic, "GET", f"/v1/nodes/{node.id}/firmware").json()["firmware"]
    row = {c["component"]: c for c in fw}["accel:fpga0:max10_bmc_nios"]
    assert row["current_version"] == "D.2.1.26"
    assert row["last_version_flashed"] == "D.2.1.26"


def test_bad_image_url_fails_with_clear_error(ironic, mock, images, node):
    doc = _service(ironic, node, [{"component": "accel:fpga0",
                                   "url": f"{images.url}/no-such-image.bin"}])
    assert doc["provision_state"] == "service failed"
    assert "could not download the image" in doc["last_error"]
    assert "no-such-image.bin" in doc["last_error"]
    _no_update_state_left(ironic, node)
    _recover(ironic, node)


def test_task_exception_fails_with_clear_error(ironic, mock, images, node):
    url, _ = images.add("u250-sc.bin", "sc_firmware", "4.6.21")
    mock.admin("POST", "servers/mixed/faults",
               {"kind": "fail-next-update", "message": "flash controller reported CRC error"})
    before = _versions(mock)["mixed-fpga1-sc_firmware"]
    doc = _service(ironic, node, [{"component": "accel:fpga1:sc_firmware", "url": url}])
    assert doc["provision_state"] == "service failed"
    assert "ended in Exception" in doc["last_error"]
    assert "flash controller reported CRC error" in doc["last_error"]
    assert _versions(mock)["mixed-fpga1-sc_firmware"] == before
    _no_update_state_left(ironic, node)
    _recover(ironic, node)


def test_bmc_vanishing_mid_update_fails_with_clear_error(ironic, mock, images, node):
    url, _ = images.add("h100-vbios.bin", "vbios", "96.00.99.00.01")
    # Gone until the step has given up (after 4 s of silence, however late the conductor
    # looks); then back, so that Ironic's own clean-up calls do not wait for it.
    mock.admin("POST", "servers/mixed/faults",
               {"kind": "unreachable-during-update", "at_percent": 30, "seconds": 3600})
    before = _start_service(ironic, node, [{"component": "accel:gpu0", "url": url}])
    try:
        wait_for(lambda: "did not come back within 4 s" in ironic.log_tail(400000), 180,
                 interval=0.5, what="the step to give up on the BMC")
    finally:
        mock.admin("DELETE", "servers/mixed/faults")
    doc = _wait_node(ironic, node, _service_ended(before), "finished servicing")
    assert doc["provision_state"] == "service failed"
    assert "stopped answering" in doc["last_error"]
    assert "did not come back within 4 s" in doc["last_error"]
    _no_update_state_left(ironic, node)
    _recover(ironic, node)


@pytest.fixture
def slow_bmc(mock):
    """The BMC's updates take 4 s and it answers with an HTTP-date Retry-After."""
    mock.admin("PUT", "servers/mixed/profile", {"profile": "slow"})
    yield
    mock.admin("PUT", "servers/mixed/profile", {"profile": "standard"})


def test_update_waits_in_service_wait_and_leaves_the_node_free(ironic, mock, images, node,
                                                                slow_bmc):
    """While the BMC works the node waits in service wait, unlocked, with the running
    component recorded. Once the update is verified the record is dropped, and the node
    may still be seen in service wait (without it) until the conductor resumes the step:
    that is the end of the update, not a race (issue 10, point 8: an earlier version of
    this test failed under load on exactly that look)."""
    url, gate = images.add_held("a100-vbios.bin", "vbios", "92.00.36.00.09")
    waits, unlocked = [], []

    def watch(doc):
        if doc["provision_state"] == "service wait":
            waits.append((_running(doc) or {}).get("name"))
            if _running(doc) and doc["reservation"] is None:
                unlocked.append(doc)

    before = _start_service(ironic, node, [{"component": "accel:gpu2", "url": url}])
    try:
        # The BMC cannot finish before the gate opens: each of these is certain to come.
        _wait_node(ironic, node, _running_is("accel:gpu2"), "waited for accel:gpu2",
                   watch=watch)
        # No worker holds the node while the BMC works: the periodic locks it only for
        # a moment at each look, so it is seen unlocked.
        _wait_node(ironic, node, lambda doc: unlocked, "was seen unlocked", watch=watch)
        # A call the conductor itself answers (its interfaces check the node).
        resp = _api(ironic, "GET", f"/v1/nodes/{node.id}/validate")
        assert (resp.status_code, resp.json().get("firmware")) == (200, {"result": True})
    finally:
        gate.release()
    doc = _wait_node(ironic, node, _service_ended(before), "finished servicing", watch=watch)
    assert doc["provision_state"] == "active", doc["last_error"]
    # accel:gpu2 while it ran, then (maybe) nothing while the step resumes; never back.
    collapsed = [name for i, name in enumerate(waits) if i == 0 or waits[i - 1] != name]
    assert collapsed in (["accel:gpu2"], ["accel:gpu2", None]), waits
    assert _versions(mock)["mixed-gpu2-vbios"] == "92.00.36.00.09"
    fw = _api(ironic, "GET", f"/v1/nodes/{node.id}/firmware").json()["firmware"]
    row = {c["component"]: c for c in fw}["accel:gpu2:vbios"]
    assert (row["current_version"], row["last_version_flashed"]) == ("92.00.36.00.09",) * 2
    _no_update_state_left(ironic, node)


def test_two_components_are_updated_one_after_the_other(ironic, mock, images, node,
                                                         slow_bmc):
    build_url, build_gate = images.add_held("n6000-build.bin", "max10_bmc_build", "D.3.0.5")
    vbios_url, vbios_gate = images.add_held("a10-vbios.bin", "vbios", "95.04.29.00.07")
    settings = [{"component": "accel:fpga2:max10_bmc_build", "url": build_url},
                {"component": "accel:gpu1", "url": vbios_url,
                 "expected_version": "95.04.29.00.07"}]
    seen = []

    def watch(doc):
        name = (_running(doc) or {}).get("name")
        if name and (not seen or seen[-1] != name):
            seen.append(name)

    tasks_before = {m["@odata.id"] for m in mock.get("/redfish/v1/TaskService/Tasks")["Members"]}
    before = _start_service(ironic, node, settings)
    try:
        _wait_node(ironic, node, _running_is("accel:fpga2:max10_bmc_build"),
                   "updated the first component", watch=watch)
        build_gate.release()
        _wait_node(ironic, node, _running_is("accel:gpu1"), "updated the second component",
                   watch=watch)
        vbios_gate.release()
    finally:
        build_gate.release()
        vbios_gate.release()
    doc = _wait_node(ironic, node, _service_ended(before), "finished servicing", watch=watch)
    assert doc["provision_state"] == "active", doc["last_error"]
    assert seen == ["accel:fpga2:max10_bmc_build", "accel:gpu1"]
    after = _versions(mock)
    assert after["mixed-fpga2-max10_bmc_build"] == "D.3.0.5"
    assert after["mixed-gpu1-vbios"] == "95.04.29.00.07"
    # Two BMC tasks, the second started only once the first had ended.
    new = [mock.get(m["@odata.id"]) for m in mock.get("/redfish/v1/TaskService/Tasks")["Members"]
           if m["@odata.id"] not in tasks_before]
    new.sort(key=lambda t: int(t["Id"]))
    assert [t["TaskState"] for t in new] == ["Completed", "Completed"]
    assert new[1]["StartTime"] >= new[0]["EndTime"]
    fw = {c["component"]: c for c in
          _api(ironic, "GET", f"/v1/nodes/{node.id}/firmware").json()["firmware"]}
    assert fw["accel:fpga2:max10_bmc_build"]["last_version_flashed"] == "D.3.0.5"
    assert fw["accel:gpu1:vbios"]["last_version_flashed"] == "95.04.29.00.07"
    _no_update_state_left(ironic, node)


def test_manual_clean_step_waits_in_clean_wait(ironic, mock, images):
    """The same update as a manual clean step (no ramdisk) of a manageable node."""
    conn = ironic.conn
    node = conn.baremetal.create_node(
        driver="redfish-accel", name="accel-oob-clean",
        firmware_interface="redfish-accel", deploy_interface="direct",
        driver_info={"redfish_address": mock.url, "redfish_system_id": SYSTEM,
                     "redfish_username": "admin", "redfish_password": "password"})
    node = conn.baremetal.set_node_provision_state(node, "manage", wait=True, timeout=60)
    assert node.provision_state == "manageable", node.last_error
    url, gate = images.add_held("u250-shell.bin", "sc_firmware", "4.6.30")
    resp = _api(ironic, "PUT", f"/v1/nodes/{node.id}/states/provision", {
        "target": "clean", "disable_ramdisk": True,
        "clean_steps": [{"interface": "firmware", "step": "update",
                         "args": {"settings": [{"component": "accel:fpga1:sc_firmware",
                                                "url": url}]}}]})
    assert resp.status_code == 202, resp.text
    try:
        _wait_node(ironic, node, lambda doc: doc["provision_state"] == "clean wait" and (
            _running(doc) or {}).get("name") == "accel:fpga1:sc_firmware",
            "waited in clean wait")
    finally:
        gate.release()
    doc = _wait_node(ironic, node, lambda doc: doc["provision_state"] in (
        "manageable", "clean failed") and not doc["target_provision_state"]
        and not doc["reservation"], "finished cleaning")
    assert doc["provision_state"] == "manageable", (doc["last_error"], ironic.log_tail())
    assert _versions(mock)["mixed-fpga1-sc_firmware"] == "4.6.30"
    fw = {c["component"]: c for c in
          _api(ironic, "GET", f"/v1/nodes/{node.id}/firmware").json()["firmware"]}
    assert fw["accel:fpga1:sc_firmware"]["last_version_flashed"] == "4.6.30"
    assert "accel_firmware_update" not in doc["driver_internal_info"]
    assert "cleaning_polling" not in doc["driver_internal_info"]


def test_abort_during_update_finishes_the_component_and_keeps_no_state(
        ironic, mock, images, node, slow_bmc):
    """The step is not abortable: Ironic aborts once it ends; the flash is never cut."""
    url, gate = images.add_held("h100-vbios-2.bin", "vbios", "96.00.89.00.05")
    before = _start_service(ironic, node, [{"component": "accel:gpu0", "url": url}])
    try:
        _wait_node(ironic, node, _running_is("accel:gpu0"), "waited for accel:gpu0")
        aborted = _api(ironic, "PUT", f"/v1/nodes/{node.id}/states/provision",
                       {"target": "abort"}).status_code
    finally:
        gate.release()
    assert aborted == 202
    doc = _wait_node(ironic, node, lambda doc: doc["provision_updated_at"] != before
                     and not doc["reservation"]
                     and doc["provision_state"] not in ("service wait", "servicing"),
                     "left servicing")
    assert doc["provision_state"] in ("service failed", "active"), doc
    assert _versions(mock)["mixed-gpu0-vbios"] == "96.00.89.00.05"
    fw = {c["component"]: c for c in
          _api(ironic, "GET", f"/v1/nodes/{node.id}/firmware").json()["firmware"]}
    assert fw["accel:gpu0:vbios"]["last_version_flashed"] == "96.00.89.00.05"
    _no_update_state_left(ironic, node)
    if doc["maintenance"]:
        _recover(ironic, node)


def test_a_bmc_not_ready_when_the_step_starts_is_waited_for(ironic, mock, images):
    """The node's BMC is not ready when the service step starts (its UpdateService
    answers 503, as a BMC still starting after a reboot does). Nothing is sent; the step
    waits in service wait and starts the update once the BMC answers
    ([accel_redfish] bmc_ready_timeout). The test proxy keeps it not ready until the
    test has seen the step waiting: no timing involved."""
    proxy = BMCProxy(mock.url)
    try:
        node = _adopted_node(ironic, "accel-oob-not-ready", proxy.url)
        url, _ = images.add("a10-vbios-boot.bin", "vbios", "95.04.29.00.08")
        proxy.not_ready = "/redfish/v1/UpdateService"
        before = _start_service(ironic, node, [{"component": "accel:gpu1", "url": url}])
        try:
            doc = _wait_node(ironic, node, lambda doc: doc["provision_state"] == "service wait"
                             and ((_running(doc) or {}).get("current") or {}).get("phase")
                             == "start", "waited for the BMC")
            assert "503" in _running(doc)["current"]["error"], (_running(doc), proxy.errors)
        finally:
            proxy.not_ready = None  # the BMC is ready
        doc = _wait_node(ironic, node, _service_ended(before), "finished servicing")
        assert doc["provision_state"] == "active", doc["last_error"]
        assert _versions(mock)["mixed-gpu1-vbios"] == "95.04.29.00.08"
        assert "did not answer when the update of accel:gpu1 was to start" in \
            ironic.log_tail(400000)
        _no_update_state_left(ironic, node)
    finally:
        proxy.stop()


@pytest.fixture(scope="module")
def hgx_bmc(tmp_path_factory):
    """A DGX H100's host BMC (layout ``hgx``): 8 GPUs on the HGX baseboard."""
    proc = MockProcess(tmp_path_factory.mktemp("hgx"), "--host", "host-b", "--profile", "hgx",
                       "--update-seconds", "1")
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def dpu_bmc(tmp_path_factory):
    """A BlueField-3 DPU's own BMC (layout ``bluefield``)."""
    proc = MockProcess(tmp_path_factory.mktemp("dpu"), "--host", "host-d", "--profile",
                       "bluefield", "--update-seconds", "1")
    yield proc
    proc.stop()


def test_one_hgx_gpu_is_updated_through_the_asynchronous_step(ironic, images, hgx_bmc):
    """``accel:GPU_SXM_3`` on a DGX's BMC: the client finds the GPU on the HGX baseboard
    system and its ``HGX_FW_GPU_SXM_3`` entry by name; the host BMC's SimpleUpdate takes no
    Targets, so the image is pushed (multipart) at that one entry; only GPU 3 changes."""
    node = _adopted_node(ironic, "accel-hgx", hgx_bmc.url, "/redfish/v1/Systems/DGX")
    before = _versions(hgx_bmc)
    url, _ = images.add("h100-sxm-vbios.bin", "vbios", "96.00.99.00.03")
    doc = _service(ironic, node, [{"component": "accel:GPU_SXM_3", "url": url}])
    assert doc["provision_state"] == "active", doc["last_error"]
    after = _versions(hgx_bmc)
    assert {k: (before[k], after[k]) for k in before if before[k] != after[k]} == {
        "HGX_FW_GPU_SXM_3": ("96.00.89.00.01", "96.00.99.00.03")}
    gpu = hgx_bmc.get("/redfish/v1/Systems/HGX_Baseboard_0/Processors/GPU_SXM_3")
    assert gpu["FirmwareVersion"] == "96.00.99.00.03"
    fw = {c["component"]: c for c in
          _api(ironic, "GET", f"/v1/nodes/{node.id}/firmware").json()["firmware"]}
    row = fw["accel:GPU_SXM_3:vbios"]
    assert (row["current_version"], row["last_version_flashed"]) == ("96.00.99.00.03",) * 2
    assert fw["accel:GPU_SXM_1:vbios"]["current_version"] == "96.00.89.00.01"
    _no_update_state_left(ironic, node)


def test_a_dpu_is_updated_through_the_asynchronous_step(ironic, images, dpu_bmc):
    """``accel:Bluefield`` on a BlueField BMC, no redfish_system_id (the BMC's only
    system): its first updatable firmware is the BFB bundle (``DPU_OS``), sent with a
    SimpleUpdate targeted at that entry."""
    node = _adopted_node(ironic, "accel-dpu", dpu_bmc.url, system=None)
    new = "bf-bundle-2.9.1-1_24.10_ubuntu-22.04_prod"
    url, _ = images.add("bf-bundle.bfb", "dpu_bundle", new)  # the emulator's BFB component
    doc = _service(ironic, node, [{"component": "accel:Bluefield", "url": url}])
    assert doc["provision_state"] == "active", doc["last_error"]
    assert _versions(dpu_bmc)["DPU_OS"] == new
    fw = {c["component"]: c for c in
          _api(ironic, "GET", f"/v1/nodes/{node.id}/firmware").json()["firmware"]}
    row = fw["accel:Bluefield:dpu_os"]
    assert (row["current_version"], row["last_version_flashed"]) == (new, new)
    assert "accel:Bluefield:dpu_nic" in fw  # every version the DPU's BMC shows
    _no_update_state_left(ironic, node)


def test_update_state_left_by_a_step_that_ended_elsewhere_is_forgotten(ironic, node):
    """A step can end without the polling periodic (a conductor restart, Ironic's wait
    time-out): its update state must not stay behind for a later step to resume. The
    API cannot make such a node, so the test writes the leftover into Ironic's database
    itself, as the crash would have left it, and waits for the forgetting periodic."""
    engine = sa.create_engine(ironic.conf["database"]["connection"])
    try:
        with engine.begin() as conn:
            raw = conn.execute(sa.text("SELECT driver_internal_info FROM nodes "
                                       "WHERE uuid = :uuid"), {"uuid": node.id}).scalar()
            info = json.loads(raw or "{}")
            info["accel_firmware_update"] = {"name": "accel:gpu0", "pending": [],
                                             "done": [], "current": {}}
            conn.execute(sa.text("UPDATE nodes SET driver_internal_info = :info "
                                 "WHERE uuid = :uuid"),
                         {"info": json.dumps(info), "uuid": node.id})
    finally:
        engine.dispose()
    doc = _api(ironic, "GET", f"/v1/nodes/{node.id}").json()
    assert doc["provision_state"] not in ("service wait", "clean wait"), doc
    assert "accel_firmware_update" in doc["driver_internal_info"]
    deadline = time.monotonic() + 60
    while "accel_firmware_update" in doc["driver_internal_info"]:
        assert time.monotonic() < deadline, f"never forgotten\n{ironic.log_tail()}"
        time.sleep(0.5)
        doc = _api(ironic, "GET", f"/v1/nodes/{node.id}").json()
    assert "forgetting it" in ironic.log_tail(200000)
