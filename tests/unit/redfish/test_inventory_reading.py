"""Robust reading and the layouts no capture here shows, on small mockups written by the
tests (modelled on ../shared/hwfacts/redfish-vendors.md) and served by the emulator's
static mode: paging loops and repeats, bounds, missing members, several systems (a DGX
host with its HGX baseboard), a DPU system beside its host, a SmartNIC's FPGA under a
network adapter, connected processors, HPE's DeviceContext, a GPU module chassis."""

import json
import os
import tempfile
import unittest

from ironic_fpga.redfish import client, errors
from ironic_fpga.redfish.inventory.bmc import BMC
from redfish_mocks.httpd import HttpService
from redfish_mocks.static import StaticService
from tests.redfish_helpers import keep_alive, shared_dir
from tests.unit import base

V1 = "/redfish/v1"


def ref(path):
    return {"@odata.id": path}


def coll(path, members, **extra):
    return dict({"@odata.id": path, "Members": [ref(m) for m in members],
                 "Members@odata.count": len(members)}, **extra)


def mockup(docs):
    """A static-mode folder of ``{uri: document}`` (the service root added)."""
    root = tempfile.mkdtemp(prefix="accel-mockup-")
    docs = dict(docs)
    docs.setdefault(V1, {"@odata.id": f"{V1}/", "Id": "RootService",
                         "Systems": ref(f"{V1}/Systems"),
                         **({"Chassis": ref(f"{V1}/Chassis")}
                            if f"{V1}/Chassis" in docs else {}),
                         **({"UpdateService": ref(f"{V1}/UpdateService")}
                            if f"{V1}/UpdateService" in docs else {})})
    for uri, doc in docs.items():
        folder = os.path.join(root, uri[len(V1):].lstrip("/"))
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "index.json"), "w") as f:
            json.dump(doc, f)
    return root


def system(sid, **extra):
    return dict({"@odata.id": f"{V1}/Systems/{sid}", "Id": sid, "SystemType": "Physical",
                 "Processors": ref(f"{V1}/Systems/{sid}/Processors")}, **extra)


def proc(uri, kind, **extra):
    return dict({"@odata.id": uri, "Id": uri.rsplit("/", 1)[1], "ProcessorType": kind},
                **extra)


def inventory(entries):
    docs = {f"{V1}/UpdateService": {"@odata.id": f"{V1}/UpdateService", "Id": "UpdateService",
                                    "FirmwareInventory": ref(f"{V1}/UpdateService/"
                                                             "FirmwareInventory")},
            f"{V1}/UpdateService/FirmwareInventory": coll(
                f"{V1}/UpdateService/FirmwareInventory",
                [f"{V1}/UpdateService/FirmwareInventory/{e['Id']}" for e in entries])}
    for e in entries:
        uri = f"{V1}/UpdateService/FirmwareInventory/{e['Id']}"
        docs[uri] = dict({"@odata.id": uri, "Updateable": True}, **e)
    return docs


