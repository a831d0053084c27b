"""Xilinx/AMD Alveo under XRT: shell (VBNV, logic/interface UUIDs) and the loaded xclbin.

The management PF (xclmgmt) holds ``rom.m.<instance>/VBNV``, ``logic_uuids``,
``interface_uuids`` and ``xmc.m.<instance>/bmc_ver``; the user PF (xocl) holds
``xclbinuuid``. Tree: card (``fpga``) -> region (``FPGA``, attach handle = the user
PF, region traits from the interface UUID) -> loaded function (function traits).
"""

from __future__ import annotations

import os

from accel_contract import naming
from ipa_fpga.drivers.base import AcceleratorDriver

NO_XCLBIN = "00000000-0000-0000-0000-000000000000"


def subdev_dir(pf_dir, prefix):
    """``rom.m.<N>`` / ``xmc.m.<N>`` / ``rom.u.<N>`` directory of a PF, or None."""
    try:
        name = next((n for n in sorted(os.listdir(pf_dir)) if n.startswith(prefix)), None)
    except OSError:
        return None
    return os.path.join(pf_dir, name) if name else None


class XrtDriver(AcceleratorDriver):
    name = "xilinx_xrt"
    operations = frozenset({"xrt"})

    def describe(self, ctx):
        dev = ctx.device
        dev.traits = self.device_traits(dev)
        attrs = dev.attributes
        mgmt = next(iter(dev.by_role("management")), None)
        user = next(iter(dev.by_role("user")), None)
        if mgmt is None:
            ctx.warn("no_management_pf", "the card's management PF (xclmgmt) was not found")
        if user is None:
            ctx.warn("no_user_pf", "the card's user PF (xocl) was not found")
        logic = iface = vbnv = xclbin = sc = instance = None
        if mgmt is not None:
            mdir = ctx.function_dir(mgmt.address)
            instance = ctx.read(os.path.join(mdir, "instance"), required=False)
            rom = subdev_dir(mdir, "rom.m.")
            if rom:
                vbnv = ctx.read(os.path.join(rom, "VBNV"), required=False)
                part = ctx.read(os.path.join(rom, "FPGA"), required=False)
                if part:
                    attrs["fpga_part"] = part
            logic = _first_line(ctx.read(os.path.join(mdir, "logic_uuids"), required=False))
            iface = _first_line(ctx.read(os.path.join(mdir, "interface_uuids"), required=False))
            xmc = subdev_dir(mdir, "xmc.m.")
            if xmc:
                sc = ctx.read(os.path.join(xmc, "bmc_ver"), required=False)
        if user is not None:
            udir = ctx.function_dir(user.address)
            xclbin = ctx.read(os.path.join(udir, "xclbinuuid"), required=False)
            if iface is None:
                iface = _first_line(ctx.read(os.path.join(udir, "interface_uuids"),
                                             required=False))
        if vbnv:
            attrs["vbnv"] = vbnv
        if logic:
            attrs["logic_uuid"] = logic
        if iface:
            attrs["interface_uuid"] = iface
        if xclbin:
            attrs["xclbin_uuid"] = xclbin
        target = f"/dev/xclmgmt{instance}" if instance else None
        if logic:
            dev.firmware.append(_fw("xrt_shell", f"Alveo shell {vbnv or ''}".strip(), logic,
                                    target))
        if sc:
            dev.firmware.append(_fw("sc_firmware", "Alveo satellite controller firmware", sc,
                                    target))
        vendor = dev.primary.vendor_id
        loaded = bool(xclbin) and xclbin != NO_XCLBIN and xclbin.replace("-", "").strip("0")
        region_traits = naming.region_traits(vendor, iface) if iface else []
        function_traits = naming.function_traits(vendor, xclbin) if loaded else []
        root_id = dev.primary.address
        dev.deployables.append(self.deployable(
            root_id, f"{dev.model} {root_id}", "fpga", traits=dev.traits,
            attributes={"vbnv": vbnv} if vbnv else None,
        ))
        region_id = f"{root_id}/region0"
        dev.deployables.append(self.deployable(
            region_id, f"{dev.model} dynamic region", "region", parent=root_id, root=root_id,
            resource_class=naming.resource_class(dev.type, "region") if user else None,
            traits=list(dev.traits) + region_traits + function_traits,
            handles=[user.address] if user else [], programmable=True,
            attributes={"interface_uuid": iface} if iface else None,
        ))
        if loaded:
            dev.deployables.append(self.deployable(
                f"{root_id}/function0", f"xclbin {xclbin}", "function", parent=region_id,
                root=root_id, traits=function_traits, attributes={"xclbin_uuid": xclbin},
            ))


def _first_line(text):
    if not text:
        return None
    return text.splitlines()[0].strip() or None


def _fw(component, name, version, target):
    return {
        "component": component,
        "name": name,
        "version": version,
        "updatable": True,
        "update_method": "xrt",
        "update_target": target,
        "lowest_supported_version": None,
    }
