"""NVIDIA GPUs: VBIOS and GPU UUID from the driver's procfs; partitions (vGPU, MIG).

Partitions, in every form the driver shows them (hwfacts gpu-partitioning.md):
legacy mdev vGPU types on the PF or its VFs (``mdev_supported_types``), NVIDIA's vendor
VFIO framework on VFs (``nvidia/creatable_vgpu_types``, ``nvidia/current_vgpu_type``),
MIG mode, GPU-instance profiles and instances from ``nvidia-smi`` (the root's own tool:
``ipa_fpga.drivers.nvidia_smi``) and GPU/compute instances from
``/proc/driver/nvidia/capabilities/gpu<minor>/mig``. Without nvidia-smi the MIG state is
reported unknown with a ``no_nvidia_smi`` warning, never guessed.
"""

from __future__ import annotations

import os
import re

from ipa_fpga.discovery import mdev
from ipa_fpga.drivers import gpu_partitions, nvidia_smi
from ipa_fpga.drivers.base import AcceleratorDriver
from ipa_fpga.drivers.nvidia_smi import smi_bus_id  # noqa: F401  (re-exported)

SMI_TIMEOUT = nvidia_smi.TIMEOUT
_TYPE_LINE = re.compile(r"^\s*(\d+)\s*:\s*(.+?)\s*$")


def information_path(root, address):
    return os.path.join(root, "proc/driver/nvidia/gpus", address, "information")


def mig_caps_path(root, minor):
    return os.path.join(root, f"proc/driver/nvidia/capabilities/gpu{minor}/mig")


def vgpu_path(root, vf, name):
    """``<VF>/nvidia/<name>`` of the vendor VFIO framework."""
    return os.path.join(root, "sys/bus/pci/devices", vf, "nvidia", name)


def parse_information(text):
    """``Key: value`` lines of ``/proc/driver/nvidia/gpus/<bdf>/information`` -> dict."""
    out = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def parse_creatable(text):
    """``ID    : vGPU Name`` then ``%-5d : %s`` lines -> ``[(id, name)]`` (header only: [])."""
    out = []
    for line in (text or "").splitlines():
        match = _TYPE_LINE.match(line)
        if match:
            out.append((int(match.group(1)), match.group(2)))
    return out


def smi_view(ctx):
    """nvidia-smi's view of this discovery's root (run once per discovery)."""
    if "nvidia_smi" not in ctx.shared:
        ctx.shared["nvidia_smi"] = nvidia_smi.View(ctx.root)
    return ctx.shared["nvidia_smi"]


def proc_mig_instances(ctx, minor):
    """GPU and compute instance ids the driver's capability files show (no tool needed)."""
    base = mig_caps_path(ctx.root, minor)
    out = []
    for name in ctx.reader.listdir(base, ctx.device.id):
        if name.startswith("gi") and name[2:].isdigit():
            cis = [{"id": int(c[2:]), "profile_id": None, "name": None}
                   for c in ctx.reader.listdir(os.path.join(base, name), ctx.device.id)
                   if c.startswith("ci") and c[2:].isdigit()]
            out.append({"gi": int(name[2:]), "profile_id": None, "start": None, "size": None,
                        "cis": sorted(cis, key=lambda c: c["id"])})
    return sorted(out, key=lambda g: g["gi"])


class NvidiaDriver(AcceleratorDriver):
    name = "nvidia"

    def describe(self, ctx):
        dev = ctx.device
        dev.traits = self.device_traits(dev)
        if dev.type != "GPU":  # NVSwitch: fabric, listed but not offered
            self.pf_vf_tree(ctx, root_kind="accelerator")
            return
        address = dev.primary.address
        path = information_path(ctx.root, address)
        info = parse_information(ctx.read(path, required=False))
        if not info:
            ctx.warn("no_driver_info", "the nvidia driver's procfs entry is missing", path)
        if info.get("GPU UUID"):
            dev.attributes["gpu_uuid"] = info["GPU UUID"]
        if info.get("Model"):
            dev.attributes["model_name"] = info["Model"]
        if info.get("Device Minor", "").isdigit():
            dev.attributes["device_minor"] = int(info["Device Minor"])
        if info.get("Video BIOS"):
            dev.firmware.append({
                "component": "vbios",
                "name": "GPU VBIOS",
                "version": info["Video BIOS"],
                "updatable": True,
                "update_method": "vendor_tool",
                "update_target": None,
                "lowest_supported_version": None,
            })
        facts = self._facts(ctx, info)
        if facts.forms or facts.offers_partitions:
            gpu_partitions.describe(self, ctx, facts, f"{dev.model} {address}")
        else:
            self.pf_vf_tree(ctx, root_kind="gpu")

    def _facts(self, ctx, info):
        dev = ctx.device
        address = dev.primary.address
        facts = gpu_partitions.Facts()
        vfs = [f.address for f in dev.functions if f.physfn == address]
        for fn in [address, *vfs]:
            types, mdevs = mdev.read_parent(ctx, fn)
            facts.mdev_types += types
            facts.mdevs += mdevs
        for vf in vfs:
            text = ctx.read(vgpu_path(ctx.root, vf, "creatable_vgpu_types"), required=False)
            if text is None:
                continue
            current = ctx.read(vgpu_path(ctx.root, vf, "current_vgpu_type"))
            try:
                held = int(current or 0)
            except ValueError:
                ctx.warn("bad_value", f"current_vgpu_type is {current[:40]!r}",
                         vgpu_path(ctx.root, vf, "current_vgpu_type"))
                held = 0
            facts.vgpu_vfs.append(gpu_partitions.VgpuVf(vf, held, parse_creatable(text)))
        if not info:
            return facts  # no driver loaded: neither its procfs nor its tool can answer
        minor = info.get("Device Minor", "")
        procfs = proc_mig_instances(ctx, minor) if minor.isdigit() else []
        view = smi_view(ctx)
        row = view.gpus.get(address)
        if view.error and view.missing:
            ctx.warn("no_nvidia_smi", f"{view.error}: MIG mode, profiles and instances are not "
                     "reported (GPU/compute instance ids only, from /proc)")
        elif view.error:
            ctx.warn("nvidia_smi_failed", f"{view.error}: MIG state not reported")
        if row is None:
            facts.mig_instances = procfs
            if procfs:
                facts.mig = {"current": None, "pending": None, "gpu_index": None,
                             "source": None}
            return facts
        dev.attributes["mig_mode"] = row.mig_current or "[N/A]"
        facts.mig_capable = row.mig_current is not None
        facts.mig = ({"current": row.mig_current, "pending": row.mig_pending,
                      "gpu_index": row.index, "source": "nvidia-smi"}
                     if facts.mig_capable else None)
        if row.mig_current == "Enabled":
            profiles, gis, cis = view.mig()
            facts.mig_profiles = profiles.get(row.index, [])
            facts.mig_instances = [
                {"gi": g["gi"], "profile_id": g["profile_id"], "start": g["start"],
                 "size": g["size"], "cis": cis.get((row.index, g["gi"]), [])}
                for g in gis.get(row.index, [])]
        return facts

