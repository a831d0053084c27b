"""The emulator's request handling, called directly (no sockets): resources, auth, actions,
bad requests, faults, static mode."""

import base64
import json
import os

import pytest

import accel_hosts
from redfish_mocks import cli, odata
from redfish_mocks.httpd import DROP
from redfish_mocks.service import EmulatorService
from redfish_mocks.state import Emulator
from redfish_mocks.static import MockupError, StaticService
from tests.redfish_helpers import shared_dir

BASIC = {"Authorization": "Basic " + base64.b64encode(b"admin:password").decode()}
V1 = "/redfish/v1"


@pytest.fixture
def svc():
    return EmulatorService(Emulator([accel_hosts.load("mixed")]))


def call(svc, method, path, body=None, headers=BASIC):
    data = json.dumps(body).encode() if body is not None else b""
    resp = svc.handle(method, path, headers, data)
    if resp is DROP:
        return "DROP", None
    doc = json.loads(resp.body) if resp.body and resp.body[:1] == b"{" else resp.body
    return resp.status, doc


def test_resources_come_from_the_host_model(svc):
    host = accel_hosts.load("mixed")
    status, system = call(svc, "GET", f"{V1}/Systems/mixed")
    assert status == 200 and system["UUID"] == host.system_uuid
    assert system["BiosVersion"] == host.bios_version
    _, procs = call(svc, "GET", f"{V1}/Systems/mixed/Processors")
    ids = [m["@odata.id"].rsplit("/", 1)[1] for m in procs["Members"]]
    assert ids == ["CPU0", "CPU1"] + [c.id for c in host.cards]
    _, fpga = call(svc, "GET", f"{V1}/Systems/mixed/Processors/fpga0")
    assert fpga["ProcessorType"] == "FPGA"
    assert fpga["FPGA"]["FirmwareId"] == host.card("fpga0").dfl.bitstream_id
    slot = fpga["FPGA"]["ReconfigurationSlots"][0]
    status, af = call(svc, "GET", slot["AccelerationFunction"]["@odata.id"])
    assert status == 200 and af["FpgaReconfigurationSlots"] == [slot["SlotId"]]
    _, gpu = call(svc, "GET", f"{V1}/Systems/mixed/Processors/gpu0")
    assert gpu["ProcessorType"] == "GPU" and "FPGA" not in gpu
    _, fn = call(svc, "GET", f"{V1}/Chassis/mixed/PCIeDevices/fpga1/PCIeFunctions/0")
    pf = host.card("fpga1").primary
    assert (fn["VendorId"], fn["DeviceId"], fn["ClassCode"]) == (pf.vendor_id, pf.device_id,
                                                                pf.class_code)
    _, bmc = call(svc, "GET", f"{V1}/UpdateService/FirmwareInventory/mixed-BMC")
    assert bmc["Version"] == host.bmc.firmware_version
    assert bmc["RelatedItem"] == [{"@odata.id": f"{V1}/Managers/mixed"}]


def test_metadata_lists_every_type_used(svc):
    status, body = call(svc, "GET", f"{V1}/$metadata", headers={})
    assert status == 200
    for name, version in odata.TYPES.items():
        assert f'Namespace="{name}.{version}"' in body.decode() if version else True


def test_auth_basic_session_and_refusals(svc):
    assert call(svc, "GET", f"{V1}/Systems", headers={})[0] == 401
    assert call(svc, "GET", V1, headers={})[0] == 200  # the service root is public
    bad = {"Authorization": "Basic " + base64.b64encode(b"admin:nope").decode()}
    assert call(svc, "GET", f"{V1}/Systems", headers=bad)[0] == 401
    assert call(svc, "POST", f"{V1}/SessionService/Sessions",
                {"UserName": "admin", "Password": "nope"}, headers={})[0] == 401
    resp = svc.handle("POST", f"{V1}/SessionService/Sessions", {},
                      json.dumps({"UserName": "admin", "Password": "password"}).encode())
    assert resp.status == 201
    token = dict(resp.headers)["X-Auth-Token"]
    location = dict(resp.headers)["Location"]
    assert call(svc, "GET", f"{V1}/Systems", headers={"X-Auth-Token": token})[0] == 200
    assert call(svc, "DELETE", location, headers={"X-Auth-Token": token})[0] == 204
    assert call(svc, "GET", f"{V1}/Systems", headers={"X-Auth-Token": token})[0] == 401


def test_power_and_boot(svc):
    path = f"{V1}/Systems/mixed/Actions/ComputerSystem.Reset"
    assert call(svc, "POST", path, {"ResetType": "ForceOff"})[0] == 204
    assert call(svc, "GET", f"{V1}/Systems/mixed")[1]["PowerState"] == "Off"
    assert call(svc, "POST", path, {"ResetType": "On"})[0] == 204
    assert call(svc, "GET", f"{V1}/Systems/mixed")[1]["PowerState"] == "On"
    status, err = call(svc, "POST", path, {"ResetType": "Explode"})
    assert status == 400 and "Explode" in err["error"]["message"]
    assert call(svc, "PATCH", f"{V1}/Systems/mixed",
                {"Boot": {"BootSourceOverrideTarget": "Pxe"}})[0] == 204
    assert call(svc, "GET", f"{V1}/Systems/mixed")[1]["Boot"]["BootSourceOverrideTarget"] == \
        "Pxe"
    assert call(svc, "PATCH", f"{V1}/Systems/mixed", {"Name": "x"})[0] == 400


