"""sushy-level tests: ironic_fpga's client and poller against every vendor profile and fault.

The emulator runs in-process on a loopback port (a real HTTP server); the images are
served by another loopback HTTP server, as a BMC would fetch them.
"""

import time

import pytest

from ironic_fpga.redfish import client, errors, task_poller, update
from redfish_mocks import profiles
from tests.redfish_helpers import (
    ImageServer,
    firmware_version,
    start_emulator,
    start_profile_emulators,
)

pytestmark = pytest.mark.functional

MIXED = "mixed"

@pytest.fixture(scope="module")
def images(tmp_path_factory):
    server = ImageServer(tmp_path_factory.mktemp("images"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def service():
    srv = start_profile_emulators(update_seconds=0.4)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def root(service):
    return client.connect(service.url, "admin", "password")


@pytest.fixture(scope="module")
def mixed_service():
    """The ``mixed`` host alone (every card family), standard profile."""
    srv = start_emulator(hosts=("mixed",), update_seconds=0.3)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def mroot(mixed_service):
    return client.connect(mixed_service.url, "admin", "password")


@pytest.mark.parametrize("profile", ["standard", "task-starts-new", "monitor-purged",
                                     "monitor-204", "retry-after-int", "slow"])
def test_update_survives_profile(service, root, images, profile):
    sid = service.by_profile[profile]
    version = f"D.2.1.{30 + sorted(profiles.PROFILES).index(profile)}"
    url, _ = images.add(f"nios-{profile}.bin", "max10_bmc_nios", version)
    other_before = firmware_version(root, f"{sid}-fpga1-max10_bmc_nios")
    states = []
    result = update.update_accelerator_firmware(
        root, sid, "fpga0", url, timeout=30, unreachable_timeout=10,
        progress=lambda state, pct: states.append(state))
    assert (result["before"], result["after"]) == ("D.2.1.24", version)
    assert firmware_version(root, f"{sid}-fpga0-max10_bmc_nios") == version
    assert firmware_version(root, f"{sid}-fpga1-max10_bmc_nios") == other_before
    if profile == "task-starts-new":
        assert states[0] == "New"
    # The task stays readable after completion, whatever the monitor did.
    task = root._conn.get(result["task"]).json()
    assert task["TaskState"] == "Completed" and task["PercentComplete"] == 100


def test_fail_halfway_profile_raises_task_failed(service, root, images):
    sid = service.by_profile["fail-halfway"]
    url, _ = images.add("nios-fail.bin", "max10_bmc_nios", "D.2.1.99")
    with pytest.raises(errors.TaskFailed, match=r"ended in Exception: flash write failed at 50 %"):
        update.update_accelerator_firmware(root, sid, "fpga0", url, timeout=30)
    assert firmware_version(root, f"{sid}-fpga0-max10_bmc_nios") == "D.2.1.24"


def test_bmc_reboot_profile_is_waited_out(service, root, images):
    """The BMC updates its own firmware, then drops connections for 3 s; we wait it out."""
    sid = service.by_profile["bmc-reboot"]
    url, _ = images.add("bmc.bin", "bmc", "7.10.00.00")
    target = f"/redfish/v1/UpdateService/FirmwareInventory/{sid}-BMC"
    resp = root._conn.post("/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
                           data={"ImageURI": url, "Targets": [target]})
    poller = task_poller.TaskPoller(root._conn, timeout=30, unreachable_timeout=10)
    # The BMC goes away at the end of its update: wait for that to have happened (the
    # emulator says so; whether a look of ours falls in the 3 s outage is up to the
    # machine's load, and either way the outcome below must hold).
    faults = service.httpd.service.emu.server(sid).faults
    deadline = time.monotonic() + 120
    while not faults.unreachable_until:
        assert time.monotonic() < deadline, "the BMC never went away"
        time.sleep(0.05)
    result = poller.wait(resp.headers["Location"], task=resp.json())
    assert result.state == "Completed"
    assert update._read_back(poller, root._conn, target) == "7.10.00.00"
    assert root._conn.get(f"/redfish/v1/Managers/{sid}").json()["FirmwareVersion"] == \
        "7.10.00.00"


def test_bmc_vanishing_mid_update_is_reported(service, root, images):
    sid = service.by_profile["standard"]
    server = service.httpd.service.emu.server(sid)
    # gone for longer than the test can last (cleared below): silence > 2 s is certain
    server.faults.add({"kind": "unreachable-during-update", "at_percent": 30, "seconds": 3600})
    url, _ = images.add("gone.bin", "max10_bmc_nios", "D.2.1.77")
    try:
        with pytest.raises(errors.BMCUnreachable, match="did not come back within 2 s"):
            update.update_accelerator_firmware(root, sid, "fpga1", url, timeout=30,
                                               unreachable_timeout=2)
    finally:
        server.faults.clear()


def test_injected_http_errors_are_retried(service, root):
    sid = service.by_profile["standard"]
    service.httpd.service.emu.server(sid).faults.add({"kind": "http-error", "status": 503,
                                                      "count": 1})
    accs = client.read_accelerators(root, sid)
    assert [a["id"] for a in accs] == ["fpga0", "fpga1"]


def test_read_accelerators_maps_to_the_contract(mroot):
    accs = {a["id"]: a for a in client.read_accelerators(mroot, MIXED)}
    assert accs["fpga0"]["processor_type"] == "FPGA"
    assert accs["fpga0"]["fpga"]["FirmwareId"] == "0x2300011001030f"
    assert accs["gpu0"]["processor_type"] == "GPU"
    assert accs["qat0"]["processor_type"] == "Accelerator"
    fn = accs["fpga1"]["pci_functions"][0]
    assert (fn["VendorId"], fn["DeviceId"], fn["ClassCode"]) == ("0x10ee", "0x5004", "0x120000")
    comps = {f["component"]: f for f in accs["fpga0"]["firmware"]}
    assert set(comps) == {"max10_bmc_nios", "max10_bmc_build", "fpga_image"}
    assert comps["max10_bmc_nios"]["update_method"] == "redfish"
    fec = accs["fec0"]["firmware"][0]
    assert (fec["component"], fec["updatable"], fec["update_method"]) == \
        ("fec_firmware", False, "none")


def test_not_updatable_component_is_refused_before_sending(mroot, images):
    url, _ = images.add("fec.bin", "fec_firmware", "1.0.1")
    with pytest.raises(errors.NotUpdatable, match="fec0 has no updateable firmware"):
        update.update_accelerator_firmware(mroot, MIXED, "fec0", url)


def test_unknown_device_lists_known_ones(mroot):
    with pytest.raises(errors.DeviceNotFound, match=r"no accelerator 'gpu9'.*fpga0"):
        update.update_accelerator_firmware(mroot, MIXED, "gpu9", "http://127.0.0.1:1/x")


def test_checksum_mismatch_sends_nothing(mixed_service, mroot, images):
    url, _ = images.add("sum.bin", "vbios", "96.00.99.00.02")
    tasks_before = len(mixed_service.httpd.service.tasks.tasks)
    with pytest.raises(errors.ImageChecksumMismatch, match="nothing was sent"):
        update.update_accelerator_firmware(mroot, MIXED, "gpu1", url,
                                           checksum="sha256:" + "0" * 64)
    assert len(mixed_service.httpd.service.tasks.tasks) == tasks_before


def test_checksum_match_and_expected_version(mroot, images):
    import hashlib

    url, path = images.add("ok.bin", "vbios", "96.00.99.00.03")
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    result = update.update_accelerator_firmware(mroot, MIXED, "gpu1", url,
                                                checksum=f"sha256:{digest}",
                                                expected_version="96.00.99.00.03")
    assert result["after"] == "96.00.99.00.03"


def test_image_for_another_component_fails_the_task(mroot, images):
    url, _ = images.add("wrong.bin", "vbios", "1.2.3")
    with pytest.raises(errors.TaskFailed, match="image is for component 'vbios'"):
        update.update_accelerator_firmware(mroot, MIXED, "fpga2", url)


def test_corrupt_image_fails_the_task(mroot, images):
    url = images.add_raw("corrupt.bin", b"ACCEL-FW/1 {\"component\": \"vbios\"")
    with pytest.raises(errors.TaskFailed, match="image rejected"):
        update.update_accelerator_firmware(mroot, MIXED, "gpu2", url)


def test_lowest_supported_version_and_force(service, root, images):
    # host-a's fpga1 NIOS firmware has LowestSupportedVersion D.2.0.6
    url, _ = images.add("old.bin", "max10_bmc_nios", "D.2.0.1")
    sid = service.by_profile["standard"]
    with pytest.raises(errors.TaskFailed, match="below the lowest supported version D.2.0.6"):
        update.update_accelerator_firmware(root, sid, "fpga1", url)
    result = update.update_accelerator_firmware(root, sid, "fpga1", url, force=True)
    assert result["after"] == "D.2.0.1"


def test_multipart_push_of_a_local_image(mroot, images):
    _url, path = images.add("push.bin", "fpga_image", "0x2300011001040f")
    with pytest.raises(errors.UnsupportedImage, match="file:// images are disabled"):
        update.update_accelerator_firmware(mroot, MIXED, "fpga0", f"file://{path}",
                                           component="fpga_image")
    result = update.update_accelerator_firmware(
        mroot, MIXED, "fpga0", f"file://{path}", component="fpga_image", allow_file=True,
        username="admin", password="password")
    assert result["transfer"] == "multipart"
    assert result["after"] == "0x2300011001040f"


def test_disallowed_scheme_is_refused(mroot):
    with pytest.raises(errors.UnsupportedImage, match="scheme 'ftp' is not allowed"):
        update.update_accelerator_firmware(mroot, MIXED, "fpga0", "ftp://h/x.bin")


def test_retry_after_parsing():
    assert task_poller.parse_retry_after("1") == 1.0
    assert task_poller.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470) == 10
    assert task_poller.parse_retry_after("soon") is None
    assert task_poller.parse_retry_after(None) is None
