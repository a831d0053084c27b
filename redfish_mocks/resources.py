"""Redfish resource documents built from the host model, wherever a layout puts them.

Each builder takes the URIs a layout chose (``Systems/<id>/Processors/<id>`` for the
standard layout, ``Systems/HGX_Baseboard_0/Processors/GPU_SXM_1`` for an HGX one) and
returns the document; the host model supplies every fact, the server its mutable state
(power, boot, updated versions). Layouts (``tree`` for the standard one, ``layouts.*``
for the vendor ones) decide where each document lives and how resources link.
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
MAX_IMAGE_BYTES = 64 * 1024 * 1024

_DEVICE_CLASS = {"01": "MassStorageController", "02": "NetworkController",
                 "03": "DisplayController", "06": "Bridge", "0b": "Processor",
                 "12": "ProcessingAccelerators"}


def ref(path):
    return {"@odata.id": path}


def refs(paths):
    return [ref(p) for p in paths]


def last(uri):
    return uri.rsplit("/", 1)[1]


def collection(name, path, members, title):
    return {
        "@odata.type": odata.odata_type(name),
        "@odata.id": path,
        "Name": title,
        "Members": refs(members),
        "Members@odata.count": len(members),
    }


def canonical_uuid(text):
    """A canonical UUID from 32 hex digits or a UUID string; None if it is neither."""
    try:
        return str(uuid.UUID(str(text).replace("GPU-", "")))
    except ValueError:
        return None


def pcie_gen(speed):
    for gts, gen in (("2.5", "Gen1"), ("5.0", "Gen2"), ("8.0", "Gen3"), ("16.0", "Gen4"),
                     ("32.0", "Gen5"), ("64.0", "Gen6")):
        if speed and speed.startswith(gts):
            return gen
    return None


def card_version(server, card, component=None):
    """The version of a card's firmware component (its first one by default), or None."""
    for spec in server.firmware_specs():
        if spec.card is card and (component is None or spec.component == component):
            return server.version_of(spec)
    return None


# -- systems ----------------------------------------------------------------------------------

def system(server, uri, *, name=None, system_type="Physical", processors=True,
           pcie_devices=None, chassis=(), managers=(), extra=None):
    """A ComputerSystem for the host (or a DPU): identity, power, boot, reset."""
    host = server.host
    doc = {
        "@odata.type": odata.odata_type("ComputerSystem"),
        "@odata.id": uri,
        "Id": last(uri),
        "Name": name or host.hostname,
        "HostName": host.hostname,
        "SystemType": system_type,
        "Manufacturer": host.manufacturer,
        "Model": host.model,
        "SerialNumber": host.serial,
        "UUID": host.system_uuid,
        "PowerState": server.power_state,
        "Status": OK,
        "Boot": dict(server.boot, **{
            "BootSourceOverrideTarget@Redfish.AllowableValues": BOOT_TARGETS}),
        "ProcessorSummary": {"Count": len(host.numa_cpulists)},
        "Links": {"Chassis": refs(chassis), "ManagedBy": refs(managers)},
        "Actions": {"#ComputerSystem.Reset": {
            "target": f"{uri}/Actions/ComputerSystem.Reset",
            "@Redfish.ActionInfo": f"{uri}/ResetActionInfo"}},
    }
    bios = server.firmware(f"{server.sid}-BIOS")
    if bios is not None:
        doc["BiosVersion"] = server.version_of(bios)
    if processors:
        doc["Processors"] = ref(f"{uri}/Processors")
    if pcie_devices is not None:
        doc["PCIeDevices"] = refs(pcie_devices)
    doc.update(extra or {})
    return doc


def reset_action_info(uri):
    return {
        "@odata.type": odata.odata_type("ActionInfo"),
        "@odata.id": f"{uri}/ResetActionInfo",
        "Id": "ResetActionInfo",
        "Name": "Reset Action Info",
        "Parameters": [{"Name": "ResetType", "Required": True, "DataType": "String",
                        "AllowableValues": RESET_TYPES}],
    }


def cpu_ids(host):
    return [f"CPU{n}" for n in sorted(host.numa_cpulists)]


