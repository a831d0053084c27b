"""NVIDIA's vendor VFIO framework: one vGPU per VF, chosen by ``nvidia/current_vgpu_type``.

Writing a type id from ``creatable_vgpu_types`` creates the vGPU; ``0`` releases it
(hwfacts gpu-partitioning.md 2.3). Types are named by id (``1151``), name
(``NVIDIA L40S-6Q`` or ``L40S-6Q``) or trait (``CUSTOM_VGPU_L40S_6Q``); ids are
card-local, so names are resolved against the card's own lists.
"""

import os

from accel_contract import naming
from ipa_fpga.drivers.nvidia import parse_creatable, vgpu_path
from ipa_fpga.errors import InvalidArgs, NotSupported, UpdateFailed, VerificationFailed
from ipa_fpga.partitions import SETTLE, settle


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def is_vgpu_vf(root, vf):
    return os.path.exists(vgpu_path(root, vf, "current_vgpu_type"))


def _require(root, vf):
    if not is_vgpu_vf(root, vf):
        raise NotSupported(vf, "not a VF of NVIDIA's vendor VFIO framework (no "
                               "nvidia/current_vgpu_type: the vGPU 17+ host driver must be "
                               "loaded and its VFs enabled)")


def current(root, vf):
    _require(root, vf)
    text = (_read(vgpu_path(root, vf, "current_vgpu_type")) or "").strip()
    try:
        return int(text or 0)
    except ValueError:
        raise UpdateFailed(vf, f"current_vgpu_type reads {text[:40]!r}") from None


def creatable(root, vf):
    _require(root, vf)
    return parse_creatable(_read(vgpu_path(root, vf, "creatable_vgpu_types")))


def _siblings(root, vf):
    try:
        pf = os.path.basename(os.readlink(os.path.join(root, "sys/bus/pci/devices", vf,
                                                       "physfn")))
    except OSError:
        return [vf]
    pdir = os.path.join(root, "sys/bus/pci/devices", pf)
    out = []
    for name in sorted(os.listdir(pdir)):
        if name.startswith("virtfn"):
            out.append(os.path.basename(os.readlink(os.path.join(pdir, name))))
    return out or [vf]


def _matches(wanted, type_id, name):
    text = str(wanted).strip()
    if text == str(type_id):
        return True
    if text.upper().startswith("CUSTOM_"):
        return naming.vgpu_type_traits("vgpu_vf", None, None, name)[0] == text.upper()
    return text in (name, naming.vgpu_type_name(name))


def resolve(root, vf, wanted):
    """The type id ``wanted`` names on this VF's card, or None when no list knows it."""
    for sibling in [vf, *_siblings(root, vf)]:
        if not is_vgpu_vf(root, sibling):
            continue
        for type_id, name in creatable(root, sibling):
            if _matches(wanted, type_id, name):
                return type_id
    text = str(wanted).strip()
    return int(text) if text.isdigit() else None


def set_type(root, vf, wanted, timeout=SETTLE):
    """Give ``vf`` the vGPU type ``wanted``: ``{"type": id, "created": bool}``."""
    if wanted in (None, "", 0, "0"):
        raise InvalidArgs(vf, "a vGPU type (id, name or CUSTOM_VGPU_ trait) is required")
    held = current(root, vf)
    type_id = resolve(root, vf, wanted)
    if held:
        if type_id == held:
            return {"type": held, "created": False}
        raise UpdateFailed(vf, f"already holds vGPU type {held}; release it (write 0) first")
    offered = creatable(root, vf)
    if type_id not in {i for i, _n in offered}:
        names = ", ".join(f"{i} {n}" for i, n in offered) or "none: the card is full"
        raise UpdateFailed(vf, f"vGPU type {wanted} cannot be created on this VF now "
                               f"(creatable: {names})")
    try:
        with open(vgpu_path(root, vf, "current_vgpu_type"), "w") as f:
            f.write(str(type_id))
    except OSError as exc:
        raise UpdateFailed(vf, f"writing current_vgpu_type failed: {exc.strerror}") from None
    settle(root, timeout)
    if current(root, vf) != type_id:
        raise VerificationFailed(vf, f"current_vgpu_type reads {current(root, vf)} after "
                                     f"writing {type_id} (the driver refused it)")
    return {"type": type_id, "created": True}


def release(root, vf, timeout=SETTLE):
    """Release the VF's vGPU (write ``0``): ``{"released": bool}``."""
    held = current(root, vf)
    if not held:
        return {"released": False}
    try:
        with open(vgpu_path(root, vf, "current_vgpu_type"), "w") as f:
            f.write("0")
    except OSError as exc:
        raise UpdateFailed(vf, f"writing current_vgpu_type failed: {exc.strerror}") from None
    settle(root, timeout)
    if current(root, vf) != 0:
        raise VerificationFailed(vf, f"current_vgpu_type still reads {current(root, vf)} "
                                     "after writing 0 (is the VF still open by a VM?)")
    return {"released": True}
