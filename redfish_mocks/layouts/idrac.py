"""Dell iDRAC 9 (7.x): FQDD names, PCIe devices in the Chassis, DPUs as network adapters.

From libredfish's ``dell`` (iDRAC 6.00) and ``dell_multi_dpu`` (iDRAC 7.10) captures and
Dell's Redfish scripts (../shared/hwfacts/redfish-vendors.md section 5):

* ``Systems/System.Embedded.1``: ``Processors`` ``CPU.Socket.<n>`` and one
  ``Video.Slot.<slot>-1`` per NVIDIA GPU (``ProcessorType`` GPU, **no**
  ``FirmwareVersion``); its ``PCIeDevices`` array points into the Chassis (7.10);
* ``Chassis/System.Embedded.1/PCIeDevices/<bus>-<device>`` (decimal bus) with
  ``PCIeFunctions/<bus>-<device>-<function>``; ``FirmwareVersion`` is "" for GPUs (as
  captured) and the card's firmware for the others (shown for NICs and DPUs; for FPGA
  and CXL cards an inference);
* ``Chassis/System.Embedded.1/NetworkAdapters/NIC.Slot.<slot>`` per BlueField DPU,
  ``Controllers[0].FirmwarePackageVersion`` = its NIC firmware, ``SerialNumber`` padded
  with spaces as iDRAC sends it;
* FirmwareInventory ``Installed-<ComponentID>-<Version>__<FQDD>`` (BIOS 159, iDRAC 25227,
  third-party 0) with no ``RelatedItem``; the id changes with the version, and an
  update leaves ``Previous-<ComponentID>-<old version>__<FQDD>``; GPUs and other
  accelerators have no entry (none for the H100 of the capture);
* updates: multipart ``/redfish/v1/UpdateService/MultipartUpload`` with ``Targets: []``
  and SimpleUpdate without Targets (the package says what it updates: every entry of
  its component); the 202 ``Location`` names the ``JID_<n>`` Task.
"""

from __future__ import annotations

import re

from redfish_mocks import odata
from redfish_mocks import resources as res
from redfish_mocks.layouts.base import Entry, Layout, Site, is_dpu, is_nvidia_gpu, spec_of
from redfish_mocks.resources import ref

V1 = res.V1
SID = "System.Embedded.1"
SYSTEM = f"{V1}/Systems/{SID}"
CHASSIS = f"{V1}/Chassis/{SID}"
IDRAC = f"{V1}/Managers/iDRAC.Embedded.1"


def slot_number(card, index):
    found = re.search(r"(\d+)\s*$", card.slot or "")
    return int(found.group(1)) if found else index + 1


def device_id(card):
    """``<bus>-<device>`` of the card's first function, bus in decimal (``23-0``)."""
    _dom, bus, rest = card.primary.address.split(":")
    return f"{int(bus, 16)}-{int(rest.split('.')[0], 16)}"