@pytest.mark.parametrize("body, message", [
    ({"ImageURI": "ftp://x/y", "Targets": ["x"]}, "scheme 'ftp'"),
    ({"Targets": []}, "ImageURI is required"),
    ({"ImageURI": "http://127.0.0.1:1/i"}, "Targets is required"),
    ({"ImageURI": "http://127.0.0.1:1/i", "Targets": ["/redfish/v1/Systems/mixed"]},
     "not a FirmwareInventory URI"),
    ({"ImageURI": "http://127.0.0.1:1/i",
      "Targets": [f"{V1}/UpdateService/FirmwareInventory/mixed-fec0-fec_firmware"]},
     "not updateable"),
    ({"ImageURI": "http://127.0.0.1:1/i", "TransferProtocol": "HTTPS",
      "Targets": [f"{V1}/UpdateService/FirmwareInventory/mixed-BMC"]}, "does not match"),
])
def test_bad_simple_update_is_a_400_without_task(svc, body, message):
    status, err = call(svc, "POST", f"{V1}/UpdateService/Actions/UpdateService.SimpleUpdate",
                       body)
    assert status == 400 and message in err["error"]["message"]
    assert svc.tasks.tasks == {}


def test_bad_json_and_unknown_paths(svc):
    resp = svc.handle("POST", f"{V1}/UpdateService/Actions/UpdateService.SimpleUpdate",
                      BASIC, b"{not json")
    assert resp.status == 400
    assert call(svc, "GET", f"{V1}/Systems/nope")[0] == 404
    assert call(svc, "GET", f"{V1}/Systems/mixed/Processors/gpu9")[0] == 404
    assert call(svc, "DELETE", f"{V1}/Systems/mixed")[0] == 405
    assert call(svc, "POST", f"{V1}/UpdateService/upload", None)[0] == 400


def test_faults_through_the_admin_api(svc):
    base = "/accel-mock/v1/servers/mixed/faults"
    assert call(svc, "POST", base, {"kind": "http-error", "status": 503, "count": 1})[0] == 204
    assert call(svc, "GET", f"{V1}/Systems/mixed")[0] == 503
    assert call(svc, "GET", f"{V1}/Systems/mixed")[0] == 200
    assert call(svc, "POST", base, {"kind": "unreachable", "seconds": 30})[0] == 204
    assert call(svc, "GET", f"{V1}/Systems/mixed")[0] == "DROP"
    assert call(svc, "GET", f"{V1}/Systems")[0] == 200  # other resources still answer
    assert call(svc, "DELETE", base)[0] == 204
    assert call(svc, "GET", f"{V1}/Systems/mixed")[0] == 200
    assert call(svc, "POST", base, {"kind": "meteor"})[0] == 400
    assert call(svc, "PUT", "/accel-mock/v1/servers/mixed/profile",
                {"profile": "monitor-204"})[0] == 204
    assert call(svc, "PUT", "/accel-mock/v1/servers/mixed/profile", {"profile": "x"})[0] == 400
    servers = call(svc, "GET", "/accel-mock/v1/servers")[1]["servers"]
    assert servers[0]["profile"] == "monitor-204"


def test_many_servers_share_one_host_model():
    host = accel_hosts.load("host-a")
    emu = Emulator([host], count=50)
    assert len(emu.servers) == 50
    assert {id(s.host) for s in emu.servers.values()} == {id(host)}


def test_cli_rejects_bad_arguments(capsys, tmp_path):
    assert cli.main(["--host", "no-such-host", "--port", "0"]) == 2
    assert "no host description" in capsys.readouterr().err
    assert cli.main(["--mockup", str(tmp_path), "--port", "0"]) == 2
    assert "not a Redfish mockup" in capsys.readouterr().err
    assert cli.main(["--profile", "nope", "--port", "0"]) == 2
    assert "unknown profile" in capsys.readouterr().err


MOCKUP = os.path.join(shared_dir() or "/nonexistent", "redfish", "mockups", "public-rackmount1")


@pytest.mark.skipif(not os.path.isdir(MOCKUP), reason="the DMTF mockups are not here: neither "
                    "<repo>/../shared/redfish/mockups nor $ACCEL_SHARED_DIR/redfish/mockups")
def test_static_mode_serves_a_mockup_read_only():
    svc = StaticService(MOCKUP)
    status, root = call(svc, "GET", V1, headers={})
    assert status == 200 and root["@odata.id"] == "/redfish/v1/"
    with open(os.path.join(MOCKUP, "Systems", "437XR1138R2", "Processors", "FPGA1",
                           "index.json")) as f:
        expected = json.load(f)
    expected.pop("@Redfish.Copyright")  # a mockup-only annotation a live service never sends
    assert call(svc, "GET", f"{V1}/Systems/437XR1138R2/Processors/FPGA1")[1] == expected
    assert call(svc, "GET", f"{V1}/Systems", headers={})[0] == 401
    assert call(svc, "POST", f"{V1}/Systems/437XR1138R2/Actions/ComputerSystem.Reset",
                {"ResetType": "On"})[0] == 405
    assert call(svc, "GET", f"{V1}/../../../etc")[0] == 404
    status, body = call(svc, "GET", f"{V1}/$metadata", headers={})
    assert status == 200 and b"edmx:Edmx" in body
    with pytest.raises(MockupError):
        StaticService(os.path.dirname(MOCKUP))
