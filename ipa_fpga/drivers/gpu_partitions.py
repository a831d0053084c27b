"""A partitioned GPU's contract ``partitions`` and its deployable tree (docs/gpu-partitioning.rst).

Drivers read the facts (``Facts``: mdev types and mdevs, vendor-VFIO VFs, MIG) and call
``describe``. The tree, for every form:

* the GPU (PF) is the root; it is not offered whole while it offers partitions;
* ``mdev``: one pool deployable per (parent, type) with created or available instances
  (kind ``mdev``, ``VGPU``, ``num`` = created + available, one ``MDEV`` handle per
  instance: created ones by their uuid, free ones by the uuid they will be created with).
  A VF parent (A16) is a ``vf`` deployable of its own, not offered, above its pools;
* ``vgpu_vf``: each VF is a ``vf`` deployable (``VGPU``, one PCI handle, partition type =
  its current vGPU type id), offered while it holds a type or can create one; traits name
  the type it holds or each type it can create;
* ``mig``: one pool per GPU-instance profile with instances or room (kind ``mig``,
  ``CUSTOM_MIG_<PROFILE>``, one ``MIG`` handle per instance: ``gi<ID>`` when it exists,
  ``slot<N>`` for room for one more).

Resource classes and traits come from ``accel_contract.naming`` (its one rule).
"""

from __future__ import annotations

import dataclasses
import re

from accel_contract import identity, naming
from ipa_fpga.discovery import mdev

_GB = re.compile(r"(\d+)[A-Z]+$")


@dataclasses.dataclass
class VgpuVf:
    address: str
    current: int  # 0: none
    creatable: list  # [(id, name)]


@dataclasses.dataclass
class Facts:
    mdev_types: list = dataclasses.field(default_factory=list)  # discovery.mdev.MdevType
    mdevs: list = dataclasses.field(default_factory=list)  # discovery.mdev.Mdev
    vgpu_vfs: list = dataclasses.field(default_factory=list)  # VgpuVf
    mig: dict | None = None  # {current, pending, gpu_index, source}
    mig_capable: bool = False
    mig_profiles: list | None = None  # None: unknown (no tool)
    mig_instances: list = dataclasses.field(default_factory=list)

    @property
    def forms(self):
        forms = []
        if self.mdev_types or self.mdevs:
            forms.append("mdev")
        if self.vgpu_vfs:
            forms.append("vgpu_vf")
        if self.mig_capable or self.mig_instances:
            forms.append("mig")
        return forms

    @property
    def offers_partitions(self):
        return bool(self.mdev_types or self.mdevs or self.vgpu_vfs or self.mig_instances
                    or (self.mig or {}).get("current") == "Enabled")


def vgpu_framebuffer_mb(name):
    """``NVIDIA L40S-6Q`` -> 6144: the ``<GB><series>`` grammar of vGPU type names."""
    match = _GB.search(naming.vgpu_type_name(name))
    return int(match.group(1)) * 1024 if match else None


def _slug(text):
    return str(text).replace("+", "-")


def describe(driver, ctx, facts, label):
    """Fill ``ctx.device`` (traits, partitions, deployables) for a GPU with these facts."""
    dev = ctx.device
    dev.traits = list(dict.fromkeys(dev.traits + naming.partition_capability_traits(
        facts.forms, (facts.mig or {}).get("current"))))
    pf = dev.primary.address
    hostname = ctx.shared.get("hostname") or "localhost"
    traits = list(dev.traits)
    add = dev.deployables.append
    if facts.offers_partitions:
        add(driver.deployable(pf, label, "gpu", traits=traits, num=0))
    else:
        rc = naming.resource_class(dev.type, "gpu")
        add(driver.deployable(pf, label, "gpu", resource_class=rc, traits=traits,
                              handles=[pf]))
    types, instances = [], []
    partitioned = {t.parent for t in facts.mdev_types} | {v.address for v in facts.vgpu_vfs}
    vf_rc = naming.resource_class(dev.type, "vf")
    for fn in dev.functions:  # plain VFs (no vGPU on them): offered as the PF/VF tree does
        if fn.physfn == pf and dev.roles[fn.address] == "vf" and fn.address not in partitioned:
            add(driver.deployable(fn.address, f"{dev.model} VF {fn.address}", "vf", parent=pf,
                                  root=pf, resource_class=vf_rc, traits=traits,
                                  handles=[fn.address]))
    _mdev(driver, dev, facts, hostname, traits, types, instances)
    _vgpu_vf(dev, facts, traits, types, instances)
    _mig(driver, dev, facts, traits, types, instances)
    dev.partitions = {"forms": facts.forms, "types": types, "instances": instances,
                      "mig": facts.mig}


