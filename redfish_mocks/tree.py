"""Redfish resources rendered from the shared host model, one function per resource.

Every function takes the emulator and the path's ids and returns the resource as a
dict, or None when it does not exist (the server answers 404). Nothing is stored:
the HTTP layer caches the serialized bytes keyed by the owning server's generation.
"""

from __future__ import annotations

import uuid

from redfish_mocks import odata
from redfish_mocks.state import processor_type

V1 = "/redfish/v1"
OK = {"State": "Enabled", "Health": "OK"}
RESET_TYPES = ["On", "ForceOff", "GracefulShutdown", "GracefulRestart", "ForceRestart",
               "PushPowerButton", "Nmi"]
BOOT_TARGETS = ["None", "Pxe", "Hdd", "Cd", "BiosSetup", "UefiHttp"]


def ref(path):
    return {"@odata.id": path}


def collection(name, path, members, title):
    return {
        "@odata.type": odata.odata_type(name),
        "@odata.id": path,
        "Name": title,
        "Members": [ref(m) for m in members],
        "Members@odata.count": len(members),
    }


def _uuid(text):
    """A canonical UUID from 32 hex digits or a UUID string; None if it is neither."""
    try:
        return str(uuid.UUID(str(text).replace("GPU-", "")))
    except ValueError:
        return None


def _pcie_gen(speed):
    for gts, gen in (("2.5", "Gen1"), ("5.0", "Gen2"), ("8.0", "Gen3"), ("16.0", "Gen4"),
                     ("32.0", "Gen5"), ("64.0", "Gen6")):
        if speed and speed.startswith(gts):
            return gen
    return None


_DEVICE_CLASS = {"01": "MassStorageController", "02": "NetworkController",
                 "03": "DisplayController", "06": "Bridge", "0b": "Processor",
                 "12": "ProcessingAccelerators"}


def service_root(emu):
    return {
        "@odata.type": odata.odata_type("ServiceRoot"),
        "@odata.id": f"{V1}/",
        "Id": "RootService",
        "Name": "ironic-accel Redfish emulator",
        "RedfishVersion": "1.20.0",
        "UUID": "9b0ec1f4-5d3a-4c1e-8f3e-2a61a0c0ffee",
        "Vendor": "ironic-accel",
        "Systems": ref(f"{V1}/Systems"),
        "Chassis": ref(f"{V1}/Chassis"),
        "Managers": ref(f"{V1}/Managers"),
        "UpdateService": ref(f"{V1}/UpdateService"),
        "Tasks": ref(f"{V1}/TaskService"),
        "SessionService": ref(f"{V1}/SessionService"),
        "Links": {"Sessions": ref(f"{V1}/SessionService/Sessions")},
    }


# -- systems ----------------------------------------------------------------------------------

def systems(emu):
    return collection("ComputerSystemCollection", f"{V1}/Systems",
                      [f"{V1}/Systems/{sid}" for sid in emu.servers], "Computer Systems")


def _cpu_ids(host):
    return [f"CPU{n}" for n in sorted(host.numa_cpulists)]


def system(emu, server):
    host, sid = server.host, server.sid
    base = f"{V1}/Systems/{sid}"
    return {
        "@odata.type": odata.odata_type("ComputerSystem"),
        "@odata.id": base,
        "Id": sid,
        "Name": host.hostname,
        "HostName": host.hostname,
        "SystemType": "Physical",
        "Manufacturer": host.manufacturer,
        "Model": host.model,
        "SerialNumber": host.serial,
        "UUID": host.system_uuid,
        "BiosVersion": server.version_of(server.firmware(f"{sid}-BIOS")),
        "PowerState": server.power_state,
        "Status": OK,
        "Boot": dict(server.boot, **{
            "BootSourceOverrideTarget@Redfish.AllowableValues": BOOT_TARGETS}),
        "ProcessorSummary": {"Count": len(host.numa_cpulists)},
        "Processors": ref(f"{base}/Processors"),
        "PCIeDevices": [ref(f"{V1}/Chassis/{sid}/PCIeDevices/{c.id}") for c in host.cards],
        "Links": {"Chassis": [ref(f"{V1}/Chassis/{sid}")],
                  "ManagedBy": [ref(f"{V1}/Managers/{sid}")]},
        "Actions": {"#ComputerSystem.Reset": {
            "target": f"{base}/Actions/ComputerSystem.Reset",
            "@Redfish.ActionInfo": f"{base}/ResetActionInfo"}},
    }


