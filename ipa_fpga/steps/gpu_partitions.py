"""``configure_gpu_partitions``: lay out a GPU's MIG instances or vendor-VFIO vGPUs.

Arguments (exactly one of ``mig`` / ``vgpu``, plus a device selector):

``mig``
    ``{"enabled": true, "profiles": ["1g.10gb", ...]}``: MIG mode on, every existing GPU
    instance destroyed (compute instances first), then one GPU instance with its default
    compute instance per listed profile (name or id; order kept). ``enabled: false``
    destroys every instance and turns MIG off. Needs the NVIDIA driver and ``nvidia-smi``.
``vgpu``
    ``{"num_vfs": 8, "type": "L40S-6Q", "count": 2}`` or ``{"types": ["L40S-6Q", ...]}``:
    every VF's vGPU released, the VF count set (``sriov_numvfs``, what ``sriov-manage -e``
    does) when given, then the type written to ``current_vgpu_type`` of the first
    ``count`` VFs (default: all) or of VF *i* for ``types[i]``. Needs NVIDIA's vGPU 17+
    host driver (vendor VFIO framework).

Everything is verified by re-reading (discovery after the change) and the step returns
what it found; a missing driver or tool fails with a message naming it.
"""

from __future__ import annotations

import logging
import os

from ipa_fpga import selectors
from ipa_fpga.discovery import discover
from ipa_fpga.errors import InvalidArgs, NotSupported, VerificationFailed
from ipa_fpga.partitions import mig as mig_ops
from ipa_fpga.partitions import vgpu_vf
from ipa_fpga.steps.vfs import set_numvfs

LOG = logging.getLogger(__name__)
STEP = "configure_gpu_partitions"
MIG_KEYS = {"enabled", "profiles"}
VGPU_KEYS = {"num_vfs", "type", "count", "types"}

ARGSINFO = {
    "mig": {"description": "MIG layout: {\"enabled\": true|false, \"profiles\": [GPU-instance "
            "profile names or ids, e.g. \"1g.10gb\"]}; existing instances are replaced.",
            "required": False},
    "vgpu": {"description": "Vendor-VFIO vGPUs: {\"num_vfs\": N (optional), \"type\": name or "
             "id, \"count\": K (optional, default all VFs)} or {\"types\": [one per VF]}.",
             "required": False},
}


def _check(mig, vgpu):
    if (mig is None) == (vgpu is None):
        raise InvalidArgs(STEP, "give exactly one of 'mig' and 'vgpu'")
    spec, keys, name = (mig, MIG_KEYS, "mig") if mig is not None else (vgpu, VGPU_KEYS, "vgpu")
    if not isinstance(spec, dict):
        raise InvalidArgs(STEP, f"'{name}' must be a mapping")
    unknown = set(spec) - keys
    if unknown:
        raise InvalidArgs(STEP, f"unknown '{name}' keys {sorted(unknown)}")
    if mig is not None:
        profiles = mig.get("profiles", [])
        if not isinstance(profiles, list) or not all(isinstance(p, str | int) for p in profiles):
            raise InvalidArgs(STEP, "mig.profiles must be a list of profile names or ids")
        if mig.get("enabled") is False and profiles:
            raise InvalidArgs(STEP, "mig.profiles needs MIG enabled")
        if not isinstance(mig.get("enabled", True), bool):
            raise InvalidArgs(STEP, "mig.enabled must be true or false")
        return
    if "types" in vgpu and ("type" in vgpu or "count" in vgpu):
        raise InvalidArgs(STEP, "vgpu takes 'types', or 'type' with an optional 'count'")
    if "types" not in vgpu and "type" not in vgpu and "num_vfs" not in vgpu:
        raise InvalidArgs(STEP, "vgpu needs 'type', 'types' or 'num_vfs'")
    for key in ("num_vfs", "count"):
        if key in vgpu and (not isinstance(vgpu[key], int) or vgpu[key] < 0):
            raise InvalidArgs(STEP, f"vgpu.{key} must be an integer >= 0")
    if "types" in vgpu and not isinstance(vgpu["types"], list):
        raise InvalidArgs(STEP, "vgpu.types must be a list (one type per VF)")