class ReadingTest(base.TestCase):

    def serve(self, docs):
        srv = HttpService(StaticService(mockup(docs))).start()
        self.addCleanup(srv.stop)
        root = keep_alive(client.connect(srv.url, "admin", "password"))
        self.addCleanup(client.close, root)
        return root

    def ids(self, root, system_id=None):
        return {a["id"]: a for a in client.read_accelerators(root, system_id)}

    # -- collections -------------------------------------------------------------------------

    def paged(self, last_next=None, repeat=False):
        procs = f"{V1}/Systems/1/Processors"
        members = [f"{procs}/GPU{i}" for i in range(5)]
        docs = {f"{V1}/Systems": coll(f"{V1}/Systems", [f"{V1}/Systems/1"]),
                f"{V1}/Systems/1": system("1"),
                procs: coll(procs, members[:2], **{"Members@odata.nextLink": f"{procs}/p2"}),
                f"{procs}/p2": coll(f"{procs}/p2", members[2:4] + (members[:1] if repeat else []),
                                    **{"Members@odata.nextLink": f"{procs}/p3"}),
                f"{procs}/p3": coll(f"{procs}/p3", members[4:], **(
                    {"Members@odata.nextLink": last_next} if last_next else {}))}
        docs.update({m: proc(m, "GPU") for m in members})
        return docs

    def test_every_page_of_a_collection_is_read(self):
        self.assertEqual(set(self.ids(self.serve(self.paged()))),
                         {f"GPU{i}" for i in range(5)})

    def test_a_next_link_back_to_a_page_read_is_a_loop(self):
        root = self.serve(self.paged(last_next=f"{V1}/Systems/1/Processors/p2"))
        with self.assertRaisesRegex(errors.BadCollection,
                                    r"Processors loops: its nextLink .*/p2 points back"):
            client.read_accelerators(root)

    def test_a_member_listed_twice_is_kept_once_with_a_warning(self):
        inv = client.read_inventory(self.serve(self.paged(repeat=True)))
        self.assertEqual(len(inv.accelerators), 5)
        self.assertTrue(any("more than once" in w for w in inv.warnings), inv.warnings)

    def test_too_many_pages_or_requests_are_refused(self):
        root = self.serve(self.paged())
        with self.assertRaisesRegex(errors.BadCollection, "more than 2 pages"):
            BMC(root._conn, max_pages=2).members(f"{V1}/Systems/1/Processors")
        with self.assertRaisesRegex(errors.BadCollection, "more than 3 members"):
            BMC(root._conn, max_members=3).members(f"{V1}/Systems/1/Processors")
        with self.assertRaisesRegex(errors.ReadLimitExceeded, "more than 4 requests"):
            from ironic_fpga.redfish import inventory

            inventory.read(root._conn, None, bmc=BMC(root._conn, max_requests=4))

    def test_a_next_link_to_another_host_is_read_from_this_bmc_only(self):
        docs = self.paged()
        procs = f"{V1}/Systems/1/Processors"
        docs[procs]["Members@odata.nextLink"] = f"http://203.0.113.9:1{procs}/p2"
        self.assertEqual(len(self.ids(self.serve(docs))), 5)

    def test_null_members_and_missing_members_are_tolerated(self):
        procs = f"{V1}/Systems/1/Processors"
        docs = {f"{V1}/Systems": coll(f"{V1}/Systems", [f"{V1}/Systems/1"]),
                f"{V1}/Systems/1": system("1", GraphicsControllers=ref(f"{V1}/Systems/1/GC")),
                procs: coll(procs, [f"{procs}/GPU0", f"{procs}/gone"]),
                f"{procs}/GPU0": proc(f"{procs}/GPU0", "GPU"),
                f"{V1}/Systems/1/GC": {"@odata.id": f"{V1}/Systems/1/GC", "Members": None},
                f"{V1}/Chassis": coll(f"{V1}/Chassis", [])}
        inv = client.read_inventory(self.serve(docs))
        self.assertEqual([a["id"] for a in inv.accelerators], ["GPU0"])
        self.assertTrue(any("gone but answers 404" in w for w in inv.warnings), inv.warnings)

    # -- layouts -----------------------------------------------------------------------------

    def dgx(self):
        """DGX H100: host DGX, baseboard HGX_Baseboard_0 with GPU_SXM_1..2; module chassis
        HGX_GPU_SXM_n holding the GPU's PCIe device; HGX_FW_* entries without RelatedItem."""
        base = f"{V1}/Systems/HGX_Baseboard_0/Processors"
        docs = {f"{V1}/Systems": coll(f"{V1}/Systems", [f"{V1}/Systems/DGX",
                                                       f"{V1}/Systems/HGX_Baseboard_0"]),
                f"{V1}/Systems/DGX": system("DGX"),
                f"{V1}/Systems/DGX/Processors": coll(f"{V1}/Systems/DGX/Processors",
                                                     [f"{V1}/Systems/DGX/Processors/CPU_0"]),
                f"{V1}/Systems/DGX/Processors/CPU_0": proc(
                    f"{V1}/Systems/DGX/Processors/CPU_0", "CPU"),
                f"{V1}/Systems/HGX_Baseboard_0": system("HGX_Baseboard_0"),
                base: coll(base, [f"{base}/GPU_SXM_1", f"{base}/GPU_SXM_2"]),
                f"{V1}/Chassis": coll(f"{V1}/Chassis", [f"{V1}/Chassis/HGX_GPU_SXM_1",
                                                       f"{V1}/Chassis/HGX_GPU_SXM_2"])}
        for n in (1, 2):
            docs[f"{base}/GPU_SXM_{n}"] = proc(f"{base}/GPU_SXM_{n}", "GPU",
                                               FirmwareVersion="96.00.89.00.01",
                                               Model="NVIDIA H100 80GB HBM3",
                                               SerialNumber=f"16543230{n}")
            ch = f"{V1}/Chassis/HGX_GPU_SXM_{n}"
            docs[ch] = {"@odata.id": ch, "Id": f"HGX_GPU_SXM_{n}", "ChassisType": "Module",
                        "PCIeDevices": ref(f"{ch}/PCIeDevices"),
                        "Links": {"Processors": [ref(f"{base}/GPU_SXM_{n}")]}}
            docs[f"{ch}/PCIeDevices"] = coll(f"{ch}/PCIeDevices", [f"{ch}/PCIeDevices/GPU_SXM_{n}"])
            docs[f"{ch}/PCIeDevices/GPU_SXM_{n}"] = {
                "@odata.id": f"{ch}/PCIeDevices/GPU_SXM_{n}", "Id": f"GPU_SXM_{n}",
                "PCIeFunctions": ref(f"{ch}/PCIeDevices/GPU_SXM_{n}/PCIeFunctions")}
            docs[f"{ch}/PCIeDevices/GPU_SXM_{n}/PCIeFunctions"] = coll(
                f"{ch}/PCIeDevices/GPU_SXM_{n}/PCIeFunctions",
                [f"{ch}/PCIeDevices/GPU_SXM_{n}/PCIeFunctions/0"])
            docs[f"{ch}/PCIeDevices/GPU_SXM_{n}/PCIeFunctions/0"] = {
                "@odata.id": f"{ch}/PCIeDevices/GPU_SXM_{n}/PCIeFunctions/0", "Id": "0",
                "VendorId": "0x10de", "DeviceId": "0x2330", "ClassCode": "0x030200",
                "SegmentNumber": "0x0000", "BusNumber": f"0x{0x17 + n:02x}",
                "DeviceNumber": "0x00", "FunctionNumber": "0x0"}
        docs.update(inventory([
            {"Id": "HGX_FW_GPU_SXM_1", "Version": "96.00.89.00.01", "RelatedItem": []},
            {"Id": "HGX_FW_GPU_SXM_2", "Version": "96.00.89.00.01", "RelatedItem": []},
            {"Id": "HGX_InfoROM_GPU_SXM_2", "Version": "G520.0200.00.05", "Updateable": False},
            {"Id": "HGX_FW_NVSwitch_0", "Version": "96.10.35.00.01"},
            {"Id": "HostBMC_0", "Version": "24.09.17"}]))
        return docs

    def test_dgx_host_reads_its_baseboard_gpus_each_once(self):
        root = self.serve(self.dgx())
        accs = self.ids(root)  # no system named: the host, not the baseboard
        self.assertEqual(set(accs), {"GPU_SXM_1", "GPU_SXM_2"})
        gpu = accs["GPU_SXM_2"]
        self.assertEqual((gpu["vendor_id"], gpu["device_id"], gpu["model"], gpu["pci_address"]),
                         ("0x10de", "0x2330", "H100", "0000:19:00.0"))
        self.assertEqual(len(gpu["uris"]), 2)  # the processor and its PCIe device
        fw = {f["component"]: (f["version"], f["updatable"]) for f in gpu["firmware"]}
        self.assertEqual(fw, {"hgx_fw_gpu_sxm_2": ("96.00.89.00.01", True),
                              "hgx_inforom_gpu_sxm_2": ("G520.0200.00.05", False)})
        self.assertEqual(client.read_inventory(root).system, f"{V1}/Systems/DGX")

    def test_dpu_system_beside_its_host_smartnic_fpga_and_connected_gpu(self):
        card = f"{V1}/Chassis/Card2/NetworkAdapters/Slot2"
        cpu = f"{V1}/Systems/host/Processors/CPU0"
        docs = {
            f"{V1}/Systems": coll(f"{V1}/Systems", [f"{V1}/Systems/host",
                                                   f"{V1}/Systems/Card1-SoC"]),
            f"{V1}/Systems/host": system("host", Links={"Chassis": [ref(f"{V1}/Chassis/host")]}),
            f"{V1}/Systems/host/Processors": coll(f"{V1}/Systems/host/Processors", [cpu]),
            cpu: proc(cpu, "CPU", Links={"ConnectedProcessors": [ref(f"{V1}/Chassis/G/GPU0")]}),
            f"{V1}/Chassis/G/GPU0": proc(f"{V1}/Chassis/G/GPU0", "GPU", Manufacturer="NVIDIA",
                                        FirmwareVersion="97.00.01"),
            f"{V1}/Systems/Card1-SoC": system("Card1-SoC", SystemType="DPU",
                                              Model="BlueField-3", BiosVersion="4.9.0",
                                              Links={"Chassis": [ref(f"{V1}/Chassis/Card1")]}),
            f"{V1}/Systems/Card1-SoC/Processors": coll(f"{V1}/Systems/Card1-SoC/Processors",
                                                       [f"{V1}/Systems/Card1-SoC/Processors/A"]),
            f"{V1}/Systems/Card1-SoC/Processors/A": proc(
                f"{V1}/Systems/Card1-SoC/Processors/A", "CPU"),
            f"{V1}/Chassis": coll(f"{V1}/Chassis", [f"{V1}/Chassis/host", f"{V1}/Chassis/Card1",
                                                   f"{V1}/Chassis/Card2"]),
            f"{V1}/Chassis/host": {"@odata.id": f"{V1}/Chassis/host", "Id": "host",
                                   "Links": {"Contains": [ref(f"{V1}/Chassis/Card1"),
                                                          ref(f"{V1}/Chassis/Card2")]}},
            f"{V1}/Chassis/Card1": {"@odata.id": f"{V1}/Chassis/Card1", "Id": "Card1",
                                    "ChassisType": "Card", "SerialNumber": "MT2423600ANG"},
            f"{V1}/Chassis/Card2": {"@odata.id": f"{V1}/Chassis/Card2", "Id": "Card2",
                                    "NetworkAdapters": ref(f"{V1}/Chassis/Card2/NetworkAdapters")},
            f"{V1}/Chassis/Card2/NetworkAdapters": coll(f"{V1}/Chassis/Card2/NetworkAdapters",
                                                        [card]),
            card: {"@odata.id": card, "Id": "Slot2", "Model": "SmartNIC FPGA card",
                   "Controllers": [{"FirmwarePackageVersion": "1.2.3"}],
                   "Processors": ref(f"{card}/Processors")},
            f"{card}/Processors": coll(f"{card}/Processors", [f"{card}/Processors/FPGA1"]),
            f"{card}/Processors/FPGA1": proc(f"{card}/Processors/FPGA1", "FPGA",
                                             Manufacturer="Intel(R) Corporation",
                                             FPGA={"FirmwareVersion": "2.0"}),
        }
        accs = self.ids(self.serve(docs), "host")
        self.assertEqual(set(accs), {"GPU0", "Card1-SoC", "FPGA1"})
        self.assertEqual(accs["Card1-SoC"]["type"], "DPU")
        self.assertEqual({f["component"]: f["version"] for f in accs["FPGA1"]["firmware"]},
                         {"fpga_firmware": "2.0", "adapter_firmware": "1.2.3"})
        self.assertEqual([f["version"] for f in accs["Card1-SoC"]["firmware"]], ["4.9.0"])
        self.assertEqual([f["version"] for f in accs["GPU0"]["firmware"]], ["97.00.01"])

    def test_hpe_device_context_ties_an_entry_to_its_slot(self):
        dev = f"{V1}/Chassis/1/PCIeDevices/5"
        docs = {f"{V1}/Systems": coll(f"{V1}/Systems", [f"{V1}/Systems/1"]),
                f"{V1}/Systems/1": system("1"),
                f"{V1}/Systems/1/Processors": coll(f"{V1}/Systems/1/Processors", []),
                f"{V1}/Chassis": coll(f"{V1}/Chassis", [f"{V1}/Chassis/1"]),
                f"{V1}/Chassis/1": {"@odata.id": f"{V1}/Chassis/1", "Id": "1",
                                    "PCIeDevices": ref(f"{V1}/Chassis/1/PCIeDevices")},
                f"{V1}/Chassis/1/PCIeDevices": coll(f"{V1}/Chassis/1/PCIeDevices", [dev]),
                dev: {"@odata.id": dev, "Id": "5", "FirmwareVersion": "24.40.1000",
                      "Slot": {"Location": {"PartLocation": {"ServiceLabel": "PCI-E Slot 5"}}},
                      "PCIeFunctions": ref(f"{dev}/PCIeFunctions")},
                f"{dev}/PCIeFunctions": coll(f"{dev}/PCIeFunctions", [f"{dev}/PCIeFunctions/0"]),
                f"{dev}/PCIeFunctions/0": {"@odata.id": f"{dev}/PCIeFunctions/0", "Id": "0",
                                           "VendorId": "0x15B3", "DeviceId": "0xA2D6"}}
        docs.update(inventory([{"Id": "7", "Name": "BlueField-2", "Version": "24.40.1000",
                                "Oem": {"Hpe": {"DeviceContext": "PCI-E Slot 5"}}},
                               {"Id": "8", "Version": "2.72",
                                "Oem": {"Hpe": {"DeviceContext": "System Board"}}}]))
        accs = self.ids(self.serve(docs))
        self.assertEqual(list(accs), ["5"])
        self.assertEqual([(f["component"], f["update_target"]) for f in accs["5"]["firmware"]],
                         [("fw_7", f"{V1}/UpdateService/FirmwareInventory/7")])