def reset_action_info(emu, server):
    return {
        "@odata.type": odata.odata_type("ActionInfo"),
        "@odata.id": f"{V1}/Systems/{server.sid}/ResetActionInfo",
        "Id": "ResetActionInfo",
        "Name": "Reset Action Info",
        "Parameters": [{"Name": "ResetType", "Required": True, "DataType": "String",
                        "AllowableValues": RESET_TYPES}],
    }


def processors(emu, server):
    base = f"{V1}/Systems/{server.sid}/Processors"
    ids = _cpu_ids(server.host) + [c.id for c in server.host.cards]
    return collection("ProcessorCollection", base, [f"{base}/{i}" for i in ids],
                      "Processors")


def _cpu(server, cpu_id):
    node = int(cpu_id[3:])
    cpus = server.host.numa_cpulists[node]
    threads = sum(int(b) - int(a) + 1 if a else 1
                  for a, _, b in (r.partition("-") for r in cpus.split(",")))
    return {
        "@odata.type": odata.odata_type("Processor"),
        "@odata.id": f"{V1}/Systems/{server.sid}/Processors/{cpu_id}",
        "Id": cpu_id,
        "Name": f"Central processor {node}",
        "ProcessorType": "CPU",
        "ProcessorArchitecture": "x86",
        "InstructionSet": "x86-64",
        "Socket": f"CPU {node}",
        "TotalThreads": threads,
        "Status": OK,
    }


def processor(emu, server, pid):
    host, sid = server.host, server.sid
    if pid in _cpu_ids(host):
        return _cpu(server, pid)
    card = _card(host, pid)
    if card is None:
        return None
    base = f"{V1}/Systems/{sid}/Processors/{card.id}"
    kind = processor_type(card)
    fw = [s for s in server.firmware_specs() if s.card is card]
    out = {
        "@odata.type": odata.odata_type("Processor"),
        "@odata.id": base,
        "Id": card.id,
        "Name": card.model,
        "ProcessorType": kind,
        "Manufacturer": card.manufacturer,
        "Model": card.model,
        "SerialNumber": card.serial,
        "Status": OK,
        "Links": {
            "PCIeDevice": ref(f"{V1}/Chassis/{sid}/PCIeDevices/{card.id}"),
            "PCIeFunctions": [ref(f"{V1}/Chassis/{sid}/PCIeDevices/{card.id}/PCIeFunctions/{i}")
                              for i, _ in enumerate(card.functions)],
            "Chassis": ref(f"{V1}/Chassis/{sid}"),
        },
    }
    if card.part_number:
        out["PartNumber"] = card.part_number
    if card.slot:
        out["Location"] = {"PartLocation": {"ServiceLabel": card.slot, "LocationType": "Slot"}}
    if fw:
        out["FirmwareVersion"] = server.version_of(fw[0])
    if card.nvidia is not None and _uuid(card.nvidia.uuid):
        out["UUID"] = _uuid(card.nvidia.uuid)
    pf = card.primary
    out["SystemInterface"] = {"InterfaceType": "PCIe", "PCIe": {
        "MaxPCIeType": _pcie_gen(pf.max_link_speed) or "Gen3",
        "MaxLanes": pf.max_link_width or 16}}
    if kind == "FPGA":
        out["FPGA"] = _fpga(server, card, base, fw)
        out["AccelerationFunctions"] = ref(f"{base}/AccelerationFunctions")
    return out