def configure(root, mig=None, vgpu=None, **selector):
    _check(mig, vgpu)
    devices = [d for d in selectors.select(discover(root=root), selector) if d["type"] == "GPU"]
    if not devices:
        raise NotSupported(selectors.describe(selectors.parse(selector)), "is not a GPU")
    results = []
    for device in devices:
        if mig is not None:
            results.append(_mig(root, device, mig))
        else:
            results.append(_vgpu(root, device, vgpu))
    return results


def _mig(root, device, spec):
    address = device["id"]
    enabled = spec.get("enabled", True)
    wanted = [str(p) for p in spec.get("profiles", [])]
    state = mig_ops.state(root, address)  # refuses clearly without driver or tool
    if state["instances"]:
        mig_ops.destroy(root, address)
    mig_ops.set_mode(root, address, enabled)
    created = mig_ops.create(root, address, wanted) if enabled and wanted else []
    after = _device(root, address)["partitions"]
    names = sorted(i["type"] for i in after["instances"] if i["form"] == "mig")
    asked = sorted(mig_ops.profile(mig_ops.state(root, address), p)["name"]
                   for p in wanted) if wanted else []
    if after["mig"]["current"] != ("Enabled" if enabled else "Disabled") or names != asked:
        raise VerificationFailed(address, f"after the change MIG is {after['mig']['current']} "
                                          f"with instances {names}, wanted {asked}")
    LOG.info("%s: MIG %s, GPU instances %s", address, after["mig"]["current"], created)
    return {"device": address, "mig": after["mig"]["current"], "gpu_instances": created,
            "profiles": names}


def _vfs(root, pf):
    fdir = os.path.join(root, "sys/bus/pci/devices", pf)
    links = sorted((n for n in os.listdir(fdir) if n.startswith("virtfn")),
                   key=lambda n: int(n[6:]))
    return [os.path.basename(os.readlink(os.path.join(fdir, n))) for n in links]


def _vgpu(root, device, spec):
    pf = device["functions"][0]
    address = pf["address"]
    if pf.get("kernel_driver") != "nvidia":
        raise NotSupported(address, "the NVIDIA driver is not bound to this GPU (in the "
                                    "ramdisk it usually is not): vGPUs need NVIDIA's vGPU "
                                    "host driver")
    vfs = _vfs(root, address)
    for vf in vfs:
        if vgpu_vf.is_vgpu_vf(root, vf):
            vgpu_vf.release(root, vf)
    if "num_vfs" in spec:
        total = (pf.get("sriov") or {}).get("totalvfs")
        if not total:
            raise NotSupported(address, "has no SR-IOV capability")
        if spec["num_vfs"] > total:
            raise InvalidArgs(address, f"num_vfs {spec['num_vfs']} exceeds sriov_totalvfs {total}")
        set_numvfs(root, address, len(vfs), spec["num_vfs"], wait_vfs=True)
        vfs = _vfs(root, address)
    if "types" in spec:
        plan = list(spec["types"])
    elif "type" in spec:
        plan = [spec["type"]] * spec.get("count", len(vfs))
    else:
        plan = []
    if ("type" in spec or "types" in spec) and not vfs:
        raise NotSupported(address, "has no SR-IOV VFs to give vGPU types to (set "
                                    "vgpu.num_vfs on a GPU of NVIDIA's vendor VFIO framework)")
    if len(plan) > len(vfs):
        raise InvalidArgs(address, f"{len(plan)} vGPU types for {len(vfs)} VFs")
    if plan and not vgpu_vf.is_vgpu_vf(root, vfs[0]):
        raise NotSupported(vfs[0], "not on NVIDIA's vendor VFIO framework (no nvidia/"
                                   "current_vgpu_type): needs the vGPU 17+ host driver")
    set_types = [vgpu_vf.set_type(root, vf, wanted)["type"] for vf, wanted in zip(vfs, plan,
                                                                                   strict=False)]
    after = _device(root, address)
    held = {i["parent"]: int(i["type"]) for i in (after.get("partitions") or {}).get(
        "instances", []) if i["form"] == "vgpu_vf"}
    expected = dict(zip(vfs, set_types, strict=False))
    if held != expected:
        raise VerificationFailed(address, f"VFs hold {held} after the change, wanted {expected}")
    LOG.info("%s: %d VFs, vGPU types %s", address, len(vfs), expected)
    return {"device": address, "num_vfs": len(vfs), "vgpu_types": expected}


def _device(root, address):
    return selectors.select(discover(root=root), {"address": address})[0]
