"""NVIDIA BlueField-3 DPU BMC: the BMC on the DPU card, showing the DPU itself.

From libredfish's ``nvidia_dpu`` capture (BMC BF-24.10-10) and NVIDIA's BlueField BMC
documentation (../shared/hwfacts/redfish-vendors.md section 4). The layout describes
the host's first BlueField card:

* ``Systems/Bluefield`` with ``SystemType`` ``DPU`` (DMTF ComputerSystem v1_16; the
  BF-24.10 capture still says ``Physical``, which is why clients also look at the
  service root's ``Product`` ``Nvidia-BMCMezz``), an empty ``Processors`` collection (as
  captured) and ``Bios``;
* ``Chassis/Card1`` (Card) with ``NetworkAdapters/NvidiaNetworkAdapter`` whose
  ``Controllers[0].FirmwarePackageVersion`` is the ConnectX NIC firmware (DMTF's
  public-smartnic shape; the BF-24.10 capture has no ``Controllers``), ``Bluefield_BMC``
  and ``Bluefield_ERoT``;
* FirmwareInventory as the BMC names it: ``BMC_Firmware``, ``Bluefield_FW_ERoT``,
  ``DPU_ATF``, ``DPU_BSP``, ``DPU_NIC`` (Updateable false: NIC firmware comes inside a
  BFB), ``DPU_OS`` (the BFB bundle), ``DPU_UEFI``; ``DPU_*`` relate to
  ``Systems/Bluefield/Bios``;
* updates: SimpleUpdate with ``Targets`` (required; ``DPU_OS`` deploys a BFB, as through
  RShim), multipart ``/redfish/v1/UpdateService/update-multipart`` for the BMC and ERoT
  (``UpdateParameters`` ``{}``: the BMC picks by the image).
"""

from __future__ import annotations

import uuid

from redfish_mocks import odata
from redfish_mocks import resources as res
from redfish_mocks.layouts.base import Entry, Layout, Site, cards, is_dpu, spec_of
from redfish_mocks.resources import ref
from redfish_mocks.update_service import BadRequest

V1 = res.V1
SYSTEM = f"{V1}/Systems/Bluefield"
CARD = f"{V1}/Chassis/Card1"
BMC = f"{V1}/Managers/Bluefield_BMC"
#: inventory id -> (component, SoftwareId as captured, name as captured)
INVENTORY = {
    "BMC_Firmware": ("dpu_bmc", "0x0018", "Software Inventory"),
    "Bluefield_FW_ERoT": ("dpu_erot", "0xFF00", "Software Inventory"),
    "DPU_ATF": ("dpu_atf", "0", "ATF image"),
    "DPU_BSP": ("dpu_bsp", "0", "BSP image"),
    "DPU_NIC": ("nic_firmware", "0", "NIC image"),
    "DPU_OS": ("dpu_bundle", "0", "OS image"),
    "DPU_UEFI": ("dpu_uefi", "0", "UEFI image"),
}
_PUSHED = ("BMC_Firmware", "Bluefield_FW_ERoT")  # what a multipart push may update