def _fpga(server, card, base, fw):
    fpga = {
        "FpgaType": "Discrete",
        "ProgrammableFromHost": True,
        "PCIeVirtualFunctions": sum(len(f.vfs) for f in card.functions),
        "ReconfigurationSlots": [],
    }
    if card.dfl is not None:
        fpga["Model"] = card.model
        fpga["FirmwareId"] = card.dfl.bitstream_id
        fpga["FirmwareManufacturer"] = card.manufacturer
        slot_uuid = _uuid(card.dfl.afu_id)
        slot_id = f"pr{card.dfl.pr_region}"
    elif card.xrt is not None:
        fpga["Model"] = card.xrt.vbnv
        fpga["FirmwareId"] = _uuid(card.xrt.interface_uuids[0]) or card.xrt.interface_uuids[0]
        fpga["FirmwareManufacturer"] = card.manufacturer
        slot_uuid = _uuid(card.xrt.xclbin_uuid)
        slot_id = "PLP"
    else:
        fpga["Model"] = card.model
        fpga["FirmwareId"] = server.version_of(fw[0]) if fw else "unknown"
        fpga["FirmwareManufacturer"] = card.manufacturer
        slot_uuid, slot_id = None, "pr0"
    slot = {"SlotId": slot_id, "ProgrammableFromHost": True,
            "AccelerationFunction": ref(f"{base}/AccelerationFunctions/{slot_id}")}
    if slot_uuid:
        slot["UUID"] = slot_uuid
    fpga["ReconfigurationSlots"].append(slot)
    return fpga


def acceleration_functions(emu, server, pid):
    card = _card(server.host, pid)
    if card is None or processor_type(card) != "FPGA":
        return None
    base = f"{V1}/Systems/{server.sid}/Processors/{card.id}/AccelerationFunctions"
    slots = _fpga(server, card, "", [])["ReconfigurationSlots"]
    return collection("AccelerationFunctionCollection", base,
                      [f"{base}/{s['SlotId']}" for s in slots], "Acceleration functions")


def acceleration_function(emu, server, pid, fid):
    card = _card(server.host, pid)
    if card is None or processor_type(card) != "FPGA":
        return None
    slots = {s["SlotId"]: s for s in _fpga(server, card, "", [])["ReconfigurationSlots"]}
    if fid not in slots:
        return None
    sid = server.sid
    out = {
        "@odata.type": odata.odata_type("AccelerationFunction"),
        "@odata.id": f"{V1}/Systems/{sid}/Processors/{card.id}/AccelerationFunctions/{fid}",
        "Id": fid,
        "Name": f"Function loaded in {fid}",
        "AccelerationFunctionType": "OEM",
        "FpgaReconfigurationSlots": [fid],
        "Manufacturer": card.manufacturer,
        "Status": OK,
        "Links": {"PCIeFunctions": [
            ref(f"{V1}/Chassis/{sid}/PCIeDevices/{card.id}/PCIeFunctions/0")]},
    }
    if slots[fid].get("UUID"):
        out["UUID"] = slots[fid]["UUID"]
    return out


# -- chassis and PCIe ----------------------------------------------------------------------

def chassis_collection(emu):
    return collection("ChassisCollection", f"{V1}/Chassis",
                      [f"{V1}/Chassis/{sid}" for sid in emu.servers], "Chassis")


def chassis(emu, server):
    host, sid = server.host, server.sid
    return {
        "@odata.type": odata.odata_type("Chassis"),
        "@odata.id": f"{V1}/Chassis/{sid}",
        "Id": sid,
        "Name": f"{host.model} chassis",
        "ChassisType": "RackMount",
        "Manufacturer": host.manufacturer,
        "Model": host.model,
        "SerialNumber": host.serial,
        "PowerState": server.power_state,
        "Status": OK,
        "PCIeDevices": ref(f"{V1}/Chassis/{sid}/PCIeDevices"),
        "Links": {"ComputerSystems": [ref(f"{V1}/Systems/{sid}")],
                  "ManagedBy": [ref(f"{V1}/Managers/{sid}")]},
    }