def cpu(server, uri, node):
    cpus = server.host.numa_cpulists[node]
    threads = sum(int(b) - int(a) + 1 if a else 1
                  for a, _, b in (r.partition("-") for r in cpus.split(",")))
    return {
        "@odata.type": odata.odata_type("Processor"),
        "@odata.id": uri,
        "Id": last(uri),
        "Name": f"Central processor {node}",
        "ProcessorType": "CPU",
        "ProcessorArchitecture": "x86",
        "InstructionSet": "x86-64",
        "Socket": f"CPU {node}",
        "TotalThreads": threads,
        "Status": OK,
    }


# -- accelerators ----------------------------------------------------------------------------

def processor(server, card, uri, *, links, kind=None, firmware_version=True, fpga=True,
              extra=None):
    """The Processor of one card. ``firmware_version``: True = the card's first component's
    version, a string = that, False = none shown (the BMC does not know it)."""
    kind = kind or processor_type(card)
    doc = {
        "@odata.type": odata.odata_type("Processor"),
        "@odata.id": uri,
        "Id": last(uri),
        "Name": card.model,
        "ProcessorType": kind,
        "Manufacturer": card.manufacturer,
        "Model": card.model,
        "SerialNumber": card.serial,
        "Status": OK,
        "Links": links,
    }
    if card.part_number:
        doc["PartNumber"] = card.part_number
    if card.slot:
        doc["Location"] = {"PartLocation": {"ServiceLabel": card.slot, "LocationType": "Slot"}}
    version = card_version(server, card) if firmware_version is True else firmware_version
    if version:
        doc["FirmwareVersion"] = version
    if card.nvidia is not None and canonical_uuid(card.nvidia.uuid):
        doc["UUID"] = canonical_uuid(card.nvidia.uuid)
    pf = card.primary
    doc["SystemInterface"] = {"InterfaceType": "PCIe", "PCIe": {
        "MaxPCIeType": pcie_gen(pf.max_link_speed) or "Gen3",
        "MaxLanes": pf.max_link_width or 16}}
    if card.cxl is not None:
        doc["ProcessorMemory"] = [{"IntegratedMemory": True, "MemoryType": "Cache",
                                   "CapacityMiB": card.cxl.cache_mib}]
        if card.cxl.memory_mib:
            doc["ProcessorMemory"].insert(0, {"IntegratedMemory": False, "MemoryType": "HBM2",
                                              "CapacityMiB": card.cxl.memory_mib})
    if kind == "FPGA" and fpga:
        doc["FPGA"] = fpga_object(server, card, uri)
        doc["AccelerationFunctions"] = ref(f"{uri}/AccelerationFunctions")
    doc.update(extra or {})
    return doc


def fpga_object(server, card, uri):
    fpga = {
        "FpgaType": "Discrete",
        "ProgrammableFromHost": True,
        "PCIeVirtualFunctions": sum(len(f.vfs) for f in card.functions),
        "ReconfigurationSlots": [],
    }
    if card.dfl is not None:
        fpga["Model"] = card.model
        fpga["FirmwareId"] = card.dfl.bitstream_id
        slot_uuid, slot_id = canonical_uuid(card.dfl.afu_id), f"pr{card.dfl.pr_region}"
    elif card.xrt is not None:
        fpga["Model"] = card.xrt.vbnv
        fpga["FirmwareId"] = (canonical_uuid(card.xrt.interface_uuids[0])
                              or card.xrt.interface_uuids[0])
        slot_uuid, slot_id = canonical_uuid(card.xrt.xclbin_uuid), "PLP"
    else:
        fpga["Model"] = card.model
        fpga["FirmwareId"] = card_version(server, card) or "unknown"
        slot_uuid, slot_id = None, "pr0"
    fpga["FirmwareManufacturer"] = card.manufacturer
    slot = {"SlotId": slot_id, "ProgrammableFromHost": True,
            "AccelerationFunction": ref(f"{uri}/AccelerationFunctions/{slot_id}")}
    if slot_uuid:
        slot["UUID"] = slot_uuid
    fpga["ReconfigurationSlots"].append(slot)
    return fpga


def acceleration_functions(server, card, uri):
    base = f"{uri}/AccelerationFunctions"
    slots = fpga_object(server, card, uri)["ReconfigurationSlots"]
    return collection("AccelerationFunctionCollection", base,
                      [f"{base}/{s['SlotId']}" for s in slots], "Acceleration functions")


