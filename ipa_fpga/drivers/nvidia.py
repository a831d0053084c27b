"""NVIDIA GPUs: VBIOS version and GPU UUID from the driver's procfs; MIG mode from nvidia-smi.

``nvidia-smi`` is consulted only when it is installed and discovery looks at the
live host (root ``/``): it reports the real GPUs, not those of a fixture root.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from ipa_fpga.drivers.base import AcceleratorDriver

SMI_TIMEOUT = 15


def information_path(root, address):
    return os.path.join(root, "proc/driver/nvidia/gpus", address, "information")


def parse_information(text):
    """``Key: value`` lines of ``/proc/driver/nvidia/gpus/<bdf>/information`` -> dict."""
    out = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def smi_bus_id(bus_id):
    """``00000000:18:00.0`` (nvidia-smi) -> ``0000:18:00.0`` (sysfs)."""
    bus_id = bus_id.strip().lower()
    dom, _, rest = bus_id.partition(":")
    return f"{dom[-4:]}:{rest}" if len(dom) > 4 else bus_id


def mig_modes(timeout=SMI_TIMEOUT):
    """``{address: "Enabled"|"Disabled"|"[N/A]"}`` from nvidia-smi, or None when unavailable."""
    binary = shutil.which("nvidia-smi")
    if binary is None:
        return None
    try:
        proc = subprocess.run(
            [binary, "--query-gpu=pci.bus_id,mig.mode.current", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=timeout, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    out = {}
    for line in proc.stdout.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 2:
            out[smi_bus_id(parts[0])] = parts[1]
    return out


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
        if ctx.root == "/":
            if "nvidia_mig" not in ctx.shared:
                ctx.shared["nvidia_mig"] = mig_modes()
            modes = ctx.shared["nvidia_mig"] or {}
            if address in modes:
                dev.attributes["mig_mode"] = modes[address]
        self.pf_vf_tree(ctx, root_kind="gpu")
