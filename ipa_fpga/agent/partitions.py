"""The agent's side of GPU partitions: make or remove one on this host, verified.

accel-api asks (JSON-RPC ``create_partition`` / ``remove_partition``) during a claim or a
bind; the work is ``ipa_fpga.partitions`` on ``[agent] root`` (the same code as the IPA
step), synchronous and bounded. Only this host's functions are touched: the parent must
be a display-class PCI function of this host, every field is checked first.
"""

import os
import re

from ipa_fpga.errors import AcceleratorError
from ipa_fpga.partitions import mdev, mig, vgpu_vf

_ADDRESS = re.compile(r"^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._+-]{0,254}$")
_GI = re.compile(r"^gi(\d{1,3})$")
KEYS = {"form", "parent", "type", "instance"}


class PartitionError(Exception):
    """The request is malformed or the partition could not be made; says why."""


def _check(request, root):
    if not isinstance(request, dict) or set(request) - KEYS or "form" not in request:
        raise PartitionError(f"a partition request has the keys {sorted(KEYS)}")
    form, parent = request.get("form"), str(request.get("parent") or "")
    ptype, instance = request.get("type"), request.get("instance")
    if form not in ("mdev", "mig", "vgpu_vf"):
        raise PartitionError(f"unknown partition form {str(form)[:20]!r}")
    if not _ADDRESS.match(parent):
        raise PartitionError(f"parent {parent[:40]!r} is not a PCI address")
    if ptype is not None and not _TYPE.match(str(ptype)):
        raise PartitionError(f"partition type {str(ptype)[:40]!r} is malformed")
    if form == "mdev" and not (instance and _UUID.match(str(instance))):
        raise PartitionError("an mdev is created with its uuid (instance)")
    if form == "mig" and instance and not (_GI.match(str(instance)) or
                                           str(instance).startswith("slot")):
        raise PartitionError(f"MIG instance {str(instance)[:20]!r} is not gi<ID> or slot<N>")
    if not _is_gpu(root, parent):
        raise PartitionError(f"{parent} is not a GPU function of this host")
    return form, parent, ptype, instance


def _is_gpu(root, address):
    """A display-class (0x03) function of NVIDIA or Intel on this host's bus."""
    fdir = os.path.join(root, "sys/bus/pci/devices", address)
    try:
        with open(os.path.join(fdir, "class")) as f:
            klass = f.read().strip()
        with open(os.path.join(fdir, "vendor")) as f:
            vendor = f.read().strip()
    except OSError:
        return False
    return klass.startswith("0x03") and vendor in ("0x10de", "0x8086")


def create(root, hostname, request):
    """Make the partition; returns what exists afterwards, ``created`` said."""
    form, parent, ptype, instance = _check(request, root)
    out = {"form": form, "parent": parent, "type": ptype, "instance": instance}
    try:
        if form == "mdev":
            out["created"] = mdev.create(root, parent, ptype, instance)["created"]
        elif form == "vgpu_vf":
            done = vgpu_vf.set_type(root, parent, ptype)
            out.update(type=str(done["type"]), created=done["created"], instance=None)
        else:
            match = _GI.match(str(instance or ""))
            if match:  # an existing GPU instance: handed out as it is
                state = mig.state(root, parent)
                gi = next((g for g in state["instances"] if g["gi"] == int(match.group(1))),
                          None)
                if gi is None or not gi["cis"]:
                    raise PartitionError(f"GPU instance {instance} of {parent} is gone or has "
                                         "no compute instance")
                out.update(created=False, compute_instance_id=gi["cis"][0]["id"])
            else:
                (gi_id,) = mig.create(root, parent, [ptype])
                out.update(instance=f"gi{gi_id}", created=True, compute_instance_id=0)
    except AcceleratorError as exc:
        raise PartitionError(str(exc)) from None
    return out


def remove(root, hostname, request):
    form, parent, ptype, instance = _check(request, root)
    try:
        if form == "mdev":
            return {"removed": mdev.remove(root, parent, instance)["removed"]}
        if form == "vgpu_vf":
            return {"removed": vgpu_vf.release(root, parent)["released"]}
        match = _GI.match(str(instance or ""))
        if not match:
            return {"removed": False}
        gone = mig.destroy(root, parent, int(match.group(1)))
        return {"removed": bool(gone)}
    except AcceleratorError as exc:
        raise PartitionError(str(exc)) from None