def acceleration_function(server, card, uri, fid, function_uri):
    slots = {s["SlotId"]: s for s in fpga_object(server, card, uri)["ReconfigurationSlots"]}
    if fid not in slots:
        return None
    doc = {
        "@odata.type": odata.odata_type("AccelerationFunction"),
        "@odata.id": f"{uri}/AccelerationFunctions/{fid}",
        "Id": fid,
        "Name": f"Function loaded in {fid}",
        "AccelerationFunctionType": "OEM",
        "FpgaReconfigurationSlots": [fid],
        "Manufacturer": card.manufacturer,
        "Status": OK,
        "Links": {"PCIeFunctions": [ref(function_uri)]},
    }
    if slots[fid].get("UUID"):
        doc["UUID"] = slots[fid]["UUID"]
    return doc


def pcie_device(server, card, uri, *, links, firmware_version=True, functions=True,
                extra=None):
    """The PCIeDevice of one card (``firmware_version`` as for ``processor``)."""
    pf = card.primary
    doc = {
        "@odata.type": odata.odata_type("PCIeDevice"),
        "@odata.id": uri,
        "Id": last(uri),
        "Name": card.model,
        "Manufacturer": card.manufacturer,
        "Model": card.model,
        "SerialNumber": card.serial,
        "DeviceType": "MultiFunction" if len(card.functions) > 1 else "SingleFunction",
        "Status": OK,
        "Links": links,
    }
    if functions:
        doc["PCIeFunctions"] = ref(f"{uri}/PCIeFunctions")
    iface = {}
    if pcie_gen(pf.current_link_speed):
        iface["PCIeType"] = pcie_gen(pf.current_link_speed)
    if pcie_gen(pf.max_link_speed):
        iface["MaxPCIeType"] = pcie_gen(pf.max_link_speed)
    if pf.current_link_width:
        iface["LanesInUse"] = pf.current_link_width
    if pf.max_link_width:
        iface["MaxLanes"] = pf.max_link_width
    if iface:
        doc["PCIeInterface"] = iface
    if card.part_number:
        doc["PartNumber"] = card.part_number
    if card.slot:
        doc["Slot"] = {"Location": {"PartLocation": {"ServiceLabel": card.slot,
                                                     "LocationType": "Slot"}}}
    version = card_version(server, card) if firmware_version is True else firmware_version
    if version is not None and version is not False:
        doc["FirmwareVersion"] = version
    if card.cxl is not None:
        doc["CXLDevice"] = {"DeviceType": card.cxl.device_type,
                            "CurrentProtocolVersion": card.cxl.protocol,
                            "CapableProtocolVersions": list(card.cxl.capable)}
    doc.update(extra or {})
    return doc


def pcie_function(card, index, uri, device_uri, extra_links=None):
    fn = card.functions[index]
    links = {"PCIeDevice": ref(device_uri)}
    links.update(extra_links or {})
    doc = {
        "@odata.type": odata.odata_type("PCIeFunction"),
        "@odata.id": uri,
        "Id": last(uri),
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
        "Links": links,
    }
    if card.cxl is not None and index == 0:
        doc["FunctionProtocol"] = "CXL"
    return doc


# -- chassis, managers ------------------------------------------------------------------------

def chassis(server, uri, *, name, chassis_type="RackMount", model=None, serial=None,
            manufacturer=None, links=None, extra=None):
    host = server.host
    doc = {
        "@odata.type": odata.odata_type("Chassis"),
        "@odata.id": uri,
        "Id": last(uri),
        "Name": name,
        "ChassisType": chassis_type,
        "Manufacturer": manufacturer or host.manufacturer,
        "Model": model or host.model,
        "SerialNumber": serial or host.serial,
        "PowerState": server.power_state,
        "Status": OK,
        "Links": links or {},
    }
    doc.update(extra or {})
    return doc