class IdracLayout(Layout):
    name = "idrac"
    vendor = "Dell"
    product = "Integrated Dell Remote Access Controller"
    multipart_path = f"{V1}/UpdateService/MultipartUpload"
    simple_targets = "optional"
    multipart_targets = "optional"

    def host_system(self, server):
        return SYSTEM

    def build(self, server):
        site = Site()
        host = server.host
        self.root(site)
        site.collection("ComputerSystemCollection", f"{V1}/Systems", [SYSTEM],
                        "Computer System Collection")
        pcie = {c.id: f"{CHASSIS}/PCIeDevices/{device_id(c)}" for c in host.cards}
        self.system(site, server, SYSTEM, name="System", pcie_devices=list(pcie.values()),
                    chassis=[CHASSIS], managers=[IDRAC])
        cpus = {f"{SYSTEM}/Processors/CPU.Socket.{n + 1}": n for n in sorted(host.numa_cpulists)}
        gpus = {}
        for i, card in enumerate(host.cards):
            if is_nvidia_gpu(card):
                gpus[f"{SYSTEM}/Processors/Video.Slot.{slot_number(card, i)}-1"] = card
        site.collection("ProcessorCollection", f"{SYSTEM}/Processors",
                        list(gpus) + list(cpus), "Processors Collection")
        for uri, node in cpus.items():
            site.add(res.cpu(server, uri, node))
        for uri, card in gpus.items():
            device = pcie[card.id]
            site.add(res.processor(server, card, uri, firmware_version=False, links={
                "Chassis": ref(CHASSIS), "PCIeDevice": ref(device),
                "PCIeFunctions": [ref(f"{device}/PCIeFunctions/{device_id(card)}-{i}")
                                  for i, _ in enumerate(card.functions)]}))

        dpus = {f"NIC.Slot.{slot_number(c, i)}": c for i, c in enumerate(host.cards)
                if is_dpu(c)}
        site.collection("ChassisCollection", f"{V1}/Chassis", [CHASSIS], "Chassis Collection")
        site.add(res.chassis(server, CHASSIS, name="Computer System Chassis",
                             links={"ComputerSystems": [ref(SYSTEM)], "ManagedBy": [ref(IDRAC)]},
                             extra={"PCIeDevices": ref(f"{CHASSIS}/PCIeDevices"),
                                    "NetworkAdapters": ref(f"{CHASSIS}/NetworkAdapters")}))
        site.collection("PCIeDeviceCollection", f"{CHASSIS}/PCIeDevices", list(pcie.values()),
                        "PCIe Device Collection")
        for card in host.cards:
            self.pcie(site, server, card, pcie[card.id], CHASSIS, firmware=(
                "" if is_nvidia_gpu(card) else res.card_version(server, card) or ""),
                function_ids=[f"{device_id(card)}-{i}" for i, _ in enumerate(card.functions)])
        adapters = [f"{CHASSIS}/NetworkAdapters/{fqdd}" for fqdd in dpus]
        site.collection("NetworkAdapterCollection", f"{CHASSIS}/NetworkAdapters", adapters,
                        "Network Adapter Collection")
        for fqdd, card in dpus.items():
            nic = spec_of(server, card, "nic_firmware")
            controller = {"ControllerCapabilities": {"NetworkPortCount": 1}}
            if nic is not None:
                controller["FirmwarePackageVersion"] = server.version_of(nic)
            site.add({"@odata.type": odata.odata_type("NetworkAdapter"),
                      "@odata.id": f"{CHASSIS}/NetworkAdapters/{fqdd}", "Id": fqdd,
                      "Name": "Network Adapter View", "Manufacturer": "Mellanox Technologies",
                      "Model": card.model, "PartNumber": card.part_number,
                      "SerialNumber": f"{card.serial:<29}", "Status": res.OK,
                      "Controllers": [controller]})

        site.collection("ManagerCollection", f"{V1}/Managers", [IDRAC], "Manager Collection")
        bmc = server.firmware(f"{server.sid}-BMC")
        site.add(res.manager(server, IDRAC, name="Manager", model="14G Monolithic",
                             version=server.version_of(bmc),
                             links={"ManagerForServers": [ref(SYSTEM)],
                                    "ManagerForChassis": [ref(CHASSIS)]}))

        parts = [(server.firmware(f"{server.sid}-BIOS"), "159", "BIOS.Setup.1-1"),
                 (bmc, "25227", "iDRAC.Embedded.1-1")]
        for fqdd, card in dpus.items():
            nic = spec_of(server, card, "nic_firmware")
            if nic is not None:
                parts.append((nic, "0", f"{fqdd}-1"))
        entries, extra = {}, {}
        for spec, component_id, fqdd in parts:
            iid = f"Installed-{component_id}-{server.version_of(spec)}__{fqdd}"
            entries[iid] = Entry(spec, spec.updatable)
            extra[iid] = {"SoftwareId": component_id, "Description":
                          "Represents Firmware Inventory"}
            old = server.previous.get(spec.inventory_id)
            if old is not None:
                prev = f"Previous-{component_id}-{old}__{fqdd}"
                entries[prev] = Entry(spec, False, version=old)
                extra[prev] = dict(extra[iid])
        self.firmware(site, server, entries, extra=extra)
        return site
