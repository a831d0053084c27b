"""The emulator's request handling, called directly (no sockets): resources, auth, actions,
bad requests, faults, static mode."""

import base64
import io
import json
import os
import unittest
from unittest import mock

import accel_hosts
from redfish_mocks import cli, odata
from redfish_mocks.httpd import DROP
from redfish_mocks.service import EmulatorService
from redfish_mocks.state import Emulator
from redfish_mocks.static import MockupError, StaticService
from tests.redfish_helpers import shared_dir
from tests.unit import base

BASIC = {"Authorization": "Basic " + base64.b64encode(b"admin:password").decode()}
V1 = "/redfish/v1"


def call(svc, method, path, body=None, headers=BASIC):
    data = json.dumps(body).encode() if body is not None else b""
    resp = svc.handle(method, path, headers, data)
    if resp is DROP:
        return "DROP", None
    doc = json.loads(resp.body) if resp.body and resp.body[:1] == b"{" else resp.body
    return resp.status, doc


MOCKUP = os.path.join(shared_dir() or "/nonexistent", "redfish", "mockups", "public-rackmount1")


BAD_SIMPLE_UPDATE_IS_A_400_WITHOUT_TASK_CASES = [
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
]


class TestEmulator(base.TestCase):
    def setUp(self):
        super().setUp()
        self.svc = EmulatorService(Emulator([accel_hosts.load("mixed")]))

    def test_resources_come_from_the_host_model(self):
        host = accel_hosts.load("mixed")
        status, system = call(self.svc, "GET", f"{V1}/Systems/mixed")
        self.assertEqual(status, 200)
        self.assertEqual(system["UUID"], host.system_uuid)
        self.assertEqual(system["BiosVersion"], host.bios_version)
        _, procs = call(self.svc, "GET", f"{V1}/Systems/mixed/Processors")
        ids = [m["@odata.id"].rsplit("/", 1)[1] for m in procs["Members"]]
        self.assertEqual(ids, ["CPU0", "CPU1"] + [c.id for c in host.cards])
        _, fpga = call(self.svc, "GET", f"{V1}/Systems/mixed/Processors/fpga0")
        self.assertEqual(fpga["ProcessorType"], "FPGA")
        self.assertEqual(fpga["FPGA"]["FirmwareId"], host.card("fpga0").dfl.bitstream_id)
        slot = fpga["FPGA"]["ReconfigurationSlots"][0]
        status, af = call(self.svc, "GET", slot["AccelerationFunction"]["@odata.id"])
        self.assertEqual(status, 200)
        self.assertEqual(af["FpgaReconfigurationSlots"], [slot["SlotId"]])
        _, gpu = call(self.svc, "GET", f"{V1}/Systems/mixed/Processors/gpu0")
        self.assertEqual(gpu["ProcessorType"], "GPU")
        self.assertNotIn("FPGA", gpu)
        _, fn = call(self.svc, "GET", f"{V1}/Chassis/mixed/PCIeDevices/fpga1/PCIeFunctions/0")
        pf = host.card("fpga1").primary
        self.assertEqual((fn["VendorId"], fn["DeviceId"], fn["ClassCode"]),
                         (pf.vendor_id, pf.device_id, pf.class_code))
        _, bmc = call(self.svc, "GET", f"{V1}/UpdateService/FirmwareInventory/mixed-BMC")
        self.assertEqual(bmc["Version"], host.bmc.firmware_version)
        self.assertEqual(bmc["RelatedItem"], [{"@odata.id": f"{V1}/Managers/mixed"}])

    def test_metadata_lists_every_type_used(self):
        status, body = call(self.svc, "GET", f"{V1}/$metadata", headers={})
        self.assertEqual(status, 200)
        for name, version in odata.TYPES.items():
            self.assertTrue(f'Namespace="{name}.{version}"' in body.decode() if version else True)

    def test_auth_basic_session_and_refusals(self):
        self.assertEqual(call(self.svc, "GET", f"{V1}/Systems", headers={})[0], 401)
        self.assertEqual(
            call(self.svc, "GET", V1, headers={})[0], 200)
        bad = {"Authorization": "Basic " + base64.b64encode(b"admin:nope").decode()}
        self.assertEqual(call(self.svc, "GET", f"{V1}/Systems", headers=bad)[0], 401)
        self.assertEqual(call(self.svc, "POST", f"{V1}/SessionService/Sessions",
                    {"UserName": "admin", "Password": "nope"}, headers={})[0], 401)
        resp = self.svc.handle("POST", f"{V1}/SessionService/Sessions", {},
                          json.dumps({"UserName": "admin", "Password": "password"}).encode())
        self.assertEqual(resp.status, 201)
        token = dict(resp.headers)["X-Auth-Token"]
        location = dict(resp.headers)["Location"]
        self.assertEqual(
            call(self.svc, "GET", f"{V1}/Systems", headers={"X-Auth-Token": token})[0], 200)
        self.assertEqual(
            call(self.svc, "DELETE", location, headers={"X-Auth-Token": token})[0], 204)
        self.assertEqual(
            call(self.svc, "GET", f"{V1}/Systems", headers={"X-Auth-Token": token})[0], 401)

    def test_power_and_boot(self):
        path = f"{V1}/Systems/mixed/Actions/ComputerSystem.Reset"
        self.assertEqual(call(self.svc, "POST", path, {"ResetType": "ForceOff"})[0], 204)
        self.assertEqual(call(self.svc, "GET", f"{V1}/Systems/mixed")[1]["PowerState"], "Off")
        self.assertEqual(call(self.svc, "POST", path, {"ResetType": "On"})[0], 204)
        self.assertEqual(call(self.svc, "GET", f"{V1}/Systems/mixed")[1]["PowerState"], "On")
        status, err = call(self.svc, "POST", path, {"ResetType": "Explode"})
        self.assertEqual(status, 400)
        self.assertIn("Explode", err["error"]["message"])
        self.assertEqual(call(self.svc, "PATCH", f"{V1}/Systems/mixed",
                    {"Boot": {"BootSourceOverrideTarget": "Pxe"}})[0], 204)
        self.assertEqual(
            call(self.svc, "GET", f"{V1}/Systems/mixed")[1]["Boot"]["BootSourceOverrideTarget"],
            "Pxe")
        self.assertEqual(call(self.svc, "PATCH", f"{V1}/Systems/mixed", {"Name": "x"})[0], 400)

    def test_bad_simple_update_is_a_400_without_task(self):
        for body, message in BAD_SIMPLE_UPDATE_IS_A_400_WITHOUT_TASK_CASES:
            with self.subTest(body=body, message=message):
                status, err = call(
                    self.svc, "POST", f"{V1}/UpdateService/Actions/UpdateService.SimpleUpdate",
                    body)
                self.assertEqual(status, 400)
                self.assertIn(message, err["error"]["message"])
                self.assertEqual(self.svc.tasks.tasks, {})

    def test_bad_json_and_unknown_paths(self):
        resp = self.svc.handle("POST", f"{V1}/UpdateService/Actions/UpdateService.SimpleUpdate",
                          BASIC, b"{not json")
        self.assertEqual(resp.status, 400)
        self.assertEqual(call(self.svc, "GET", f"{V1}/Systems/nope")[0], 404)
        self.assertEqual(call(self.svc, "GET", f"{V1}/Systems/mixed/Processors/gpu9")[0], 404)
        self.assertEqual(call(self.svc, "DELETE", f"{V1}/Systems/mixed")[0], 405)
        self.assertEqual(call(self.svc, "POST", f"{V1}/UpdateService/upload", None)[0], 400)

    def test_faults_through_the_admin_api(self):
        base = "/accel-mock/v1/servers/mixed/faults"
        self.assertEqual(
            call(self.svc, "POST", base, {"kind": "http-error", "status": 503, "count": 1})[0], 204)
        self.assertEqual(call(self.svc, "GET", f"{V1}/Systems/mixed")[0], 503)
        self.assertEqual(call(self.svc, "GET", f"{V1}/Systems/mixed")[0], 200)
        self.assertEqual(
            call(self.svc, "POST", base, {"kind": "unreachable", "seconds": 30})[0], 204)
        self.assertEqual(call(self.svc, "GET", f"{V1}/Systems/mixed")[0], "DROP")
        self.assertEqual(
            call(self.svc, "GET", f"{V1}/Systems")[0], 200)
        self.assertEqual(call(self.svc, "DELETE", base)[0], 204)
        self.assertEqual(call(self.svc, "GET", f"{V1}/Systems/mixed")[0], 200)
        self.assertEqual(call(self.svc, "POST", base, {"kind": "meteor"})[0], 400)
        self.assertEqual(call(self.svc, "PUT", "/accel-mock/v1/servers/mixed/profile",
                    {"profile": "monitor-204"})[0], 204)
        self.assertEqual(
            call(self.svc, "PUT", "/accel-mock/v1/servers/mixed/profile", {"profile": "x"})[0], 400)
        servers = call(self.svc, "GET", "/accel-mock/v1/servers")[1]["servers"]
        self.assertEqual(servers[0]["profile"], "monitor-204")

    def test_many_servers_share_one_host_model(self):
        host = accel_hosts.load("host-a")
        emu = Emulator([host], count=50)
        self.assertEqual(len(emu.servers), 50)
        self.assertEqual({id(s.host) for s in emu.servers.values()}, {id(host)})

    def test_cli_rejects_bad_arguments(self):
        tmp_path = self.tmp_dir()

        def main(*argv):
            err = io.StringIO()
            with mock.patch("sys.stderr", err):
                return cli.main(list(argv)), err.getvalue()

        code, err = main("--host", "no-such-host", "--port", "0")
        self.assertEqual(code, 2)
        self.assertIn("no host description", err)
        code, err = main("--mockup", str(tmp_path), "--port", "0")
        self.assertEqual(code, 2)
        self.assertIn("not a Redfish mockup", err)
        code, err = main("--profile", "nope", "--port", "0")
        self.assertEqual(code, 2)
        self.assertIn("unknown profile", err)

    @unittest.skipIf(not os.path.isdir(MOCKUP), "the DMTF mockups are not here: neither "
                        "<repo>/../shared/redfish/mockups nor $ACCEL_SHARED_DIR/redfish/mockups")
    def test_static_mode_serves_a_mockup_read_only(self):
        svc = StaticService(MOCKUP)
        status, root = call(svc, "GET", V1, headers={})
        self.assertEqual(status, 200)
        self.assertEqual(root["@odata.id"], "/redfish/v1/")
        with open(os.path.join(MOCKUP, "Systems", "437XR1138R2", "Processors", "FPGA1",
                               "index.json")) as f:
            expected = json.load(f)
        expected.pop("@Redfish.Copyright")  # a mockup-only annotation a live service never sends
        self.assertEqual(
            call(svc, "GET", f"{V1}/Systems/437XR1138R2/Processors/FPGA1")[1], expected)
        self.assertEqual(call(svc, "GET", f"{V1}/Systems", headers={})[0], 401)
        self.assertEqual(call(svc, "POST", f"{V1}/Systems/437XR1138R2/Actions/ComputerSystem.Reset",
                    {"ResetType": "On"})[0], 405)
        self.assertEqual(call(svc, "GET", f"{V1}/../../../etc")[0], 404)
        status, body = call(svc, "GET", f"{V1}/$metadata", headers={})
        self.assertEqual(status, 200)
        self.assertIn(b"edmx:Edmx", body)
        with self.assertRaises(MockupError):
            StaticService(os.path.dirname(MOCKUP))
