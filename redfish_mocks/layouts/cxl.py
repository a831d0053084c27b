"""CXL accelerators as DMTF's public-cxl / public-cxl-multiswitch mockups lay them out.

Each card with a ``cxl`` entry (Type 1: cache only; Type 2: cache and device memory) is
a ``Chassis/<card>`` Module contained by the host's chassis, holding:

* ``Processors/<card>``: the accelerator (``ProcessorMemory`` cache/HBM,
  ``Links.PCIeFunctions``, ``Links.ConnectedProcessors`` -> the host CPU of its NUMA
  node, ``Links.Memory`` for a Type 2), without ``FirmwareVersion``;
* ``PCIeDevices/1``: ``CXLDevice`` {``DeviceType``, protocol versions},
  ``FirmwareVersion`` (the only place its firmware shows), ``CXLLogicalDevices/1``
  (``SemanticsSupported``) and ``PCIeFunctions/1`` (``FunctionProtocol`` CXL);
* ``Memory/HBM`` for a Type 2.

The host's ``Systems/<id>.PCIeDevices`` array links every device (CXL ones and the
others, which stay in ``Chassis/<id>/PCIeDevices`` with their processors under the
System). As in the mockups there is no UpdateService: inventory is read-only.
"""

from __future__ import annotations

from redfish_mocks import odata
from redfish_mocks import resources as res
from redfish_mocks.layouts.base import Layout, Site
from redfish_mocks.resources import ref

V1 = res.V1


class CxlLayout(Layout):
    name = "cxl"
    vendor = "Contoso"
    update_service = False
    simple_targets = None

    def build(self, server):
        site = Site()
        host, sid = server.host, server.sid
        system, chassis = f"{V1}/Systems/{sid}", f"{V1}/Chassis/{sid}"
        manager = f"{V1}/Managers/BMC"
        cxl = [c for c in host.cards if c.cxl is not None]
        plain = [c for c in host.cards if c.cxl is None]
        device = {c.id: f"{V1}/Chassis/{c.id}/PCIeDevices/1" for c in cxl}
        device.update({c.id: f"{chassis}/PCIeDevices/{c.id}" for c in plain})
        self.root(site)
        site.collection("ComputerSystemCollection", f"{V1}/Systems", [system],
                        "Computer System Collection")
        self.system(site, server, system, pcie_devices=[device[c.id] for c in host.cards],
                    chassis=[chassis], managers=[manager])
        cpus = {n: f"{system}/Processors/CPU{n}" for n in sorted(host.numa_cpulists)}
        site.collection("ProcessorCollection", f"{system}/Processors",
                        list(cpus.values()) + [f"{system}/Processors/{c.id}" for c in plain],
                        "Processors")
        for node, uri in cpus.items():
            site.add(res.cpu(server, uri, node))

        site.collection("ChassisCollection", f"{V1}/Chassis",
                        [chassis] + [f"{V1}/Chassis/{c.id}" for c in cxl], "Chassis Collection")
        site.add(res.chassis(server, chassis, name=f"{host.model} chassis", links={
            "ComputerSystems": [ref(system)], "ManagedBy": [ref(manager)],
            "Contains": [ref(f"{V1}/Chassis/{c.id}") for c in cxl]},
            extra={"PCIeDevices": ref(f"{chassis}/PCIeDevices")}))
        site.collection("PCIeDeviceCollection", f"{chassis}/PCIeDevices",
                        [device[c.id] for c in plain], "PCIe Device Collection")
        for card in plain:
            self._plain(site, server, card, system, chassis, device[card.id])
        for card in cxl:
            self._cxl(site, server, card, chassis, cpus, manager)

        site.collection("ManagerCollection", f"{V1}/Managers", [manager], "Manager Collection")
        site.add(res.manager(server, manager, name="BMC",
                             version=server.version_of(server.firmware(f"{sid}-BMC")),
                             links={"ManagerForServers": [ref(system)],
                                    "ManagerForChassis": [ref(chassis)]}))
        self.firmware(site, server, {})
        return site

    def _plain(self, site, server, card, system, chassis, uri):
        fns = self.pcie(site, server, card, uri, chassis)
        site.add(res.processor(server, card, f"{system}/Processors/{card.id}", links={
            "PCIeDevice": ref(uri), "PCIeFunctions": [ref(f) for f in fns],
            "Chassis": ref(chassis)}, fpga=False))

    def _cxl(self, site, server, card, host_chassis, cpus, manager):
        base = f"{V1}/Chassis/{card.id}"
        dev, proc = f"{base}/PCIeDevices/1", f"{base}/Processors/{card.id}"
        fn, logical = f"{dev}/PCIeFunctions/1", f"{dev}/CXLLogicalDevices/1"
        memory = f"{base}/Memory/HBM"
        type2 = bool(card.cxl.memory_mib)
        extra = {"PCIeDevices": ref(f"{base}/PCIeDevices"), "Processors": ref(f"{base}/Processors")}
        if type2:
            extra["Memory"] = ref(f"{base}/Memory")
        site.add(res.chassis(server, base, name=f"CXL Device {card.cxl.device_type} module",
                             chassis_type="Module", model=card.model, serial=card.serial,
                             manufacturer=card.manufacturer, extra=extra,
                             links={"ContainedBy": ref(host_chassis),
                                    "ManagedBy": [ref(manager)]}))
        site.collection("ProcessorCollection", f"{base}/Processors", [proc], "Processors")
        links = {"PCIeFunctions": [ref(fn)], "PCIeDevice": ref(dev), "Chassis": ref(base),
                 "ConnectedProcessors": [ref(cpus.get(card.numa_node) or next(
                     iter(cpus.values())))]}
        if type2:
            links["Memory"] = [ref(memory)]
        site.add(res.processor(server, card, proc, links=links, firmware_version=False,
                               fpga=False))
        site.collection("PCIeDeviceCollection", f"{base}/PCIeDevices", [dev], "PCIe Devices")
        site.add(res.pcie_device(server, card, dev, links={"Chassis": [ref(base)]}, extra={
            "CXLLogicalDevices": ref(f"{dev}/CXLLogicalDevices")}))
        site.collection("PCIeFunctionCollection", f"{dev}/PCIeFunctions", [fn], "PCIe Functions")
        site.add(res.pcie_function(card, 0, fn, dev, {
            "Processor": ref(proc), "CXLLogicalDevice": ref(logical)}))
        site.collection("CXLLogicalDeviceCollection", f"{dev}/CXLLogicalDevices", [logical],
                        "CXL Logical Devices")
        semantics = ["CXLio", "CXLcache"] + (["CXLmem"] if type2 else [])
        doc = {"@odata.type": odata.odata_type("CXLLogicalDevice"), "@odata.id": logical,
               "Id": "1", "Name": f"CXL Logical Device {card.cxl.device_type}",
               "Status": res.OK, "SemanticsSupported": semantics,
               "Links": {"PCIeFunctions": [ref(fn)]}}
        if type2:
            doc["MemorySizeMiB"] = card.cxl.memory_mib
        site.add(doc)
        if type2:
            site.collection("MemoryCollection", f"{base}/Memory", [memory], "Memory")
            site.add({"@odata.type": odata.odata_type("Memory"), "@odata.id": memory,
                      "Id": "HBM", "Name": "HBM memory", "MemoryType": "DRAM",
                      "MemoryDeviceType": "HBM2", "MemoryMedia": ["DRAM"],
                      "CapacityMiB": card.cxl.memory_mib, "Status": res.OK,
                      "Links": {"Processors": [ref(proc)]}})
