"""Mediated devices of one parent function, as the kernel's mdev core shows them.

``<parent dir>/mdev_supported_types/<type>/`` holds ``name`` (absent on old GVT-g),
``description`` (one line for NVIDIA, several for GVT-g), ``available_instances``,
``device_api`` and ``devices/<uuid>`` links to the created mdevs; a created mdev is the
directory ``<parent dir>/<uuid>`` with ``mdev_type``, ``iommu_group`` and ``driver``
links (hwfacts gpu-partitioning.md section 1.1). Reads only; every problem is a warning.
"""

from __future__ import annotations

import dataclasses
import os
import re

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_FRAMEBUFFER = re.compile(r"\bframebuffer=(\d+)M\b")
_MAX_INSTANCE = re.compile(r"\bmax_instance=(\d+)\b")


@dataclasses.dataclass
class MdevType:
    parent: str
    type_id: str
    name: str  # the ``name`` file, else the type id without its driver prefix
    description: str | None
    device_api: str | None
    available: int
    devices: list  # uuids of the created mdevs of this type


@dataclasses.dataclass
class Mdev:
    parent: str
    uuid: str
    type_id: str | None
    iommu_group: int | None
    driver: str | None


def framebuffer_mb(description):
    """``framebuffer=4096M`` of an NVIDIA type's description, or None."""
    match = _FRAMEBUFFER.search(description or "")
    return int(match.group(1)) if match else None


def max_instances(description):
    match = _MAX_INSTANCE.search(description or "")
    return int(match.group(1)) if match else None


def read_parent(ctx, address):
    """``(types, mdevs)`` of the function at ``address`` (both empty: not an mdev parent)."""
    fdir = ctx.function_dir(address)
    tdir = os.path.join(fdir, "mdev_supported_types")
    if not os.path.isdir(tdir):
        return [], []
    types = []
    for type_id in ctx.reader.listdir(tdir, ctx.device.id):
        d = os.path.join(tdir, type_id)
        available = ctx.read(os.path.join(d, "available_instances"))
        try:
            count = int(available) if available is not None else None
        except ValueError:
            ctx.warn("bad_value", f"available_instances is {available[:40]!r}",
                     os.path.join(d, "available_instances"))
            count = None
        if count is None:
            continue
        name = ctx.read(os.path.join(d, "name"), required=False)
        devices = [u for u in ctx.reader.listdir(os.path.join(d, "devices"), ctx.device.id)
                   if _UUID.match(u)]
        types.append(MdevType(
            parent=address, type_id=type_id,
            name=name or type_id.split("-", 1)[-1],
            description=ctx.read(os.path.join(d, "description"), required=False),
            device_api=ctx.read(os.path.join(d, "device_api"), required=False),
            available=count, devices=devices))
    mdevs = []
    for entry in ctx.reader.listdir(fdir, ctx.device.id):
        if not _UUID.match(entry):
            continue
        mdir = os.path.join(fdir, entry)
        type_link = _link(mdir, "mdev_type")
        group = _link(mdir, "iommu_group")
        driver = _link(mdir, "driver")
        mdevs.append(Mdev(parent=address, uuid=entry,
                          type_id=os.path.basename(type_link) if type_link else None,
                          iommu_group=int(os.path.basename(group))
                          if group and os.path.basename(group).isdigit() else None,
                          driver=os.path.basename(driver) if driver else None))
    return types, mdevs


def _link(directory, name):
    try:
        return os.readlink(os.path.join(directory, name))
    except OSError:
        return None
