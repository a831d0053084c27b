"""HPE iLO 6: numeric ids, PCIe devices with firmware, a component-wide update.

From libredfish's ``hpe`` capture (iLO 5 2.72) and HPE's iLO 6 1.70 resource maps and
update guide (../shared/hwfacts/redfish-vendors.md section 6):

* ``Systems/1`` with ``Processors/<n>`` (CPUs, then NVIDIA GPUs with ``ProcessorType``
  GPU: iLO 6 maps GPUs there; no ``FirmwareVersion`` on them);
* ``Chassis/1/PCIeDevices/<n>`` per card with ``FirmwareVersion`` (the card's firmware)
  and ``PCIeFunctions``;
* FirmwareInventory ``1..N`` (system ROM, iLO, then every card's components), tied to
  devices only by ``Oem.Hpe.DeviceContext`` (the slot, e.g. "PCIe Slot 3"): no
  ``RelatedItem``;
* updates: SimpleUpdate (``ImageURI``, ``TransferProtocol``; no ``Targets``: given, they
  are refused) applies a component to **every** device it fits, as iLO does (no
  per-device target). The OEM repository/``HttpPushUri`` (``/cgi-bin/uploadFile``) path
  is not emulated and not advertised.
"""

from __future__ import annotations

from redfish_mocks import resources as res
from redfish_mocks.layouts.base import Entry, Layout, Site, is_nvidia_gpu, specs_of
from redfish_mocks.resources import ref

V1 = res.V1
SYSTEM = f"{V1}/Systems/1"
CHASSIS = f"{V1}/Chassis/1"
ILO = f"{V1}/Managers/1"


class IloLayout(Layout):
    name = "ilo"
    vendor = "HPE"
    multipart_path = None
    simple_targets = "refused"

    def host_system(self, server):
        return SYSTEM

    def build(self, server):
        site = Site()
        host = server.host
        self.root(site, product=host.model)
        site.collection("ComputerSystemCollection", f"{V1}/Systems", [SYSTEM],
                        "Computer Systems")
        pcie = {c.id: f"{CHASSIS}/PCIeDevices/{i + 1}" for i, c in enumerate(host.cards)}
        self.system(site, server, SYSTEM, pcie_devices=list(pcie.values()), chassis=[CHASSIS],
                    managers=[ILO])
        nodes = sorted(host.numa_cpulists)
        procs = [f"{SYSTEM}/Processors/{n + 1}" for n in nodes]
        gpus = [c for c in host.cards if is_nvidia_gpu(c)]
        gpu_uris = [f"{SYSTEM}/Processors/{len(nodes) + i + 1}" for i, _ in enumerate(gpus)]
        site.collection("ProcessorCollection", f"{SYSTEM}/Processors", procs + gpu_uris,
                        "Processors Collection")
        for node, uri in zip(nodes, procs, strict=True):
            site.add(res.cpu(server, uri, node))
        for card, uri in zip(gpus, gpu_uris, strict=True):
            device = pcie[card.id]
            site.add(res.processor(server, card, uri, firmware_version=False, links={
                "Chassis": ref(CHASSIS), "PCIeDevice": ref(device)}))

        site.collection("ChassisCollection", f"{V1}/Chassis", [CHASSIS], "Computer System Chassis")
        site.add(res.chassis(server, CHASSIS, name="Computer System Chassis",
                             links={"ComputerSystems": [ref(SYSTEM)], "ManagedBy": [ref(ILO)]},
                             extra={"PCIeDevices": ref(f"{CHASSIS}/PCIeDevices")}))
        site.collection("PCIeDeviceCollection", f"{CHASSIS}/PCIeDevices", list(pcie.values()),
                        "PCIe Devices")
        for card in host.cards:
            self.pcie(site, server, card, pcie[card.id], CHASSIS,
                      function_ids=[str(i + 1) for i, _ in enumerate(card.functions)])

        site.collection("ManagerCollection", f"{V1}/Managers", [ILO], "Managers")
        bmc = server.firmware(f"{server.sid}-BMC")
        site.add(res.manager(server, ILO, name="Manager", version=server.version_of(bmc),
                             links={"ManagerForServers": [ref(SYSTEM)],
                                    "ManagerForChassis": [ref(CHASSIS)]}))
        parts = [(server.firmware(f"{server.sid}-BIOS"), "System Board", "System ROM"),
                 (bmc, "System Board", "iLO 6")]
        for i, card in enumerate(host.cards):
            for spec in specs_of(server, card):
                parts.append((spec, card.slot or f"PCI-E Slot {i + 1}", spec.name))
        entries, names, extra = {}, {}, {}
        for n, (spec, context, name) in enumerate(parts, start=1):
            iid = str(n)
            entries[iid] = Entry(spec, spec.updatable)
            names[iid] = name
            extra[iid] = {"Oem": {"Hpe": {
                "@odata.type": "#HpeiLOSoftwareInventory.v2_0_0.HpeiLOSoftwareInventory",
                "DeviceContext": context}}}
        self.firmware(site, server, entries, names=names, extra=extra)
        return site
