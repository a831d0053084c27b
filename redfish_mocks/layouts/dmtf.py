"""The layouts of DMTF's own public mockups (public-rackmount1, public-smartnic).

Accelerators are reachable from several places and their firmware lives in the device,
not in the FirmwareInventory:

* FPGAs in ``Systems/<id>/Processors/<card>`` with ``FPGA.FirmwareVersion`` and
  ``FPGA.FirmwareId`` (rackmount1's ``FPGA1``): no FirmwareInventory entry;
* FPGA SmartNICs (N3000, N6000: FPGA plus NICs on one card) in
  ``Chassis/<id>/NetworkAdapters/<card>/Processors/<card>`` (smartnic's
  ``Slot2/Processors/FPGA1``), not under the System;
* NVIDIA GPUs both as ``Systems/<id>/Processors/<card>`` (``Links.GraphicsController``,
  ``Links.ConnectedProcessors`` -> the CPU of its NUMA node) and as
  ``Systems/<id>/GraphicsControllers/<card>`` (``BiosVersion`` = VBIOS,
  ``Links.Processors``, ``Links.PCIeDevice``);
* other accelerators as Processors with no firmware shown;
* every card a ``Chassis/<id>/PCIeDevices/<card>`` without ``FirmwareVersion``;
* FirmwareInventory: BIOS and BMC only; SimpleUpdate with ``Targets`` as the mockups.
"""

from __future__ import annotations

from redfish_mocks import odata
from redfish_mocks import resources as res
from redfish_mocks.layouts.base import Entry, Layout, Site, is_nvidia_gpu
from redfish_mocks.resources import ref
from redfish_mocks.state import processor_type

V1 = res.V1


def is_smartnic(card):
    return card.kind in ("n3000", "n6000")


class DmtfLayout(Layout):
    name = "dmtf"
    vendor = "Contoso"
    multipart_path = None
    simple_targets = "required"

    def build(self, server):
        site = Site()
        host, sid = server.host, server.sid
        system, chassis = f"{V1}/Systems/{sid}", f"{V1}/Chassis/{sid}"
        manager = f"{V1}/Managers/BMC"
        nics = [c for c in host.cards if is_smartnic(c)]
        gpus = [c for c in host.cards if is_nvidia_gpu(c)]
        in_system = [c for c in host.cards if c not in nics]
        pcie = {c.id: f"{chassis}/PCIeDevices/{c.id}" for c in host.cards}
        cpus = {n: f"{system}/Processors/CPU{n + 1}" for n in sorted(host.numa_cpulists)}
        self.root(site)
        site.collection("ComputerSystemCollection", f"{V1}/Systems", [system],
                        "Computer System Collection")
        self.system(site, server, system, pcie_devices=list(pcie.values()), chassis=[chassis],
                    managers=[manager],
                    extra={"GraphicsControllers": ref(f"{system}/GraphicsControllers")})
        site.collection("ProcessorCollection", f"{system}/Processors", list(cpus.values()) + [
            f"{system}/Processors/{c.id}" for c in in_system], "Processors Collection")
        for node, uri in cpus.items():
            site.add(res.cpu(server, uri, node))
        for card in in_system:
            self._processor(site, server, card, f"{system}/Processors/{card.id}", pcie[card.id],
                            cpus, system)
        controllers = [f"{system}/GraphicsControllers/{c.id}" for c in gpus]
        site.collection("GraphicsControllerCollection", f"{system}/GraphicsControllers",
                        controllers, "Graphics Controllers")
        for card, uri in zip(gpus, controllers, strict=True):
            site.add({"@odata.type": odata.odata_type("GraphicsController"), "@odata.id": uri,
                      "Id": card.id, "Name": card.model, "Manufacturer": card.manufacturer,
                      "Model": card.model, "SerialNumber": card.serial, "Status": res.OK,
                      "BiosVersion": res.card_version(server, card, "vbios"),
                      "Links": {"Processors": [ref(f"{system}/Processors/{card.id}")],
                                "PCIeDevice": ref(pcie[card.id])}})

        site.collection("ChassisCollection", f"{V1}/Chassis", [chassis], "Chassis Collection")
        site.add(res.chassis(server, chassis, name=f"{host.model} chassis", links={
            "ComputerSystems": [ref(system)], "ManagedBy": [ref(manager)]}, extra={
            "PCIeDevices": ref(f"{chassis}/PCIeDevices"),
            "NetworkAdapters": ref(f"{chassis}/NetworkAdapters")}))
        site.collection("PCIeDeviceCollection", f"{chassis}/PCIeDevices", list(pcie.values()),
                        "PCIe Devices")
        for card in host.cards:
            self.pcie(site, server, card, pcie[card.id], chassis, firmware=False)
        adapters = [f"{chassis}/NetworkAdapters/{c.id}" for c in nics]
        site.collection("NetworkAdapterCollection", f"{chassis}/NetworkAdapters", adapters,
                        "Network Adapters")
        for card, uri in zip(nics, adapters, strict=True):
            site.add({"@odata.type": odata.odata_type("NetworkAdapter"), "@odata.id": uri,
                      "Id": card.id, "Name": card.model, "Manufacturer": card.manufacturer,
                      "Model": card.model, "SerialNumber": card.serial, "Status": res.OK,
                      "Processors": ref(f"{uri}/Processors"),
                      "Controllers": [{"Links": {"PCIeDevices": [ref(pcie[card.id])]}}]})
            site.collection("ProcessorCollection", f"{uri}/Processors",
                            [f"{uri}/Processors/{card.id}"], "Processors")
            self._processor(site, server, card, f"{uri}/Processors/{card.id}", pcie[card.id],
                            cpus, system)

        site.collection("ManagerCollection", f"{V1}/Managers", [manager], "Managers")
        bmc = server.firmware(f"{sid}-BMC")
        site.add(res.manager(server, manager, name="Manager", version=server.version_of(bmc),
                             links={"ManagerForServers": [ref(system)],
                                    "ManagerForChassis": [ref(chassis)]}))
        bios = server.firmware(f"{sid}-BIOS")
        self.firmware(site, server, {"BIOS": Entry(bios, True), "BMC": Entry(bmc, True)},
                      related={"BIOS": [system], "BMC": [manager]})
        return site

    def _processor(self, site, server, card, uri, device, cpus, system):
        kind = processor_type(card)
        links = {"PCIeDevice": ref(device),
                 "PCIeFunctions": [ref(f"{device}/PCIeFunctions/{i}")
                                   for i, _ in enumerate(card.functions)]}
        if is_nvidia_gpu(card):
            links["GraphicsController"] = ref(f"{system}/GraphicsControllers/{card.id}")
            links["ConnectedProcessors"] = [ref(cpus.get(card.numa_node)
                                                or next(iter(cpus.values())))]
        doc = res.processor(server, card, uri, links=links, firmware_version=False)
        if kind == "FPGA":
            version = res.card_version(server, card)
            if version:
                doc["FPGA"]["FirmwareVersion"] = version
            for key in ("AccelerationFunctions",):
                doc.pop(key, None)
            for slot in doc["FPGA"]["ReconfigurationSlots"]:
                slot.pop("AccelerationFunction", None)
        site.add(doc)