class BluefieldLayout(Layout):
    name = "bluefield"
    vendor = "Nvidia"
    product = "Nvidia-BMCMezz"
    multipart_path = f"{V1}/UpdateService/update-multipart"
    simple_targets = "required"
    multipart_targets = "optional"
    protocols = ("SCP", "HTTP", "HTTPS")

    @staticmethod
    def dpu(server):
        found = cards(server, is_dpu)
        if not found:
            raise ValueError(f"profile bluefield needs a host with a BlueField card; "
                             f"{server.host.name} has none")
        return found[0]

    def check(self, server):
        self.dpu(server)

    def host_system(self, server):
        return SYSTEM

    def build(self, server):
        site = Site()
        card = self.dpu(server)
        nic = spec_of(server, card, "nic_firmware")
        uefi = spec_of(server, card, "dpu_uefi")
        self.root(site, extra={"Links": {"ManagerProvidingService": ref(BMC),
                                         "Sessions": ref(f"{V1}/SessionService/Sessions")}})
        site.collection("ComputerSystemCollection", f"{V1}/Systems", [SYSTEM],
                        "Computer System Collection")
        self.system(site, server, SYSTEM, name="Bluefield", system_type="DPU",
                    chassis=[CARD], managers=[BMC], extra={
                        "HostName": f"{card.id}.{server.host.hostname}",
                        "Manufacturer": card.manufacturer, "Model": card.model,
                        "SerialNumber": card.serial,
                        "UUID": str(uuid.uuid5(uuid.NAMESPACE_OID, f"bluefield:{card.serial}")),
                        "BiosVersion": server.version_of(uefi) if uefi else None,
                        "ProcessorSummary": {"Count": 1},
                        "Bios": ref(f"{SYSTEM}/Bios")})
        if uefi is None:
            del site.docs[SYSTEM]["BiosVersion"]
        site.add({"@odata.type": odata.odata_type("Bios"), "@odata.id": f"{SYSTEM}/Bios",
                  "Id": "Bios", "Name": "BIOS Configuration", "Attributes": {}})
        site.collection("ProcessorCollection", f"{SYSTEM}/Processors", [], "Processors")

        erot, bmc_chassis = f"{V1}/Chassis/Bluefield_ERoT", f"{V1}/Chassis/Bluefield_BMC"
        site.collection("ChassisCollection", f"{V1}/Chassis", [bmc_chassis, erot, CARD],
                        "Chassis Collection")
        site.add(res.chassis(server, CARD, name="Card1", chassis_type="Card", model=card.model,
                             serial=card.serial, manufacturer=card.manufacturer,
                             links={"ComputerSystems": [ref(SYSTEM)], "ManagedBy": [ref(BMC)],
                                    "Contains": [ref(bmc_chassis), ref(erot)]},
                             extra={"PartNumber": card.part_number,
                                    "NetworkAdapters": ref(f"{CARD}/NetworkAdapters"),
                                    "PCIeDevices": ref(f"{CARD}/PCIeDevices")}))
        site.collection("PCIeDeviceCollection", f"{CARD}/PCIeDevices", [],
                        "PCIe Device Collection")
        for uri, name, kind in ((bmc_chassis, "Bluefield_BMC", "Module"),
                                (erot, "Bluefield_ERoT", "Component")):
            site.add(res.chassis(server, uri, name=name, chassis_type=kind, model=card.model,
                                 serial=card.serial, manufacturer=card.manufacturer,
                                 links={"ContainedBy": ref(CARD), "ManagedBy": [ref(BMC)]}))
        adapter = f"{CARD}/NetworkAdapters/NvidiaNetworkAdapter"
        site.collection("NetworkAdapterCollection", f"{CARD}/NetworkAdapters", [adapter],
                        "Network Adapter Collection")
        controller = {"ControllerCapabilities": {"NetworkPortCount": 1}}
        if nic is not None:
            controller["FirmwarePackageVersion"] = server.version_of(nic)
        site.add({"@odata.type": odata.odata_type("NetworkAdapter"), "@odata.id": adapter,
                  "Id": "NvidiaNetworkAdapter", "Name": "NvidiaNetworkAdapter",
                  "Manufacturer": card.manufacturer, "Model": card.model,
                  "SerialNumber": card.serial, "PartNumber": card.part_number,
                  "Status": res.OK, "Controllers": [controller]})

        site.collection("ManagerCollection", f"{V1}/Managers", [BMC], "Manager Collection")
        bmc_spec = spec_of(server, card, "dpu_bmc")
        site.add(res.manager(server, BMC, name="OpenBmc Manager", model="OpenBmc",
                             version=server.version_of(bmc_spec) if bmc_spec else None,
                             links={"ManagerForServers": [ref(SYSTEM)],
                                    "ManagerForChassis": [ref(CARD)]}))

        entries, related, names, extra = {}, {}, {}, {}
        for iid, (component, software_id, name) in INVENTORY.items():
            spec = spec_of(server, card, component)
            if spec is None:
                continue
            entries[iid] = Entry(spec, spec.updatable and iid != "DPU_NIC")
            names[iid] = name
            extra[iid] = {"SoftwareId": software_id,
                          "Description": "FW inventory software of DPU"
                          if iid.startswith("DPU_") else "BMC image"}
            if iid.startswith("DPU_"):
                related[iid] = [f"{SYSTEM}/Bios"]
            elif iid == "Bluefield_FW_ERoT":
                related[iid] = [erot]
        self.firmware(site, server, entries, related, names, extra)
        return site

    def default_candidates(self, site, via):
        return [(site.inventory[i].spec, i) for i in _PUSHED if i in site.inventory]

    def select(self, server, site, targets, via, given):
        selection = super().select(server, site, targets, via, given)
        if via == "multipart":
            pushed = [iid for _s, iid in selection.chosen if iid not in _PUSHED]
            if pushed:
                raise BadRequest(f"{', '.join(pushed)} cannot be pushed: a BFB is deployed "
                                 "with SimpleUpdate (through RShim); the multipart push "
                                 "updates BMC_Firmware and Bluefield_FW_ERoT")
        if via == "simple" and selection.chosen:
            selection.chosen = selection.chosen[:1]  # the BMC uses the first target only
        return selection