def manager(server, uri, *, name, version, model=None, links=None, manager_type="BMC"):
    host = server.host
    doc = {
        "@odata.type": odata.odata_type("Manager"),
        "@odata.id": uri,
        "Id": last(uri),
        "Name": name,
        "ManagerType": manager_type,
        "Manufacturer": host.bmc.vendor,
        "Model": model or host.bmc.model or "BMC",
        "FirmwareVersion": version,
        "PowerState": "On",
        "Status": OK,
        "Links": links or {},
    }
    if version is None:
        del doc["FirmwareVersion"]
    return doc


# -- update service ----------------------------------------------------------------------------

def update_service(*, multipart=None, simple=True, simple_info=True, extra=None):
    doc = {
        "@odata.type": odata.odata_type("UpdateService"),
        "@odata.id": f"{V1}/UpdateService",
        "Id": "UpdateService",
        "Name": "Update service",
        "ServiceEnabled": True,
        "Status": OK,
        "FirmwareInventory": ref(f"{V1}/UpdateService/FirmwareInventory"),
        "MaxImageSizeBytes": MAX_IMAGE_BYTES,
    }
    if multipart:
        doc["MultipartHttpPushUri"] = multipart
    if simple:
        action = {"target": f"{V1}/UpdateService/Actions/UpdateService.SimpleUpdate"}
        if simple_info:
            action["@Redfish.ActionInfo"] = f"{V1}/UpdateService/SimpleUpdateActionInfo"
        doc["Actions"] = {"#UpdateService.SimpleUpdate": action}
    doc.update(extra or {})
    return doc


def simple_update_action_info(protocols=("HTTP", "HTTPS"), targets=True, targets_required=True,
                              allowed_targets=None):
    params = [
        {"Name": "ImageURI", "Required": True, "DataType": "String"},
        {"Name": "TransferProtocol", "Required": False, "DataType": "String",
         "AllowableValues": list(protocols)},
    ]
    if targets:
        param = {"Name": "Targets", "Required": targets_required, "DataType": "StringArray"}
        if allowed_targets is not None:
            param["AllowableValues"] = list(allowed_targets)
        params.append(param)
    params.append({"Name": "ForceUpdate", "Required": False, "DataType": "Boolean"})
    return {
        "@odata.type": odata.odata_type("ActionInfo"),
        "@odata.id": f"{V1}/UpdateService/SimpleUpdateActionInfo",
        "Id": "SimpleUpdateActionInfo",
        "Name": "SimpleUpdate Action Info",
        "Parameters": params,
    }


def software_inventory(server, spec, inventory_id, *, related=(), name=None, version=None,
                       updatable=None, software_id=None, extra=None):
    doc = {
        "@odata.type": odata.odata_type("SoftwareInventory"),
        "@odata.id": f"{V1}/UpdateService/FirmwareInventory/{inventory_id}",
        "Id": inventory_id,
        "Name": name or spec.name,
        "Version": version if version is not None else server.version_of(spec),
        "Updateable": spec.updatable if updatable is None else updatable,
        "SoftwareId": software_id if software_id is not None else spec.component,
        "RelatedItem": refs(related),
        "Status": OK,
    }
    if spec.card is not None:
        doc["Manufacturer"] = spec.card.manufacturer
    if spec.lowest_supported_version:
        doc["LowestSupportedVersion"] = spec.lowest_supported_version
    doc.update(extra or {})
    return doc


def service_root(*, vendor, product=None, name="Root Service", update_service=True,
                 extra=None):
    doc = {
        "@odata.type": odata.odata_type("ServiceRoot"),
        "@odata.id": f"{V1}/",
        "Id": "RootService",
        "Name": name,
        "RedfishVersion": "1.20.0",
        "UUID": "9b0ec1f4-5d3a-4c1e-8f3e-2a61a0c0ffee",
        "Vendor": vendor,
        "Systems": ref(f"{V1}/Systems"),
        "Chassis": ref(f"{V1}/Chassis"),
        "Managers": ref(f"{V1}/Managers"),
        "Tasks": ref(f"{V1}/TaskService"),
        "SessionService": ref(f"{V1}/SessionService"),
        "Links": {"Sessions": ref(f"{V1}/SessionService/Sessions")},
    }
    if product:
        doc["Product"] = product
    if update_service:
        doc["UpdateService"] = ref(f"{V1}/UpdateService")
    doc.update(extra or {})
    return doc