def example(name):
    with open(os.path.join(shared_dir(), "redfish", "examples", f"{name}-v1-example.json")) as f:
        return json.load(f)


@unittest.skipUnless(shared_dir(), "../shared/redfish is not beside the repository")
class Dsp2046ExamplesTest(base.TestCase):
    """DMTF's resource examples (DSP2046), each served on its own at its @odata.id (the
    test adds only a service root, a system and the collection that lists it: the
    examples are separate documents, not one server). Only GraphicsController GPU1 is an
    accelerator (video BIOS 90.02.17.00.7D; the processor it links is not among the
    examples). The CPU (Processor), the SuperNIC PCIe device (12.342-343), the 599TPS-T
    adapter (7.4.10) and the FC function (class 0x010802) are not."""

    serve = ReadingTest.serve

    def one(self, name, attach):
        """Accelerators of a BMC holding only the example ``name``; ``attach(system doc,
        chassis doc, uri)`` links it where it lives."""
        doc = example(name)
        uri = doc["@odata.id"].rstrip("/")
        sys_doc = system("S")
        ch_doc = {"@odata.id": f"{V1}/Chassis/C", "Id": "C"}
        docs = {uri: doc, f"{V1}/Systems": coll(f"{V1}/Systems", [f"{V1}/Systems/S"]),
                f"{V1}/Chassis": coll(f"{V1}/Chassis", [f"{V1}/Chassis/C"]),
                f"{V1}/Systems/S/Processors": coll(f"{V1}/Systems/S/Processors", [])}
        docs.update(attach(sys_doc, ch_doc, uri) or {})
        docs[f"{V1}/Systems/S"], docs[f"{V1}/Chassis/C"] = sys_doc, ch_doc
        inv = client.read_inventory(self.serve(docs))
        return [(a["id"], a["type"], a["vendor"],
                 [(f["component"], f["version"], f["updatable"]) for f in a["firmware"]])
                for a in inv.accelerators]

    def test_each_example_alone(self):
        def graphics(sys_doc, _ch, uri):
            sys_doc["GraphicsControllers"] = ref(f"{V1}/Systems/S/GC")
            return {f"{V1}/Systems/S/GC": coll(f"{V1}/Systems/S/GC", [uri])}

        def processor(_sys, _ch, uri):
            return {f"{V1}/Systems/S/Processors": coll(f"{V1}/Systems/S/Processors", [uri])}

        def pcie_device(sys_doc, _ch, uri):
            sys_doc["PCIeDevices"] = [ref(uri)]
            return {f"{uri}/PCIeFunctions": coll(f"{uri}/PCIeFunctions", [])}

        def pcie_function(sys_doc, _ch, uri):
            sys_doc["PCIeFunctions"] = [ref(uri)]
            dev = uri.rsplit("/PCIeFunctions/", 1)[0]
            return {dev: {"@odata.id": dev, "Id": "FC",
                          "PCIeFunctions": ref(f"{dev}/PCIeFunctions")},
                    f"{dev}/PCIeFunctions": coll(f"{dev}/PCIeFunctions", [uri])}

        def adapter(_sys, ch_doc, uri):
            ch_doc["NetworkAdapters"] = ref(f"{V1}/Chassis/C/NA")
            return {f"{V1}/Chassis/C/NA": coll(f"{V1}/Chassis/C/NA", [uri])}

        cases = {
            "GraphicsController": (graphics, [("GPU1", "GPU", "CONTOSO",
                                               [("vbios", "90.02.17.00.7D", False)])]),
            "Processor": (processor, []),
            "PCIeDevice": (pcie_device, []),
            "PCIeFunction": (pcie_function, []),
            "NetworkAdapter": (adapter, []),
        }
        for name, (attach, expected) in cases.items():
            with self.subTest(example=name):
                self.assertEqual(self.one(name, attach), expected)
