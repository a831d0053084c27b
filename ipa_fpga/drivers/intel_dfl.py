"""Intel DFL FPGAs (N3000, D5005, N6000, Arria 10 PAC): FME, PR region, port, MAX10 BMC.

Reads, below the card's PCI function::

    fpga_region/regionN/dfl-fme.M/bitstream_id, bitstream_metadata
    fpga_region/regionN/dfl-fme.M/dfl-fme-region.M/fpga_region/regionK/compat_id
    fpga_region/regionN/dfl-port.M/afu_id
    fpga_region/regionN/dfl-fme.M/dfl_dev.*/spi_master/spi*/spi*.0/bmc_version, bmcfw_version

and the firmware-upload devices under ``/sys/class/firmware`` whose device sits
below the card (the MAX10 secure-update device).

Tree: card (kind ``fpga``) -> PR region (``region``, resource class ``FPGA``,
attach handle = the PF) -> port (``port``, function traits). With FPGA VFs
enabled, the VFs under the region are what is offered.
"""

from __future__ import annotations

import os

from accel_contract import naming
from ipa_fpga.drivers.base import AcceleratorDriver


def decode_m10_version(value):
    """MAX10 register ``0x44020118`` -> ``"D.2.1.24"`` (fpgainfo's form); None if malformed."""
    try:
        reg = int(str(value), 16)
    except (TypeError, ValueError):
        return None
    letter = (reg >> 24) & 0xFF
    if not 0x41 <= letter <= 0x5A:
        return None
    return f"{chr(letter)}.{(reg >> 16) & 0xFF}.{(reg >> 8) & 0xFF}.{reg & 0xFF}"


def dashed_guid(hex32):
    """``f3c99413...`` -> ``f3c99413-5081-4aad-bced-07eb84a6d0bb`` (fpgainfo's form)."""
    h = str(hex32).lower().replace("-", "")
    if len(h) != 32:
        return hex32
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _first(names, prefix):
    return next((n for n in names if n.startswith(prefix)), None)


def region_dir(root, address):
    """The card's base FPGA region directory, or None."""
    base = os.path.join(root, "sys/bus/pci/devices", address, "fpga_region")
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return None
    name = _first(names, "region")
    return os.path.join(base, name) if name else None


def fme_dir(root, address):
    """``.../fpga_region/regionN/dfl-fme.M`` of the card at ``address``, or None."""
    region = region_dir(root, address)
    if region is None:
        return None
    try:
        name = _first(sorted(os.listdir(region)), "dfl-fme.")
    except OSError:
        return None
    return os.path.join(region, name) if name else None


def port_dirs(root, address):
    """``.../fpga_region/regionN/dfl-port.M`` directories of the card."""
    region = region_dir(root, address)
    if region is None:
        return []
    try:
        return [os.path.join(region, n) for n in sorted(os.listdir(region))
                if n.startswith("dfl-port.")]
    except OSError:
        return []


def pr_region_dir(fme):
    """The PR region (``dfl-fme-region.M/fpga_region/regionK``) of an FME directory, or None."""
    try:
        sub = _first(sorted(os.listdir(fme)), "dfl-fme-region.")
        if sub is None:
            return None
        base = os.path.join(fme, sub, "fpga_region")
        name = _first(sorted(os.listdir(base)), "region")
        return os.path.join(base, name) if name else None
    except OSError:
        return None


def bmc_dirs(fme):
    """MAX10 BMC device directories (``spiN.0`` with ``bmc_version``) below an FME."""
    out = []
    try:
        for dev in sorted(os.listdir(fme)):
            if not dev.startswith("dfl_dev."):
                continue
            master = os.path.join(fme, dev, "spi_master")
            for bus in sorted(os.listdir(master)):
                for child in sorted(os.listdir(os.path.join(master, bus))):
                    path = os.path.join(master, bus, child)
                    if os.path.exists(os.path.join(path, "bmc_version")):
                        out.append(path)
    except OSError:
        pass
    return out


def fw_upload_devices(root, address):
    """``[(class name, class dir)]`` of firmware-upload devices below the card at ``address``."""
    cls = os.path.join(root, "sys/class/firmware")
    out = []
    try:
        names = sorted(os.listdir(cls))
    except OSError:
        return out
    for name in names:
        link = os.path.join(cls, name)
        try:
            target = os.readlink(link)
        except OSError:
            continue
        if f"/{address}/" in target:
            out.append((name, link))
    return out


