"""NVIDIA DGX/HGX host BMC (AMI, with the HGX baseboard's HMC behind it).

From libredfish's ``nvidia_viking`` capture (DGX H100) and NVIDIA's bmcweb as the fact
sheet (../shared/hwfacts/redfish-vendors.md sections 2-3) records them:

* Systems ``DGX`` (the host: CPUs, its other PCIe cards) and ``HGX_Baseboard_0``, whose
  ``Processors/GPU_SXM_<n>`` (n from 1, in card order) carry ``FirmwareVersion`` (the
  VBIOS), ``UUID``, ``SerialNumber``, ``PartNumber``;
* Chassis ``DGX`` (host cards as PCIeDevices, paged 75 at a time), ``HGX_Chassis_0``
  containing ``HGX_GPU_SXM_<n>`` (Module; ``Links.Processors`` -> the GPU; its
  ``PCIeDevices/GPU_SXM_<n>`` has no ``FirmwareVersion``) and ``HGX_NVSwitch_<n>``;
* FirmwareInventory ``HGX_FW_GPU_SXM_<n>``, ``HGX_FW_NVSwitch_<n>`` **without**
  ``RelatedItem`` (only the name ties them to the device), ``HostBMC_0``, ``HostBIOS_0``,
  and every other card's firmware as ``HostFW_<card>_<component>`` (an inference: the
  capture lists only host and HGX parts);
* UpdateService: ``MultipartHttpPushUri`` ``/redfish/v1/UpdateService/upload`` whose
  ``UpdateParameters.Targets`` name one FirmwareInventory entry (one GPU: inferred, NVIDIA
  documents it for ``HostBMC_0``), or ``HGX_0`` (the whole GPU tray: every HGX entry the
  image fits), or nothing (the motherboard tray: host entries); SimpleUpdate is the "BMC
  firmware update" (no ``Targets`` in its ActionInfo: given, they are refused).
"""

from __future__ import annotations

from redfish_mocks import resources as res
from redfish_mocks.layouts.base import Entry, Layout, Site, cards, is_nvidia_gpu, specs_of
from redfish_mocks.resources import ref, refs

V1 = res.V1
HOST = "DGX"
BASEBOARD = "HGX_Baseboard_0"
TRAY = "HGX_0"


def _is_switch(card):
    return card.kind == "nvswitch"


