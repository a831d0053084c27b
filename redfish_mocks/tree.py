"""The standard layout: many servers in one service, every resource rendered on demand.

``Systems/<id>``, ``Chassis/<id>``, ``Managers/<id>`` per server, one processor per card
under the System, one PCIe device per card under the Chassis, one FirmwareInventory
entry per component (``<id>-<card>-<component>``) with ``RelatedItem``. Every function
takes the emulator and the path's ids and returns the resource as a dict, or None when
it does not exist (the server answers 404). Nothing is stored: the HTTP layer caches
the serialized bytes keyed by the owning server's generation. The documents themselves
are built by ``resources``, which the vendor layouts share.
"""

from __future__ import annotations

from redfish_mocks import resources as res
from redfish_mocks.resources import (  # noqa: F401 (re-exported for the service)
    BOOT_TARGETS,
    MAX_IMAGE_BYTES,
    OK,
    RESET_TYPES,
    collection,
    ref,
)

V1 = "/redfish/v1"


def service_root(emu):
    return res.service_root(vendor="ironic-accel", name="ironic-accel Redfish emulator")


# -- systems ----------------------------------------------------------------------------------

def systems(emu):
    return collection("ComputerSystemCollection", f"{V1}/Systems",
                      [f"{V1}/Systems/{sid}" for sid in emu.servers], "Computer Systems")


def system(emu, server):
    sid = server.sid
    return res.system(
        server, f"{V1}/Systems/{sid}",
        pcie_devices=[f"{V1}/Chassis/{sid}/PCIeDevices/{c.id}" for c in server.host.cards],
        chassis=[f"{V1}/Chassis/{sid}"], managers=[f"{V1}/Managers/{sid}"])


def reset_action_info(emu, server):
    return res.reset_action_info(f"{V1}/Systems/{server.sid}")


def processors(emu, server):
    base = f"{V1}/Systems/{server.sid}/Processors"
    ids = res.cpu_ids(server.host) + [c.id for c in server.host.cards]
    return collection("ProcessorCollection", base, [f"{base}/{i}" for i in ids],
                      "Processors")


def _pcie_uri(server, card):
    return f"{V1}/Chassis/{server.sid}/PCIeDevices/{card.id}"


def processor(emu, server, pid):
    host, sid = server.host, server.sid
    uri = f"{V1}/Systems/{sid}/Processors/{pid}"
    if pid in res.cpu_ids(host):
        return res.cpu(server, uri, int(pid[3:]))
    card = _card(host, pid)
    if card is None:
        return None
    device = _pcie_uri(server, card)
    return res.processor(server, card, uri, links={
        "PCIeDevice": ref(device),
        "PCIeFunctions": [ref(f"{device}/PCIeFunctions/{i}")
                          for i, _ in enumerate(card.functions)],
        "Chassis": ref(f"{V1}/Chassis/{sid}"),
    })


def _fpga_card(server, pid):
    card = _card(server.host, pid)
    if card is None or res.processor_type(card) != "FPGA":
        return None
    return card


def acceleration_functions(emu, server, pid):
    card = _fpga_card(server, pid)
    if card is None:
        return None
    return res.acceleration_functions(server, card, f"{V1}/Systems/{server.sid}/Processors/{pid}")


def acceleration_function(emu, server, pid, fid):
    card = _fpga_card(server, pid)
    if card is None:
        return None
    return res.acceleration_function(server, card, f"{V1}/Systems/{server.sid}/Processors/{pid}",
                                     fid, f"{_pcie_uri(server, card)}/PCIeFunctions/0")


# -- chassis and PCIe ----------------------------------------------------------------------

def chassis_collection(emu):
    return collection("ChassisCollection", f"{V1}/Chassis",
                      [f"{V1}/Chassis/{sid}" for sid in emu.servers], "Chassis")


def chassis(emu, server):
    sid = server.sid
    return res.chassis(server, f"{V1}/Chassis/{sid}", name=f"{server.host.model} chassis",
                       links={"ComputerSystems": [ref(f"{V1}/Systems/{sid}")],
                              "ManagedBy": [ref(f"{V1}/Managers/{sid}")]},
                       extra={"PCIeDevices": ref(f"{V1}/Chassis/{sid}/PCIeDevices")})


def pcie_devices(emu, server):
    base = f"{V1}/Chassis/{server.sid}/PCIeDevices"
    return collection("PCIeDeviceCollection", base,
                      [f"{base}/{c.id}" for c in server.host.cards], "PCIe devices")


def pcie_device(emu, server, did):
    card = _card(server.host, did)
    if card is None:
        return None
    return res.pcie_device(server, card, _pcie_uri(server, card),
                           links={"Chassis": [ref(f"{V1}/Chassis/{server.sid}")]})


def pcie_functions(emu, server, did):
    card = _card(server.host, did)
    if card is None:
        return None
    base = f"{_pcie_uri(server, card)}/PCIeFunctions"
    return collection("PCIeFunctionCollection", base,
                      [f"{base}/{i}" for i, _ in enumerate(card.functions)], "PCIe functions")


def pcie_function(emu, server, did, fid):
    card = _card(server.host, did)
    if card is None or not fid.isdigit() or int(fid) >= len(card.functions):
        return None
    device = _pcie_uri(server, card)
    return res.pcie_function(card, int(fid), f"{device}/PCIeFunctions/{fid}", device)


# -- managers --------------------------------------------------------------------------------

def managers(emu):
    return collection("ManagerCollection", f"{V1}/Managers",
                      [f"{V1}/Managers/{sid}" for sid in emu.servers], "Managers")


def manager(emu, server):
    host, sid = server.host, server.sid
    return res.manager(server, f"{V1}/Managers/{sid}",
                       name=f"{host.bmc.model or 'BMC'} of {host.hostname}",
                       version=server.version_of(server.firmware(f"{sid}-BMC")),
                       links={"ManagerForServers": [ref(f"{V1}/Systems/{sid}")],
                              "ManagerForChassis": [ref(f"{V1}/Chassis/{sid}")]})


# -- update service ---------------------------------------------------------------------------

def update_service(emu):
    return res.update_service(multipart=f"{V1}/UpdateService/upload")


def simple_update_action_info(emu):
    return res.simple_update_action_info()


def firmware_inventory(emu):
    members = [f"{V1}/UpdateService/FirmwareInventory/{spec.inventory_id}"
               for server in emu.servers.values() for spec in server.firmware_specs()]
    return collection("SoftwareInventoryCollection", f"{V1}/UpdateService/FirmwareInventory",
                      members, "Firmware inventory")


def software_inventory(emu, server, spec):
    sid = server.sid
    if spec.kind == "bios":
        related = [f"{V1}/Systems/{sid}"]
    elif spec.kind == "bmc":
        related = [f"{V1}/Managers/{sid}"]
    else:
        related = [f"{V1}/Systems/{sid}/Processors/{spec.card.id}", _pcie_uri(server, spec.card)]
    return res.software_inventory(server, spec, spec.inventory_id, related=related)


def _card(host, card_id):
    for card in host.cards:
        if card.id == card_id:
            return card
    return None
