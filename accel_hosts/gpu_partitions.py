"""GPU partition facts of the fixture cards, and the driver's capacity rules over them.

Everything here models what the NVIDIA and i915 drivers compute (hwfacts
``gpu-partitioning.md``); the sysfs builder renders it, the kernel simulator and the
``nvidia-smi`` model (``accel_hosts.nvidia_smi``) change it. Values marked [I] in the fact
sheet are illustrative, and so are they here:

* mdev ``available_instances``: an NVIDIA VF parent holds at most one vGPU; time-sliced
  vGPUs on one physical GPU share its framebuffer and all have the same size
  [I: "once one type exists the others read 0"]; GVT-g divides the parent's graphics
  memory and fences (low_gm, high_gm, fence) and recomputes after each create;
* vendor VFIO framework: a VF lists every type while the card is empty; once a vGPU
  exists only the existing type while room remains; a full card lists just the header;
* MIG: a profile takes ``size`` memory slices at one of its placements; ``Free`` is how
  many more fit; 1g GI ids are 7 + start [I], 2g 3 + start/2, 3g/4g 1 + start/4, 7g 0 [I].
"""

from __future__ import annotations

import uuid as uuidlib

from accel_hosts.model import GpuPartitions, MdevType, MigInstance, VgpuType

# -- tables -----------------------------------------------------------------------------