def dev_node(root, kind, index):
    """``/dev/dfl-fme.N`` or ``/dev/dfl-port.N`` under the root."""
    return os.path.join(root, "dev", f"dfl-{kind}.{index}")


#: the PCI driver of the upstream Linux DFL framework, the only one ipa_fpga programs
#: and flashes through; the legacy out-of-tree OPAE driver binds ``intel-fpga-pci``
DFL_PCI_DRIVER = "dfl-pci"
LEGACY_OPAE_DRIVER = "intel-fpga-pci"


def legacy_fme_dir(root, address):
    """The legacy OPAE driver's FME (``fpga/intel-fpga-dev.N/intel-fpga-fme.N``), or None."""
    base = os.path.join(root, "sys/bus/pci/devices", address, "fpga")
    try:
        dev = _first(sorted(os.listdir(base)), "intel-fpga-dev.")
        if dev is None:
            return None
        fme = _first(sorted(os.listdir(os.path.join(base, dev))), "intel-fpga-fme.")
    except OSError:
        return None
    return os.path.join(base, dev, fme) if fme else None


def pr_path(root, address, driver):
    """Why the card at ``address`` cannot be partially reconfigured in-band (a sentence),
    or None when it can: ``dfl-pci`` bound, an FME with its ``/dev`` node, a PR region
    with its ``compat_id``, a port. The in-band steps check this before any download."""
    if driver != DFL_PCI_DRIVER:
        if driver == LEGACY_OPAE_DRIVER:
            return (f"bound to {LEGACY_OPAE_DRIVER} (the legacy out-of-tree OPAE driver); "
                    f"in-band programming needs the upstream {DFL_PCI_DRIVER} driver")
        return (f"bound to {driver or 'no driver'}; in-band programming needs the "
                f"{DFL_PCI_DRIVER} driver")
    fme = fme_dir(root, address)
    if fme is None:
        return "no DFL FME (fpga_region/regionN/dfl-fme.M) below the card"
    node = dev_node(root, "fme", fme.rsplit(".", 1)[-1])
    if not os.path.exists(node):
        return f"no FME device node /dev/{os.path.basename(node)}"
    pr = pr_region_dir(fme)
    if pr is None or not os.path.exists(os.path.join(pr, "compat_id")):
        return "the FME has no PR region with a compat_id"
    if not port_dirs(root, address):
        return "no DFL port (AFU slot) below the card"
    return None