def _mdev(driver, dev, facts, hostname, traits, types, instances):
    if not facts.mdev_types and not facts.mdevs:
        return
    pf = dev.primary.address
    vid, did = dev.primary.vendor_id, dev.primary.device_id
    names = {t.type_id: t.name for t in facts.mdev_types}
    by_parent = {}
    for mtype in facts.mdev_types:
        by_parent.setdefault(mtype.parent, []).append(mtype)
    for parent in sorted(by_parent):
        if parent != pf:  # an SR-IOV VF as the mdev parent (one vGPU per VF)
            dev.deployables.append(driver.deployable(
                parent, f"{dev.model} VF {parent}", "vf", parent=pf, root=pf, traits=traits,
                handles=[parent], num=0))
        created = {}
        for m in facts.mdevs:
            if m.parent == parent:
                created.setdefault(m.type_id, []).append(m.uuid)
        for mtype in by_parent[parent]:
            mine = sorted(set(created.get(mtype.type_id, [])) | set(mtype.devices))
            fb = mdev.framebuffer_mb(mtype.description)
            types.append({
                "form": "mdev", "parent": parent, "id": mtype.type_id, "name": mtype.name,
                "description": mtype.description, "device_api": mtype.device_api,
                "framebuffer_mb": fb, "max_instances": mdev.max_instances(mtype.description),
                "available_instances": mtype.available, "created": len(mine)})
            if not mine and not mtype.available:
                continue
            handles = [_mdev_handle(parent, mtype.type_id, u) for u in mine]
            index, taken = 0, set(mine)
            while len(handles) < len(mine) + mtype.available:
                slot = identity.mdev_slot_uuid(hostname, parent, mtype.type_id, index)
                index += 1
                if slot not in taken:
                    handles.append(_mdev_handle(parent, mtype.type_id, slot))
            dep = driver.deployable(
                f"{parent}/mdev/{mtype.type_id}",
                f"{dev.model} {naming.vgpu_type_name(mtype.name)} on {parent}", "mdev",
                parent=parent, root=pf, resource_class=naming.partition_resource_class("mdev"),
                traits=traits + naming.vgpu_type_traits("mdev", vid, did, mtype.name,
                                                        mtype.type_id),
                num=len(handles),
                attributes={"mdev_type": mtype.type_id, "vgpu_type": mtype.name,
                            "framebuffer_mb": fb})
            dep["attach_handles"] = handles
            dev.deployables.append(dep)
    for m in facts.mdevs:
        instances.append({"form": "mdev", "parent": m.parent, "id": m.uuid, "type": m.type_id,
                          "name": names.get(m.type_id), "iommu_group": m.iommu_group,
                          "driver": m.driver})


def _mdev_handle(parent, type_id, uuid):
    return {"type": "MDEV", "address": parent, "partition_form": "mdev",
            "partition_type": type_id, "instance": uuid}


def _vgpu_vf(dev, facts, traits, types, instances):
    if not facts.vgpu_vfs:
        return
    pf = dev.primary.address
    known = {}
    for vf in facts.vgpu_vfs:
        known.update(dict(vf.creatable))
    for vf in facts.vgpu_vfs:
        held = vf.current or None
        offered = sorted({held} if held else {i for i, _n in vf.creatable})
        vf_traits = list(traits)
        for type_id in offered:
            name = known.get(type_id)
            vf_traits += (naming.vgpu_type_traits("vgpu_vf", None, None, name) if name
                          else [naming.custom("VGPU_TYPE", str(type_id))])
        rc = naming.partition_resource_class("vgpu_vf")
        dep = {
            "id": vf.address, "name": f"{dev.model} VF {vf.address}", "kind": "vf",
            "parent": pf, "root": pf, "num_accelerators": 1 if offered else 0,
            "resource_class": rc, "traits": list(dict.fromkeys(vf_traits)),
            "attach_handles": [{"type": "PCI", "address": vf.address,
                                "partition_form": "vgpu_vf",
                                "partition_type": str(held) if held else None}],
            "attributes": {"vgpu_type_id": held, "vgpu_type": known.get(held)},
        }
        dev.deployables.append(dep)
        for type_id, name in vf.creatable:
            types.append({"form": "vgpu_vf", "parent": vf.address, "id": str(type_id),
                          "name": name, "framebuffer_mb": vgpu_framebuffer_mb(name),
                          "max_instances": None, "available_instances": 1,
                          "created": 1 if held == type_id else 0})
        if held:
            instances.append({"form": "vgpu_vf", "parent": vf.address, "id": vf.address,
                              "type": str(held), "name": known.get(held)})


def _mig(driver, dev, facts, traits, types, instances):
    pf = dev.primary.address
    by_id = {p["id"]: p for p in facts.mig_profiles or []}
    for gi in facts.mig_instances:
        prof = by_id.get(gi.get("profile_id"))
        instances.append({
            "form": "mig", "parent": pf, "id": f"gi{gi['gi']}",
            "type": prof["name"] if prof else None,
            "name": f"MIG {prof['name']}" if prof else None,
            "placement": f"{gi['start']}:{gi['size']}" if gi.get("start") is not None else None,
            "compute_instances": gi.get("cis", [])})
    for prof in facts.mig_profiles or []:
        mine = sorted(g["gi"] for g in facts.mig_instances if g.get("profile_id") == prof["id"])
        types.append({"form": "mig", "parent": pf, "id": str(prof["id"]), "name": prof["name"],
                      "framebuffer_mb": int(prof["memory_gib"] * 1024),
                      "max_instances": prof["total"], "available_instances": prof["free"],
                      "created": len(mine)})
        if not mine and not prof["free"]:
            continue
        handles = [{"type": "MIG", "address": pf, "partition_form": "mig",
                    "partition_type": prof["name"], "instance": f"gi{g}"} for g in mine]
        handles += [{"type": "MIG", "address": pf, "partition_form": "mig",
                     "partition_type": prof["name"], "instance": f"slot{k}"}
                    for k in range(prof["free"])]
        dep = driver.deployable(
            f"{pf}/mig/{_slug(prof['name'])}", f"{dev.model} MIG {prof['name']} {pf}", "mig",
            parent=pf, root=pf, resource_class=naming.partition_resource_class("mig",
                                                                               prof["name"]),
            traits=traits + naming.mig_traits(prof["name"]), num=len(handles),
            attributes={"mig_profile": prof["name"], "mig_profile_id": prof["id"],
                        "memory_mb": int(prof["memory_gib"] * 1024)})
        dep["attach_handles"] = handles
        dev.deployables.append(dep)