def pcie_devices(emu, server):
    base = f"{V1}/Chassis/{server.sid}/PCIeDevices"
    return collection("PCIeDeviceCollection", base,
                      [f"{base}/{c.id}" for c in server.host.cards], "PCIe devices")


def pcie_device(emu, server, did):
    card = _card(server.host, did)
    if card is None:
        return None
    pf = card.primary
    base = f"{V1}/Chassis/{server.sid}/PCIeDevices/{card.id}"
    out = {
        "@odata.type": odata.odata_type("PCIeDevice"),
        "@odata.id": base,
        "Id": card.id,
        "Name": card.model,
        "Manufacturer": card.manufacturer,
        "Model": card.model,
        "SerialNumber": card.serial,
        "DeviceType": "MultiFunction" if len(card.functions) > 1 else "SingleFunction",
        "Status": OK,
        "PCIeFunctions": ref(f"{base}/PCIeFunctions"),
        "Links": {"Chassis": [ref(f"{V1}/Chassis/{server.sid}")]},
    }
    iface = {}
    if _pcie_gen(pf.current_link_speed):
        iface["PCIeType"] = _pcie_gen(pf.current_link_speed)
    if _pcie_gen(pf.max_link_speed):
        iface["MaxPCIeType"] = _pcie_gen(pf.max_link_speed)
    if pf.current_link_width:
        iface["LanesInUse"] = pf.current_link_width
    if pf.max_link_width:
        iface["MaxLanes"] = pf.max_link_width
    if iface:
        out["PCIeInterface"] = iface
    if card.part_number:
        out["PartNumber"] = card.part_number
    if card.slot:
        out["Slot"] = {"Location": {"PartLocation": {"ServiceLabel": card.slot,
                                                     "LocationType": "Slot"}}}
    fw = [s for s in server.firmware_specs() if s.card is card]
    if fw:
        out["FirmwareVersion"] = server.version_of(fw[0])
    return out


def pcie_functions(emu, server, did):
    card = _card(server.host, did)
    if card is None:
        return None
    base = f"{V1}/Chassis/{server.sid}/PCIeDevices/{card.id}/PCIeFunctions"
    return collection("PCIeFunctionCollection", base,
                      [f"{base}/{i}" for i, _ in enumerate(card.functions)], "PCIe functions")


def pcie_function(emu, server, did, fid):
    card = _card(server.host, did)
    if card is None or not fid.isdigit() or int(fid) >= len(card.functions):
        return None
    fn = card.functions[int(fid)]
    sid = server.sid
    out = {
        "@odata.type": odata.odata_type("PCIeFunction"),
        "@odata.id": f"{V1}/Chassis/{sid}/PCIeDevices/{card.id}/PCIeFunctions/{fid}",
        "Id": fid,
        "Name": f"PCIe function {fn.address}",
        "Description": f"PCI address {fn.address}",
        "FunctionId": int(fn.address.rsplit(".", 1)[1]),
        "FunctionType": "Virtual" if fn.physfn else "Physical",
        "DeviceClass": _DEVICE_CLASS.get(fn.class_code[2:4], "Other"),
        "VendorId": fn.vendor_id,
        "DeviceId": fn.device_id,
        "ClassCode": fn.class_code,
        "RevisionId": fn.revision,
        "SubsystemVendorId": fn.subsystem_vendor_id,
        "SubsystemId": fn.subsystem_device_id,
        "Status": OK,
        "Links": {"PCIeDevice": ref(f"{V1}/Chassis/{sid}/PCIeDevices/{card.id}")},
    }
    return out


# -- managers --------------------------------------------------------------------------------

def managers(emu):
    return collection("ManagerCollection", f"{V1}/Managers",
                      [f"{V1}/Managers/{sid}" for sid in emu.servers], "Managers")