class DflDriver(AcceleratorDriver):
    name = "intel_dfl"
    operations = frozenset({"fw_upload", "fpga_pr"})

    def describe(self, ctx):
        dev = ctx.device
        pf = dev.primary
        dev.traits = self.device_traits(dev)
        attrs = dev.attributes
        fme = fme_dir(ctx.root, pf.address)
        compat = afu = None
        fme_index = None
        legacy = legacy_fme_dir(ctx.root, pf.address) if pf.driver == LEGACY_OPAE_DRIVER \
            else None
        if legacy is not None:
            # What the card runs is still known (and matchable); nothing here can change it.
            ctx.warn("legacy_driver", f"bound to {LEGACY_OPAE_DRIVER}, the legacy out-of-tree "
                     f"OPAE driver: the card is listed, but it is neither programmed nor "
                     f"flashed in-band (that needs {DFL_PCI_DRIVER})",
                     os.path.join(ctx.function_dir(pf.address), "driver"))
            bitstream = ctx.read(os.path.join(legacy, "bitstream_id"), required=False)
            if bitstream:
                attrs["bitstream_id"] = bitstream
            compat = ctx.read(os.path.join(legacy, "pr", "interface_id"), required=False)
            if compat:
                attrs["pr_interface_id"] = dashed_guid(compat)
            try:
                port = _first(sorted(os.listdir(os.path.dirname(legacy))), "intel-fpga-port.")
            except OSError:
                port = None
            if port:
                afu = ctx.read(os.path.join(os.path.dirname(legacy), port, "afu_id"),
                               required=False)
                if afu:
                    attrs["afu_id"] = afu
        elif fme is None:
            ctx.warn("no_fme", "no DFL FME found: is the dfl-pci driver bound?",
                     os.path.join(ctx.function_dir(pf.address), "fpga_region"))
        else:
            fme_index = fme.rsplit(".", 1)[-1]
            bitstream = ctx.read(os.path.join(fme, "bitstream_id"))
            meta = ctx.read(os.path.join(fme, "bitstream_metadata"), required=False)
            if bitstream:
                attrs["bitstream_id"] = bitstream
            if meta:
                attrs["bitstream_metadata"] = meta
            pr = pr_region_dir(fme)
            if pr:
                compat = ctx.read(os.path.join(pr, "compat_id"))
                if compat:
                    attrs["pr_interface_id"] = dashed_guid(compat)
            bmc = bmc_dirs(fme)
            uploads = fw_upload_devices(ctx.root, pf.address)
            target = f"/sys/class/firmware/{uploads[0][0]}" if uploads else None
            method = "fw_upload" if uploads else "none"
            versions = {}
            if bmc:
                for fname in ("bmcfw_version", "bmc_version"):
                    raw = ctx.read(os.path.join(bmc[0], fname), required=False)
                    if raw is not None:
                        versions[fname] = decode_m10_version(raw)
                        if versions[fname] is None:
                            ctx.warn("bad_value", f"{fname} is {raw[:40]!r}",
                                     os.path.join(bmc[0], fname))
            for comp, name, version in (
                ("max10_bmc_nios", "MAX10 BMC NIOS firmware", versions.get("bmcfw_version")),
                ("max10_bmc_build", "MAX10 BMC build", versions.get("bmc_version")),
                ("fpga_image", "FPGA flash image (bitstream id)", bitstream),
            ):
                if version is None:
                    continue
                dev.firmware.append({
                    "component": comp,
                    "name": name,
                    "version": version,
                    "updatable": bool(uploads),
                    "update_method": method,
                    "update_target": target,
                    "lowest_supported_version": None,
                })
            if uploads:
                attrs["fw_upload_device"] = target
        ports = port_dirs(ctx.root, pf.address)
        if ports and legacy is None:
            afu = ctx.read(os.path.join(ports[0], "afu_id"))
            if afu:
                attrs["afu_id"] = afu
        vendor = pf.vendor_id
        region_traits = naming.region_traits(vendor, compat) if compat else []
        function_traits = naming.function_traits(vendor, afu) if afu and afu.strip("0") else []
        root_id = pf.address
        dev.deployables.append(self.deployable(
            root_id, f"{dev.model} {pf.address}", "fpga", traits=dev.traits,
            attributes={k: attrs[k] for k in ("bitstream_id",) if k in attrs},
        ))
        region_id = f"{pf.address}/region0"
        vfs = [f for f in dev.functions if dev.roles[f.address] == "vf" and f.physfn == pf.address]
        offered = list(dev.traits) + region_traits + function_traits
        region_attrs = {}
        if compat:
            region_attrs["pr_interface_id"] = dashed_guid(compat)
        if fme_index is not None:
            region_attrs["program_target"] = f"/dev/dfl-fme.{fme_index}"
        # Offered as programmable only when an in-band path exists; else the reason.
        unavailable = pr_path(ctx.root, pf.address, pf.driver)
        if unavailable:
            region_attrs["programming_unavailable"] = unavailable
        if vfs:
            dev.deployables.append(self.deployable(
                region_id, f"{dev.model} PR region", "region", parent=root_id, root=root_id,
                traits=offered, num=0, programmable=not unavailable, attributes=region_attrs,
            ))
            for vf in vfs:
                dev.deployables.append(self.deployable(
                    vf.address, f"{dev.model} VF {vf.address}", "vf", parent=region_id,
                    root=root_id, resource_class=naming.resource_class(dev.type, "vf"),
                    traits=offered, handles=[vf.address],
                ))
        else:
            dev.deployables.append(self.deployable(
                region_id, f"{dev.model} PR region", "region", parent=root_id, root=root_id,
                resource_class=naming.resource_class(dev.type, "region"), traits=offered,
                handles=[pf.address], programmable=not unavailable, attributes=region_attrs,
            ))
        for i, port in enumerate(ports):
            port_afu = afu if i == 0 else ctx.read(os.path.join(port, "afu_id"))
            dev.deployables.append(self.deployable(
                f"{pf.address}/port{i}", f"{dev.model} port {i}", "port", parent=region_id,
                root=root_id,
                traits=naming.function_traits(vendor, port_afu) if port_afu and
                port_afu.strip("0") else [],
                attributes={"afu_id": port_afu} if port_afu else None,
            ))
        self.companion_tree(ctx, root_id)