class HgxLayout(Layout):
    name = "hgx"
    vendor = "AMI"
    multipart_path = f"{V1}/UpdateService/upload"
    simple_targets = "refused"
    multipart_targets = "optional"

    def host_system(self, server):
        return f"{V1}/Systems/{HOST}"

    def reset_targets(self, server):
        return [f"{V1}/Systems/{HOST}", f"{V1}/Systems/{BASEBOARD}"]

    def build(self, server):
        site = Site()
        host = server.host
        gpus = cards(server, is_nvidia_gpu)
        switches = cards(server, _is_switch)
        others = [c for c in host.cards if c not in gpus and c not in switches]
        gpu_names = {c.id: f"GPU_SXM_{i + 1}" for i, c in enumerate(gpus)}
        sw_names = {c.id: f"NVSwitch_{i}" for i, c in enumerate(switches)}
        host_sys, board = f"{V1}/Systems/{HOST}", f"{V1}/Systems/{BASEBOARD}"
        host_chassis, hgx_chassis = f"{V1}/Chassis/{HOST}", f"{V1}/Chassis/HGX_Chassis_0"
        bmc, hmc = f"{V1}/Managers/BMC", f"{V1}/Managers/HGX_BMC_0"

        self.root(site, product=host.model)
        self.members(site, "ComputerSystemCollection", f"{V1}/Systems", [host_sys, board],
                     "Computer System Collection")
        host_pcie = [f"{host_chassis}/PCIeDevices/{c.id}" for c in others]
        self.system(site, server, host_sys, pcie_devices=host_pcie, chassis=[host_chassis],
                    managers=[bmc])
        self.system(site, server, board, name="HGX Baseboard", pcie_devices=[
            f"{V1}/Chassis/HGX_{gpu_names[c.id]}/PCIeDevices/{gpu_names[c.id]}" for c in gpus],
            chassis=[hgx_chassis], managers=[hmc],
            extra={"Model": "HGX baseboard", "SerialNumber": f"{host.serial}-HGX"})
        procs = [f"{host_sys}/Processors/{i}" for i in res.cpu_ids(host)]
        site.collection("ProcessorCollection", f"{host_sys}/Processors", procs, "Processors")
        for node, uri in zip(sorted(host.numa_cpulists), procs, strict=True):
            site.add(res.cpu(server, uri, node))
        site.collection("ProcessorCollection", f"{board}/Processors",
                        [f"{board}/Processors/{gpu_names[c.id]}" for c in gpus], "GPUs")

        chassis = [host_chassis, hgx_chassis]
        chassis += [f"{V1}/Chassis/HGX_{gpu_names[c.id]}" for c in gpus]
        chassis += [f"{V1}/Chassis/HGX_{sw_names[c.id]}" for c in switches]
        self.members(site, "ChassisCollection", f"{V1}/Chassis", chassis, "Chassis Collection")
        site.add(res.chassis(server, host_chassis, name=f"{host.model}", links={
            "ComputerSystems": [ref(host_sys)], "ManagedBy": [ref(bmc)],
            "Contains": [ref(hgx_chassis)]},
            extra={"PCIeDevices": ref(f"{host_chassis}/PCIeDevices")}))
        self._pcie(site, server, host_chassis, {c.id: c for c in others})
        site.add(res.chassis(server, hgx_chassis, name="HGX Chassis", chassis_type="Enclosure",
                             model="HGX baseboard", links={
                                 "ComputerSystems": [ref(board)], "ManagedBy": [ref(hmc)],
                                 "ContainedBy": ref(host_chassis),
                                 "Contains": refs(chassis[2:])}))
        for card in gpus + switches:
            short = gpu_names.get(card.id) or sw_names[card.id]
            uri = f"{V1}/Chassis/HGX_{short}"
            links = {"ContainedBy": ref(hgx_chassis), "ManagedBy": [ref(hmc)]}
            if card in gpus:
                links["Processors"] = [ref(f"{board}/Processors/{short}")]
            site.add(res.chassis(server, uri, name=f"HGX {short}", chassis_type="Module",
                                 model=card.model, serial=card.serial,
                                 manufacturer=card.manufacturer, links=links,
                                 extra={"PCIeDevices": ref(f"{uri}/PCIeDevices")}))
            self._pcie(site, server, uri, {short: card}, firmware=False)
            if card in gpus:
                device = f"{uri}/PCIeDevices/{short}"
                site.add(res.processor(server, card, f"{board}/Processors/{short}", links={
                    "Chassis": ref(uri), "PCIeDevice": ref(device),
                    "PCIeFunctions": [ref(f"{device}/PCIeFunctions/{i}")
                                      for i, _ in enumerate(card.functions)]}))

        self.members(site, "ManagerCollection", f"{V1}/Managers", [bmc, hmc],
                     "Manager Collection")
        bmc_spec = server.firmware(f"{server.sid}-BMC")
        site.add(res.manager(server, bmc, name="BMC", version=server.version_of(bmc_spec),
                             links={"ManagerForServers": [ref(host_sys)],
                                    "ManagerForChassis": [ref(host_chassis)]}))
        site.add(res.manager(server, hmc, name="HGX HMC", model="HGX HMC", version=None,
                             links={"ManagerForServers": [ref(board)],
                                    "ManagerForChassis": [ref(hgx_chassis)]}))

        entries = {"HostBIOS_0": Entry(server.firmware(f"{server.sid}-BIOS"), True),
                   "HostBMC_0": Entry(bmc_spec, True)}
        for card in gpus + switches:
            short = gpu_names.get(card.id) or sw_names[card.id]
            for spec in specs_of(server, card):
                iid = f"HGX_FW_{short}" if spec.component in ("vbios", "nvswitch_firmware") \
                    else f"HGX_{spec.component}_{short}"
                entries[iid] = Entry(spec, spec.updatable, group=TRAY)
        for card in others:
            for spec in specs_of(server, card):
                entries[f"HostFW_{card.id}_{spec.component}"] = Entry(spec, spec.updatable)
        self.firmware(site, server, entries)
        return site

    def _pcie(self, site, server, chassis_uri, named, firmware=True):
        base = f"{chassis_uri}/PCIeDevices"
        site.collection("PCIeDeviceCollection", base, [f"{base}/{n}" for n in named],
                        "PCIe Device Collection")
        for short, card in named.items():
            self.pcie(site, server, card, f"{base}/{short}", chassis_uri, firmware)

    def default_candidates(self, site, via):
        """No Targets: SimpleUpdate is the host BMC's update, multipart the motherboard
        tray's (host BMC and BIOS)."""
        wanted = ("HostBMC_0",) if via == "simple" else ("HostBMC_0", "HostBIOS_0")
        return [(site.inventory[i].spec, i) for i in wanted]