def manager(emu, server):
    host, sid = server.host, server.sid
    return {
        "@odata.type": odata.odata_type("Manager"),
        "@odata.id": f"{V1}/Managers/{sid}",
        "Id": sid,
        "Name": f"{host.bmc.model or 'BMC'} of {host.hostname}",
        "ManagerType": "BMC",
        "Manufacturer": host.bmc.vendor,
        "Model": host.bmc.model or "BMC",
        "FirmwareVersion": server.version_of(server.firmware(f"{sid}-BMC")),
        "PowerState": "On",
        "Status": OK,
        "Links": {"ManagerForServers": [ref(f"{V1}/Systems/{sid}")],
                  "ManagerForChassis": [ref(f"{V1}/Chassis/{sid}")]},
    }


# -- update service ---------------------------------------------------------------------------

def update_service(emu):
    return {
        "@odata.type": odata.odata_type("UpdateService"),
        "@odata.id": f"{V1}/UpdateService",
        "Id": "UpdateService",
        "Name": "Update service",
        "ServiceEnabled": True,
        "Status": OK,
        "FirmwareInventory": ref(f"{V1}/UpdateService/FirmwareInventory"),
        "MultipartHttpPushUri": f"{V1}/UpdateService/upload",
        "MaxImageSizeBytes": MAX_IMAGE_BYTES,
        "Actions": {"#UpdateService.SimpleUpdate": {
            "target": f"{V1}/UpdateService/Actions/UpdateService.SimpleUpdate",
            "@Redfish.ActionInfo": f"{V1}/UpdateService/SimpleUpdateActionInfo"}},
    }


MAX_IMAGE_BYTES = 64 * 1024 * 1024


def simple_update_action_info(emu):
    return {
        "@odata.type": odata.odata_type("ActionInfo"),
        "@odata.id": f"{V1}/UpdateService/SimpleUpdateActionInfo",
        "Id": "SimpleUpdateActionInfo",
        "Name": "SimpleUpdate Action Info",
        "Parameters": [
            {"Name": "ImageURI", "Required": True, "DataType": "String"},
            {"Name": "TransferProtocol", "Required": False, "DataType": "String",
             "AllowableValues": ["HTTP", "HTTPS"]},
            {"Name": "Targets", "Required": True, "DataType": "StringArray"},
            {"Name": "ForceUpdate", "Required": False, "DataType": "Boolean"},
        ],
    }


def firmware_inventory(emu):
    members = [f"{V1}/UpdateService/FirmwareInventory/{spec.inventory_id}"
               for server in emu.servers.values() for spec in server.firmware_specs()]
    return collection("SoftwareInventoryCollection", f"{V1}/UpdateService/FirmwareInventory",
                      members, "Firmware inventory")


def software_inventory(emu, server, spec):
    sid = server.sid
    if spec.kind == "bios":
        related = [ref(f"{V1}/Systems/{sid}")]
    elif spec.kind == "bmc":
        related = [ref(f"{V1}/Managers/{sid}")]
    else:
        related = [ref(f"{V1}/Systems/{sid}/Processors/{spec.card.id}"),
                   ref(f"{V1}/Chassis/{sid}/PCIeDevices/{spec.card.id}")]
    out = {
        "@odata.type": odata.odata_type("SoftwareInventory"),
        "@odata.id": f"{V1}/UpdateService/FirmwareInventory/{spec.inventory_id}",
        "Id": spec.inventory_id,
        "Name": spec.name,
        "Version": server.version_of(spec),
        "Updateable": spec.updatable,
        "SoftwareId": spec.component,
        "RelatedItem": related,
        "Status": OK,
    }
    if spec.card is not None:
        out["Manufacturer"] = spec.card.manufacturer
    if spec.lowest_supported_version:
        out["LowestSupportedVersion"] = spec.lowest_supported_version
    return out


def _card(host, card_id):
    for card in host.cards:
        if card.id == card_id:
            return card
    return None