def _nvidia_mdev(type_id, profile, gb):
    series = profile[-1]
    heads, frl, res = {"B": (4, 45, "5120x2880"), "Q": (4, 60, "7680x4320"),
                       "A": (1, 60, "1280x1024"), "C": (1, 60, "4096x2160")}[series]
    fb = int(gb * 1024)
    max_instance = int(16 // gb)
    return MdevType(
        type_id=type_id, name=f"NVIDIA A16-{profile}",
        description=(f"num_heads={heads}, frl_config={frl}, framebuffer={fb}M, "
                     f"max_resolution={res}, max_instance={max_instance}"),
        framebuffer_mb=fb, max_instances=max_instance)


#: A16 (10de:25b6) legacy mdev types [D S23 ids; descriptions I from S23's P40 lines].
A16_MDEV_TYPES = [
    _nvidia_mdev(f"nvidia-{n}", p, gb) for n, p, gb in (
        (709, "1B", 1), (710, "2B", 2), (711, "1Q", 1), (712, "2Q", 2), (713, "4Q", 4),
        (714, "8Q", 8), (715, "16Q", 16), (716, "1A", 1), (717, "2A", 2), (718, "4A", 4),
        (719, "8A", 8), (720, "16A", 16), (721, "4C", 4), (722, "8C", 8), (723, "16C", 16))
]


def _gvtg(n, low, high, res, weight):
    return MdevType(
        type_id=f"i915-GVTg_V5_{n}", name=f"GVTg_V5_{n}",
        description=(f"low_gm_size: {low}MB\nhigh_gm_size: {high}MB\nfence: 4\n"
                     f"resolution: {res}\nweight: {weight}\n"),
        framebuffer_mb=high, max_instances=8,
        cost={"low_gm_mb": low, "high_gm_mb": high, "fence": 4})


#: Intel GVT-g Gen9 types [D S4 S6]. The parent's budget below reproduces the real
#: ``mdevctl types`` counts 1/2/5/7 [D S6] with the kernel's min() rule [I].
GVTG_TYPES = [_gvtg(1, 512, 2048, "1920x1200", 16), _gvtg(2, 256, 1024, "1920x1200", 8),
              _gvtg(4, 128, 512, "1920x1200", 4), _gvtg(8, 64, 384, "1024x768", 2)]
GVTG_BUDGET = {"low_gm_mb": 704, "high_gm_mb": 2816, "fence": 28}

#: L40S vendor-VFIO types: the documented lines of a real ``creatable_vgpu_types`` [D S13].
L40S_VGPU_TYPES = [VgpuType(1145, "NVIDIA L40S-1B", 1024), VgpuType(1148, "NVIDIA L40S-2Q", 2048),
                   VgpuType(1151, "NVIDIA L40S-6Q", 6144), VgpuType(1156, "NVIDIA L40S-48Q", 49152),
                   VgpuType(2164, "NVIDIA L40S-3B", 3072)]

#: MIG GPU-instance profiles: (id, name, total, memory GiB, SM, DEC, ENC, CE, JPEG, OFA,
#: slice size, placement starts). A100 80GB [D S17]; H100 NVL [D S18 names, ids, SMs].
MIG_PROFILES = {
    "a100_80gb": [
        (19, "1g.10gb", 7, 9.50, 14, 0, 0, 1, 0, 0, 1, [0, 1, 2, 3, 4, 5, 6]),
        (20, "1g.10gb+me", 1, 9.50, 14, 1, 0, 1, 1, 1, 1, [0, 1, 2, 3, 4, 5, 6]),
        (14, "2g.20gb", 3, 19.50, 28, 1, 0, 2, 0, 0, 2, [0, 2, 4]),
        (9, "3g.40gb", 2, 39.25, 42, 2, 0, 3, 0, 0, 4, [0, 4]),
        (5, "4g.40gb", 1, 39.25, 56, 2, 0, 4, 0, 0, 4, [0]),
        (0, "7g.80gb", 1, 79.00, 98, 5, 0, 7, 1, 1, 8, [0]),
    ],
}
#: GPU-instance ids by (slice size, placement start) [I, see the module docstring].
_GI_BASE = {1: (7, 1), 2: (3, 2), 4: (1, 4), 8: (0, 8)}


def mig_profiles(table):
    """``[{id, name, total, memory_gib, ..., size, placements}]`` of a profile table."""
    keys = ("id", "name", "total", "memory_gib", "sm", "dec", "enc", "ce", "jpeg", "ofa",
            "size", "placements")
    return [dict(zip(keys, row, strict=True)) for row in MIG_PROFILES.get(table or "", [])]


def mig_profile(table, key):
    """One profile by id (int or digits) or name (``1g.10gb``), or None."""
    for prof in mig_profiles(table):
        if str(prof["id"]) == str(key) or prof["name"] == str(key).removeprefix("MIG "):
            return prof
    return None


# -- expansion from a host description --------------------------------------------------


def expand(kind, spec, functions, numbering, mig_table=None):
    """The ``GpuPartitions`` of one card from its description's ``partitions:`` mapping.

    ``functions``: the card's PCI functions (PF first). Description keys: ``mdevs`` (a list
    of ``{type, parent}``: created mdevs), ``vgpu`` (a mapping VF index -> type id),
    ``mig`` (a list of GI profile names or ids, created with their default CI).
    """
    part = spec.get("partitions") or {}
    pf, vfs = functions[0], [f for f in functions if f.physfn]
    out = GpuPartitions()
    if kind == "a16":
        out.framebuffer_mb = 16384
        out.mdev_parents = "vfs"
        out.mdev_types = list(A16_MDEV_TYPES)
    elif kind == "gvtg":
        out.mdev_parents = "pf"
        out.mdev_types = list(GVTG_TYPES)
        out.mdev_driver = "intel_vgpu_mdev"
        out.budget = dict(GVTG_BUDGET)
    elif kind == "l40s":
        out.framebuffer_mb = 49152
        out.vgpu_types = list(L40S_VGPU_TYPES)
        out.vgpu_current = {vf.address: 0 for vf in vfs}
        for vf in vfs:
            out.vfio_dev[vf.address] = numbering.take("vfio_dev")
    by_type = {t.type_id: t for t in out.mdev_types}
    for i, item in enumerate(part.get("mdevs") or []):
        mtype = by_type[str(item["type"])]
        parent = pf.address if out.mdev_parents == "pf" else vfs[int(item.get("vf", i))].address
        mid = str(item.get("uuid") or uuidlib.uuid5(uuidlib.NAMESPACE_OID,
                                                      f"fixture-mdev/{parent}/{i}"))
        if available(out, parent, mtype) < 1:
            raise ValueError(f"no room for {mtype.type_id} on {parent}")
        out.mdevs.append(_mdev(mid, mtype.type_id, parent, numbering))
    for key in part.get("mig") or []:
        if mig_create(mig_table, out.mig_instances, key) is None:
            raise ValueError(f"no room for MIG profile {key} on {pf.address}")
    for index, type_id in (part.get("vgpu") or {}).items():
        vf = vfs[int(index)]
        if int(type_id) not in creatable(out, vf.address):
            raise ValueError(f"vGPU type {type_id} cannot be created on {vf.address}")
        out.vgpu_current[vf.address] = int(type_id)
    return out


def _mdev(mid, type_id, parent, numbering):
    from accel_hosts.model import Mdev

    return Mdev(uuid=mid, type_id=type_id, parent=parent,
                iommu_group=numbering.take("iommu_group"))


def new_mdev_group(host):
    """A free IOMMU group number for an mdev created at run time (the kernel's next)."""
    used = {fn.iommu_group for fn in host.functions().values() if fn.iommu_group is not None}
    for card in host.cards:
        if card.partitions:
            used |= {m.iommu_group for m in card.partitions.mdevs}
    return max(used, default=0) + 1


# -- mdev capacity ----------------------------------------------------------------------


def available(part: GpuPartitions, parent, mtype: MdevType):
    """``available_instances`` of ``mtype`` on ``parent`` now."""
    mine = [m for m in part.mdevs if m.parent == parent]
    if part.budget:  # GVT-g: what is left of the parent's graphics memory and fences
        left = dict(part.budget)
        by_type = {t.type_id: t for t in part.mdev_types}
        for m in mine:
            for key, value in by_type[m.type_id].cost.items():
                left[key] -= value
        room = min(left[k] // v for k, v in mtype.cost.items())
        return max(0, min(room, mtype.max_instances - len(mine)))
    by_type = {t.type_id: t for t in part.mdev_types}
    sizes = {by_type[m.type_id].framebuffer_mb for m in part.mdevs}
    if sizes and sizes != {mtype.framebuffer_mb}:
        return 0  # vGPUs on one physical GPU have one size
    used_fb = sum(by_type[m.type_id].framebuffer_mb for m in part.mdevs)
    same = sum(1 for m in part.mdevs if m.type_id == mtype.type_id)
    fits = (part.framebuffer_mb - used_fb) // mtype.framebuffer_mb
    room = max(0, min(fits, mtype.max_instances - same))
    if part.mdev_parents == "vfs":
        return 0 if mine else min(room, 1)
    return room


# -- vendor VFIO framework --------------------------------------------------------------


def creatable(part: GpuPartitions, vf_address):
    """Type ids ``nvidia/creatable_vgpu_types`` of a VF lists now."""
    if part.vgpu_current.get(vf_address):
        return []
    by_id = {t.id: t for t in part.vgpu_types}
    held = [by_id[t] for t in part.vgpu_current.values() if t]
    used = sum(t.framebuffer_mb for t in held)
    candidates = [t for t in part.vgpu_types if not held or t.id == held[0].id]
    return [t.id for t in candidates if used + t.framebuffer_mb <= part.framebuffer_mb]


def creatable_text(part, vf_address):
    by_id = {t.id: t for t in part.vgpu_types}
    lines = ["ID    : vGPU Name"]
    lines += [f"{i:<5d} : {by_id[i].name}" for i in creatable(part, vf_address)]
    return "\n".join(lines) + "\n"


# -- MIG --------------------------------------------------------------------------------


def mig_used_slices(instances, profiles):
    by_id = {p["id"]: p for p in profiles}
    used = set()
    for gi in instances:
        used.update(range(gi.start, gi.start + by_id[gi.profile]["size"]))
    return used


def mig_free(table, instances, profile):
    """How many more GIs of ``profile`` fit (``Free`` of ``-lgip``), and at which starts."""
    profiles = mig_profiles(table)
    used = mig_used_slices(instances, profiles)
    taken = sum(1 for gi in instances if gi.profile == profile["id"])
    starts = []
    for start in profile["placements"]:
        span = set(range(start, start + profile["size"]))
        if not span & used:
            starts.append(start)
            used |= span
    return min(len(starts), profile["total"] - taken), starts


def mig_create(table, instances, key):
    """A new GI of profile ``key`` at its first free placement (default CI 0), or None."""
    prof = mig_profile(table, key)
    if prof is None:
        return None
    free, starts = mig_free(table, instances, prof)
    if free < 1:
        return None
    start = starts[0]
    base, step = _GI_BASE[prof["size"]]
    gi = MigInstance(gi=base + start // step, profile=prof["id"], start=start,
                     size=prof["size"], cis=[0])
    instances.append(gi)
    return gi


def mig_minor(gpu_minor, gi, ci=None):
    """``/proc/driver/nvidia-caps/mig-minors`` numbering [I, fits four samples]."""
    base = 3 + 135 * gpu_minor + 9 * gi
    return base if ci is None else base + 1 + ci
