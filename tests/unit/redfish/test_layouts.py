"""Vendor layouts of the emulator (redfish_mocks.layouts): where each one puts the host's
accelerators and their firmware, how updates are targeted, and that every place showing
a version shows the new one afterwards. Requests go straight to the service object."""

import base64
import json
import tempfile
import time
import unittest
import uuid

import accel_hosts
from redfish_mocks import image as image_mod
from redfish_mocks import profiles
from redfish_mocks.httpd import DROP
from redfish_mocks.service import EmulatorService
from redfish_mocks.state import Emulator
from tests.redfish_helpers import ImageServer

BASIC = {"Authorization": "Basic " + base64.b64encode(b"admin:password").decode()}
V1 = "/redfish/v1"
INV = f"{V1}/UpdateService/FirmwareInventory"


def service(host, profile, **kwargs):
    host = accel_hosts.load(host) if isinstance(host, str) else host
    return EmulatorService(Emulator([host], profile=profile, update_seconds=0.05), **kwargs)


def call(svc, method, path, body=None, headers=BASIC):
    data = json.dumps(body).encode() if body is not None else b""
    resp = svc.handle(method, path, headers, data)
    if resp is DROP:
        return "DROP", None, {}
    doc = json.loads(resp.body) if resp.body[:1] == b"{" else resp.body
    return resp.status, doc, dict(resp.headers)


def get(svc, path):
    status, doc, _ = call(svc, "GET", path)
    assert status == 200, (path, status, doc)
    return doc


def members(svc, path):
    """Every member id (last segment) of a collection, nextLink pages followed."""
    out, seen = [], set()
    while path:
        assert path not in seen, f"nextLink loops at {path}"
        seen.add(path)
        doc = get(svc, path)
        out += [m["@odata.id"].rsplit("/", 1)[1] for m in doc["Members"]]
        path = doc.get("Members@odata.nextLink")
    return out


def multipart(params, data):
    boundary = "accel-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"UpdateParameters\"\r\n"
            f"Content-Type: application/json\r\n\r\n{json.dumps(params)}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"UpdateFile\"; "
            f"filename=\"fw.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, dict(BASIC, **{"Content-Type": f"multipart/form-data; boundary={boundary}"})


def push(svc, path, params, component, version):
    body, headers = multipart(params, image_mod.build(component, version))
    resp = svc.handle("POST", path, headers, body)
    return resp.status, json.loads(resp.body), dict(resp.headers)


def wait_task(svc, task_id, deadline=60):
    """The finished Task (waits on its state, never on a duration)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        task = svc.tasks.get(task_id)
        if task is not None and task.finished:
            return task.to_dict()
        time.sleep(0.02)
    raise AssertionError(f"task {task_id} did not finish within {deadline} s")


class HgxTest(unittest.TestCase):
    host = accel_hosts.load("host-b")

    def setUp(self):
        self.svc = service(self.host, "hgx")
        self.gpus = [c for c in self.host.cards if c.nvidia is not None]

    def test_gpus_on_the_baseboard_with_their_firmware(self):
        root = get(self.svc, V1)
        self.assertEqual(root["Vendor"], "AMI")
        self.assertEqual(members(self.svc, f"{V1}/Systems"), ["DGX", "HGX_Baseboard_0"])
        procs = members(self.svc, f"{V1}/Systems/HGX_Baseboard_0/Processors")
        self.assertEqual(procs, [f"GPU_SXM_{i}" for i in range(1, 9)])
        for n, card in enumerate(self.gpus, start=1):
            gpu = get(self.svc, f"{V1}/Systems/HGX_Baseboard_0/Processors/GPU_SXM_{n}")
            self.assertEqual(gpu["ProcessorType"], "GPU")
            self.assertEqual(gpu["FirmwareVersion"], card.nvidia.vbios_version)
            self.assertEqual(gpu["SerialNumber"], card.serial)
            self.assertEqual(gpu["UUID"], str(uuid.UUID(card.nvidia.uuid[4:])))
            fw = get(self.svc, f"{INV}/HGX_FW_GPU_SXM_{n}")
            self.assertEqual((fw["Version"], fw["RelatedItem"], fw["Updateable"]),
                             (card.nvidia.vbios_version, [], True))
            chassis = get(self.svc, f"{V1}/Chassis/HGX_GPU_SXM_{n}")
            self.assertEqual(chassis["Links"]["Processors"],
                             [{"@odata.id": gpu["@odata.id"]}])
            dev = get(self.svc, gpu["Links"]["PCIeDevice"]["@odata.id"])
            self.assertNotIn("FirmwareVersion", dev)  # as on the DGX: only the Processor has it
            fn = get(self.svc, gpu["Links"]["PCIeFunctions"][0]["@odata.id"])
            self.assertEqual((fn["VendorId"], fn["DeviceId"]),
                             (card.primary.vendor_id, card.primary.device_id))
        inventory = members(self.svc, INV)
        self.assertEqual([i for i in inventory if i.startswith("HGX_FW_NVSwitch")],
                         [f"HGX_FW_NVSwitch_{i}" for i in range(4)])
        self.assertIn("HostBMC_0", inventory)

    def test_one_gpu_updated_by_a_multipart_push(self):
        status, task, headers = push(self.svc, f"{V1}/UpdateService/upload",
                                     {"Targets": [f"{INV}/HGX_FW_GPU_SXM_3"]}, "vbios",
                                     "96.00.99.00.01")
        self.assertEqual(status, 202)
        self.assertEqual(wait_task(self.svc, task["Id"])["TaskState"], "Completed")
        for n, card in enumerate(self.gpus, start=1):
            want = "96.00.99.00.01" if n == 3 else card.nvidia.vbios_version
            self.assertEqual(get(self.svc, f"{INV}/HGX_FW_GPU_SXM_{n}")["Version"], want)
            self.assertEqual(get(self.svc, f"{V1}/Systems/HGX_Baseboard_0/Processors/"
                                           f"GPU_SXM_{n}")["FirmwareVersion"], want)

    def test_the_tray_target_updates_every_gpu_the_image_fits(self):
        status, task, _ = push(self.svc, f"{V1}/UpdateService/upload",
                               {"Targets": [f"{INV}/HGX_0"]}, "vbios", "96.00.99.00.02")
        self.assertEqual(status, 202)
        done = wait_task(self.svc, task["Id"])
        self.assertEqual(done["TaskState"], "Completed")
        self.assertEqual(len(done["Messages"]) - 1, 8)  # one UpdateSuccessful per GPU
        self.assertEqual({get(self.svc, f"{INV}/HGX_FW_GPU_SXM_{n}")["Version"]
                          for n in range(1, 9)}, {"96.00.99.00.02"})
        self.assertEqual(get(self.svc, f"{INV}/HGX_FW_NVSwitch_0")["Version"], "96.10.4f.00.01")

    def test_refusals(self):
        status, err, _ = call(self.svc, "POST", f"{V1}/UpdateService/Actions/"
                              "UpdateService.SimpleUpdate",
                              {"ImageURI": "http://127.0.0.1:1/x",
                               "Targets": [f"{INV}/HGX_FW_GPU_SXM_1"]})
        self.assertEqual(status, 400)
        self.assertIn("not a parameter of SimpleUpdate", err["error"]["message"])
        status, err, _ = push(self.svc, f"{V1}/UpdateService/upload",
                              {"Targets": [f"{INV}/GPU_SXM_1"]}, "vbios", "1")
        self.assertEqual(status, 400)
        status, task, _ = push(self.svc, f"{V1}/UpdateService/upload",
                               {"Targets": [f"{INV}/HGX_0"]}, "max10_bmc_nios", "1")
        done = wait_task(self.svc, task["Id"])
        self.assertEqual(done["TaskState"], "Exception")
        self.assertIn("no updateable component", done["Messages"][-1]["Message"])

    def test_pcie_devices_are_paged_75_at_a_time(self):
        host = accel_hosts.large_host(1500)
        svc = service(host, "hgx")
        others = [c for c in host.cards if c.nvidia is None and c.kind != "nvswitch"]
        self.assertGreater(len(others), 75)
        page = get(svc, f"{V1}/Chassis/DGX/PCIeDevices")
        self.assertEqual(len(page["Members"]), 75)
        self.assertEqual(page["Members@odata.count"], len(others))
        self.assertEqual(page["Members@odata.nextLink"], f"{V1}/Chassis/DGX/PCIeDevices?$skip=75")
        self.assertEqual(members(svc, f"{V1}/Chassis/DGX/PCIeDevices"), [c.id for c in others])
        self.assertNotIn("Members@odata.nextLink", get(svc, f"{V1}/Systems"))  # only PCIe


class BluefieldTest(unittest.TestCase):
    host = accel_hosts.load("host-d")

    def setUp(self):
        self.svc = service(self.host, "bluefield")
        self.dpu = self.host.card("dpu0")

    def test_the_dpu_and_its_firmware(self):
        self.assertEqual(get(self.svc, V1)["Product"], "Nvidia-BMCMezz")
        self.assertEqual(members(self.svc, f"{V1}/Systems"), ["Bluefield"])
        system = get(self.svc, f"{V1}/Systems/Bluefield")
        self.assertEqual((system["SystemType"], system["SerialNumber"]), ("DPU", self.dpu.serial))
        adapter = get(self.svc, f"{V1}/Chassis/Card1/NetworkAdapters/NvidiaNetworkAdapter")
        self.assertEqual(adapter["Controllers"][0]["FirmwarePackageVersion"], "32.41.1000")
        self.assertEqual(members(self.svc, INV), ["BMC_Firmware", "Bluefield_FW_ERoT", "DPU_ATF",
                                                  "DPU_BSP", "DPU_NIC", "DPU_OS", "DPU_UEFI"])
        nic = get(self.svc, f"{INV}/DPU_NIC")
        self.assertEqual((nic["Version"], nic["Updateable"], nic["RelatedItem"]),
                         ("32.41.1000", False, [{"@odata.id": f"{V1}/Systems/Bluefield/Bios"}]))
        self.assertTrue(get(self.svc, f"{INV}/DPU_OS")["Updateable"])
        self.assertEqual(get(self.svc, f"{V1}/Managers/Bluefield_BMC")["FirmwareVersion"],
                         "BF-24.10-10")

    def test_a_bfb_deployed_by_simple_update(self):
        folder = tempfile.mkdtemp()
        images = ImageServer(folder)
        self.addCleanup(images.stop)
        url, _ = images.add("dpu.bfb", "dpu_bundle", "bf-bundle-2.10.0-1_25.04_ubuntu-22.04_prod")
        status, task, _ = call(self.svc, "POST", f"{V1}/UpdateService/Actions/"
                               "UpdateService.SimpleUpdate",
                               {"ImageURI": url, "TransferProtocol": "HTTP",
                                "Targets": ["redfish/v1/UpdateService/FirmwareInventory/DPU_OS"]})
        self.assertEqual(status, 202, task)
        self.assertEqual(wait_task(self.svc, task["Id"])["TaskState"], "Completed")
        self.assertEqual(get(self.svc, f"{INV}/DPU_OS")["Version"],
                         "bf-bundle-2.10.0-1_25.04_ubuntu-22.04_prod")

    def test_the_bmc_pushed_without_targets_and_refusals(self):
        status, task, _ = push(self.svc, f"{V1}/UpdateService/update-multipart", {},
                               "dpu_bmc", "BF-25.04-3")
        self.assertEqual(status, 202)
        self.assertEqual(wait_task(self.svc, task["Id"])["TaskState"], "Completed")
        self.assertEqual(get(self.svc, f"{INV}/BMC_Firmware")["Version"], "BF-25.04-3")
        self.assertEqual(get(self.svc, f"{V1}/Managers/Bluefield_BMC")["FirmwareVersion"],
                         "BF-25.04-3")
        simple = f"{V1}/UpdateService/Actions/UpdateService.SimpleUpdate"
        for body, message in (
                ({"ImageURI": "http://127.0.0.1:1/x"}, "Targets is required"),
                ({"ImageURI": "http://127.0.0.1:1/x", "Targets": [f"{INV}/DPU_NIC"]},
                 "not updateable")):
            status, err, _ = call(self.svc, "POST", simple, body)
            self.assertEqual(status, 400)
            self.assertIn(message, err["error"]["message"])
        status, err, _ = push(self.svc, f"{V1}/UpdateService/update-multipart",
                              {"Targets": [f"{INV}/DPU_OS"]}, "dpu_bundle", "x")
        self.assertEqual(status, 400)
        self.assertIn("SimpleUpdate", err["error"]["message"])

    def test_a_host_without_a_dpu_is_refused(self):
        with self.assertRaises(ValueError):
            service("mixed", "bluefield")


class IdracTest(unittest.TestCase):
    host = accel_hosts.load("host-d")

    def setUp(self):
        self.svc = service(self.host, "idrac")

    def test_fqdd_names_and_where_versions_are(self):
        system = f"{V1}/Systems/System.Embedded.1"
        self.assertEqual(members(self.svc, f"{system}/Processors"),
                         ["Video.Slot.1-1", "CPU.Socket.1", "CPU.Socket.2"])
        gpu = get(self.svc, f"{system}/Processors/Video.Slot.1-1")
        self.assertNotIn("FirmwareVersion", gpu)
        self.assertEqual(gpu["Links"]["PCIeDevice"]["@odata.id"],
                         f"{V1}/Chassis/System.Embedded.1/PCIeDevices/23-0")  # bus 0x17
        self.assertEqual(get(self.svc, f"{V1}/Chassis/System.Embedded.1/PCIeDevices/23-0")
                         ["FirmwareVersion"], "")
        for fqdd in ("NIC.Slot.2", "NIC.Slot.5"):
            adapter = get(self.svc, f"{V1}/Chassis/System.Embedded.1/NetworkAdapters/{fqdd}")
            self.assertEqual(adapter["Controllers"][0]["FirmwarePackageVersion"], "32.41.1000")
            self.assertEqual(adapter["SerialNumber"].rstrip(), self.host.card(
                "dpu0" if fqdd == "NIC.Slot.2" else "dpu1").serial)
        inventory = members(self.svc, INV)
        self.assertIn("Installed-0-32.41.1000__NIC.Slot.2-1", inventory)
        self.assertIn("Installed-159-2.3.5__BIOS.Setup.1-1", inventory)
        self.assertEqual(get(self.svc, f"{INV}/Installed-0-32.41.1000__NIC.Slot.5-1")
                         ["RelatedItem"], [])
        self.assertEqual(len(inventory), 4)  # no entry for the GPU nor the CXL cards

    def test_a_package_updates_what_it_fits_and_the_ids_follow(self):
        status, task, headers = push(self.svc, f"{V1}/UpdateService/MultipartUpload",
                                     {"Targets": [], "@Redfish.OperationApplyTime": "Immediate"},
                                     "nic_firmware", "32.42.1000")
        self.assertEqual(status, 202)
        self.assertTrue(task["Id"].startswith("JID_"))
        self.assertEqual(headers["Location"], f"{V1}/TaskService/Tasks/{task['Id']}")
        self.assertEqual(wait_task(self.svc, task["Id"])["TaskState"], "Completed")
        inventory = members(self.svc, INV)
        for slot in (2, 5):
            self.assertIn(f"Installed-0-32.42.1000__NIC.Slot.{slot}-1", inventory)
            self.assertIn(f"Previous-0-32.41.1000__NIC.Slot.{slot}-1", inventory)
            self.assertNotIn(f"Installed-0-32.41.1000__NIC.Slot.{slot}-1", inventory)
            adapter = get(self.svc, f"{V1}/Chassis/System.Embedded.1/NetworkAdapters/"
                                    f"NIC.Slot.{slot}")
            self.assertEqual(adapter["Controllers"][0]["FirmwarePackageVersion"], "32.42.1000")
        old = get(self.svc, f"{INV}/Previous-0-32.41.1000__NIC.Slot.2-1")
        self.assertEqual((old["Version"], old["Updateable"]), ("32.41.1000", False))


class IloTest(unittest.TestCase):
    host = accel_hosts.load("host-c")

    def test_numeric_inventory_tied_by_slot_and_a_component_wide_update(self):
        svc = service(self.host, "ilo")
        inventory = members(svc, INV)
        self.assertEqual(inventory, [str(i) for i in range(1, len(inventory) + 1)])
        shells = []
        for iid in inventory:
            entry = get(svc, f"{INV}/{iid}")
            self.assertEqual(entry["RelatedItem"], [])
            if entry["SoftwareId"] == "xrt_shell":
                shells.append(iid)
                self.assertTrue(entry["Oem"]["Hpe"]["DeviceContext"])
        self.assertEqual(len(shells), 4)  # one per U250
        dev = get(svc, f"{V1}/Chassis/1/PCIeDevices/1")
        self.assertEqual(dev["SerialNumber"], self.host.cards[0].serial)
        self.assertIn("FirmwareVersion", dev)
        folder = tempfile.mkdtemp()
        images = ImageServer(folder)
        self.addCleanup(images.stop)
        url, _ = images.add("shell.bin", "xrt_shell", "4.2")
        simple = f"{V1}/UpdateService/Actions/UpdateService.SimpleUpdate"
        status, err, _ = call(svc, "POST", simple, {"ImageURI": url, "Targets": [f"{INV}/3"]})
        self.assertEqual(status, 400)
        status, task, _ = call(svc, "POST", simple, {"ImageURI": url})
        self.assertEqual(status, 202)
        self.assertEqual(wait_task(svc, task["Id"])["TaskState"], "Completed")
        self.assertEqual({get(svc, f"{INV}/{i}")["Version"] for i in shells}, {"4.2"})


class CxlTest(unittest.TestCase):
    def test_cxl_devices_as_modules_without_update_service(self):
        svc = service("host-d", "cxl")
        root = get(svc, V1)
        self.assertNotIn("UpdateService", root)
        self.assertEqual(call(svc, "GET", f"{V1}/UpdateService")[0], 404)
        system = get(svc, f"{V1}/Systems/host-d")
        links = [m["@odata.id"] for m in system["PCIeDevices"]]
        self.assertIn(f"{V1}/Chassis/cxl0/PCIeDevices/1", links)
        dev = get(svc, f"{V1}/Chassis/cxl0/PCIeDevices/1")
        self.assertEqual((dev["CXLDevice"]["DeviceType"], dev["FirmwareVersion"]),
                         ("Type2", "1.4.2.0"))
        self.assertEqual(get(svc, f"{V1}/Chassis/cxl1/PCIeDevices/1")["CXLDevice"]["DeviceType"],
                         "Type1")
        proc = get(svc, f"{V1}/Chassis/cxl0/Processors/cxl0")
        self.assertNotIn("FirmwareVersion", proc)
        self.assertEqual(proc["Links"]["ConnectedProcessors"],
                         [{"@odata.id": f"{V1}/Systems/host-d/Processors/CPU1"}])
        fn = get(svc, proc["Links"]["PCIeFunctions"][0]["@odata.id"])
        self.assertEqual((fn["FunctionProtocol"], fn["DeviceId"]), ("CXL", "0x0c02"))
        self.assertEqual(get(svc, f"{V1}/Chassis/cxl0/Memory/HBM")["CapacityMiB"], 16384)


class DmtfTest(unittest.TestCase):
    def test_devices_linked_from_several_places_firmware_in_the_device(self):
        host = accel_hosts.load("mixed")
        svc = service(host, "dmtf")
        system = f"{V1}/Systems/mixed"
        procs = members(svc, f"{system}/Processors")
        self.assertNotIn("fpga0", procs)  # the N3000 SmartNIC: under its network adapter
        nic_fpga = get(svc, f"{V1}/Chassis/mixed/NetworkAdapters/fpga0/Processors/fpga0")
        self.assertEqual(nic_fpga["FPGA"]["FirmwareVersion"],
                         host.card("fpga0").firmware[0].version)
        u250 = get(svc, f"{system}/Processors/fpga1")
        self.assertEqual(u250["FPGA"]["FirmwareVersion"], host.card("fpga1").firmware[0].version)
        gpu = get(svc, f"{system}/Processors/gpu0")
        self.assertNotIn("FirmwareVersion", gpu)
        controller = get(svc, gpu["Links"]["GraphicsController"]["@odata.id"])
        self.assertEqual(controller["BiosVersion"], host.card("gpu0").nvidia.vbios_version)
        self.assertEqual(controller["Links"]["Processors"], [{"@odata.id": gpu["@odata.id"]}])
        self.assertEqual(gpu["Links"]["ConnectedProcessors"],
                         [{"@odata.id": f"{system}/Processors/CPU2"}])
        self.assertEqual(members(svc, INV), ["BIOS", "BMC"])


class ProfilesTest(unittest.TestCase):
    def test_a_vendor_layout_is_one_bmc(self):
        with self.assertRaises(ValueError):
            Emulator([accel_hosts.load("host-b")], count=2, profile="hgx")
        emu = Emulator([accel_hosts.load("host-b")], profile="hgx")
        with self.assertRaises(ValueError):
            emu.set_profile("host-b", "idrac")
        emu.set_profile("host-b", "hgx+slow")
        self.assertEqual(emu.servers["host-b"].profile.update_seconds, 4.0)

    def test_combined_profiles(self):
        prof = profiles.get("hgx+fail-halfway")
        self.assertEqual((prof.layout, prof.fail_at_percent, prof.page_size), ("hgx", 50, 75))
        with self.assertRaises(ValueError):
            profiles.get("hgx+idrac")
        with self.assertRaises(ValueError):
            profiles.get("hgx+nope")
        svc = service("host-b", "hgx+fail-halfway")
        status, task, _ = push(svc, f"{V1}/UpdateService/upload",
                               {"Targets": [f"{INV}/HGX_FW_GPU_SXM_1"]}, "vbios", "9")
        self.assertEqual(wait_task(svc, task["Id"])["TaskState"], "Exception")
        self.assertNotEqual(get(svc, f"{INV}/HGX_FW_GPU_SXM_1")["Version"], "9")

    def test_a_rebooting_vendor_bmc_answers_nothing(self):
        svc = service("host-d", "idrac")
        svc.vendor.faults.add({"kind": "unreachable", "seconds": 60})
        self.assertEqual(call(svc, "GET", V1)[0], "DROP")
        self.assertEqual(call(svc, "POST", f"{V1}/SessionService/Sessions",
                              {"UserName": "admin", "Password": "password"})[0], "DROP")


class DynamicPagingTest(unittest.TestCase):
    def test_page_size_and_queries_in_the_standard_layout(self):
        svc = EmulatorService(Emulator([accel_hosts.load("mixed")]), page_size=4)
        whole = [s.inventory_id for s in svc.emu.servers["mixed"].firmware_specs()]
        first = get(svc, INV)
        self.assertEqual((len(first["Members"]), first["Members@odata.count"]), (4, len(whole)))
        self.assertEqual(members(svc, INV), whole)
        page = get(svc, f"{INV}?$skip=1&$top=2")
        self.assertEqual([m["@odata.id"].rsplit("/", 1)[1] for m in page["Members"]], whole[1:3])
        self.assertNotIn("Members@odata.nextLink", page)
        for query, status in (("$top=0", 400), ("$skip=-2", 400), ("$skip=999", 400),
                              ("$expand=.", 501)):
            with self.subTest(query=query):
                self.assertEqual(call(svc, "GET", f"{INV}?{query}")[0], status)
        self.assertEqual(call(svc, "GET", f"{V1}/Systems/mixed?$top=1")[0], 400)
        self.assertEqual(call(svc, "GET", f"{V1}/$metadata?$top=1", headers={})[0], 400)
        unpaged = EmulatorService(Emulator([accel_hosts.load("mixed")]))
        self.assertEqual(len(get(unpaged, INV)["Members"]), len(whole))
        with self.assertRaises(ValueError):
            EmulatorService(Emulator([accel_hosts.load("mixed")]), page_size=0)


class CliTest(unittest.TestCase):
    def make(self, *argv):
        from redfish_mocks import cli

        return cli.make_service(cli.build_parser().parse_args(list(argv)))

    def test_layout_profiles_and_page_size_from_the_command_line(self):
        svc = self.make("--host", "host-b", "--profile", "hgx")
        self.assertEqual(svc.layout.name, "hgx")
        svc = self.make("--host", "host-d", "--profile", "idrac+slow", "--page-size", "2")
        self.assertEqual((svc.layout.name, svc.page_size), ("idrac", 2))
        self.assertEqual(len(get(svc, f"{V1}/Chassis/System.Embedded.1/PCIeDevices")
                             ["Members"]), 2)
        svc = self.make("--host", "mixed", "--server-profile", "mixed=dmtf")
        self.assertEqual(svc.layout.name, "dmtf")

    def test_bad_combinations_are_refused_with_a_message(self):
        import contextlib
        import io

        from redfish_mocks import cli

        for argv, message in (
                (["--host", "host-a", "--host", "host-b", "--profile", "hgx"], "alone"),
                (["--host", "mixed", "--profile", "bluefield"], "BlueField"),
                (["--host", "mixed", "--page-size", "0"], "at least 1"),
                (["--host", "host-b", "--profile", "hgx+idrac"], "several layouts")):
            with self.subTest(argv=argv):
                err = io.StringIO()
                with contextlib.redirect_stderr(err):
                    self.assertEqual(cli.main(argv + ["--port", "0"]), 2)
                self.assertIn(message, err.getvalue())


class AgreementTest(unittest.TestCase):
    """Every layout shows the host model's facts only: PCI ids of its functions, versions
    of its firmware (the sysfs fixtures of the same host show the same)."""

    CASES = {"hgx": "host-b", "bluefield": "host-d", "idrac": "host-d", "ilo": "host-c",
             "cxl": "host-d", "dmtf": "mixed"}

    def test_every_layout_agrees_with_the_host_model(self):
        for profile, name in self.CASES.items():
            with self.subTest(profile=profile):
                host = accel_hosts.load(name)
                site, _ = service(host, profile).site()
                ids = {(f.vendor_id, f.device_id, f.class_code)
                       for c in host.cards for f in c.functions}
                versions = {host.bios_version, host.bmc.firmware_version} | {
                    fw.version for c in host.cards for fw in c.firmware}
                serials = {c.serial for c in host.cards} | {host.serial}
                seen_functions = 0
                for doc in site.docs.values():
                    if doc["@odata.type"].startswith("#PCIeFunction."):
                        seen_functions += 1
                        self.assertIn((doc["VendorId"], doc["DeviceId"], doc["ClassCode"]), ids)
                    for key in ("FirmwareVersion", "Version", "BiosVersion"):
                        if doc.get(key):
                            self.assertIn(doc[key], versions, (doc["@odata.id"], key))
                    for ctl in doc.get("Controllers", []):
                        if "FirmwarePackageVersion" in ctl:
                            self.assertIn(ctl["FirmwarePackageVersion"], versions)
                    if doc.get("SerialNumber") and "Processor" in doc["@odata.type"]:
                        self.assertIn(doc["SerialNumber"].rstrip(), serials)
                if profile != "bluefield":  # its Card1/PCIeDevices is empty, as captured
                    self.assertGreater(seen_functions, 0)
