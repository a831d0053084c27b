"""The kernel's and the NVIDIA/i915 drivers' side of GPU partition writes, on a fixture tree.

Part of ``accel_hosts.kernel_sim`` (tests and the demo only; the kernel cannot run here).
Each ``tick`` looks at the files a writer uses and reacts as the kernel would, then
rewrites what the drivers recompute (``accel_hosts.gpu_partitions`` holds the rules):

* mdev: a uuid written to ``mdev_supported_types/<type>/create`` creates the mdev (its
  directory, ``/sys/bus/mdev/devices/<uuid>``, ``devices/<uuid>``, an IOMMU group) when
  the type has room; ``1`` written to ``<uuid>/remove`` destroys it;
  ``available_instances`` of every type of the card is then recomputed. A create the
  kernel would refuse (no room, malformed uuid, uuid in use) leaves nothing behind;
* vendor VFIO framework: a type id written to ``<VF>/nvidia/current_vgpu_type`` selects
  it when it is creatable on that VF; ``0`` releases it; a second non-zero write, or a
  type not creatable, is refused (the file reads its previous value again, as a failed
  write leaves it); every VF's ``creatable_vgpu_types`` is then rewritten;
* SR-IOV on NVIDIA GPUs: a count written to the PF's ``sriov_numvfs`` (what
  ``sriov-manage -e`` does) adds or removes the VFs, with their vGPU or mdev files.

A regular file cannot fail a write, so refusals show as "nothing happened": writers
verify by re-reading (they must on a real kernel too).
"""

from __future__ import annotations

import dataclasses
import os
import re

from accel_hosts import gpu_partitions, sysfs
from accel_hosts.cards import vf_addresses
from accel_hosts.model import Mdev

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


_read = sysfs.read_value


def _take(path):
    """What was written to a write-only attribute (0200), then empty it again."""
    try:
        if os.path.getsize(path) == 0:
            return None
        mode = os.stat(path).st_mode & 0o777
        os.chmod(path, mode | 0o600)
        try:
            with open(path, "r+", encoding="utf-8") as f:
                value = f.read().strip()
                f.seek(0)
                f.truncate()
        finally:
            os.chmod(path, mode)
        return value
    except OSError:
        return None


class GpuSim:
    def __init__(self, host, root, events):
        self.host = host
        self.root = root
        self.events = events
        self.cards = [c for c in host.cards if c.partitions is not None]

    def tick(self):
        for card in self.cards:
            try:
                if card.nvidia and card.primary.sriov_totalvfs:
                    self._sriov(card)
                self._mdev(card)
                self._vgpu(card)
            except OSError:
                pass

    # -- mdev --------------------------------------------------------------------------
    def _mdev(self, card):
        part = card.partitions
        for parent in sysfs.mdev_parents(card):
            base = sysfs.mdev_types_dir(self.host, parent, self.root)
            for mtype in part.mdev_types:
                value = _take(os.path.join(base, mtype.type_id, "create"))
                if value is None:
                    continue
                ok = (_UUID.match(value) and not any(m.uuid == value for m in part.mdevs)
                      and gpu_partitions.available(part, parent, mtype) > 0)
                self.events.append(("mdev_create", value, mtype.type_id,
                                    "ok" if ok else "refused"))
                if ok:  # counts first: the mdev shows up with them already right
                    mdev = Mdev(uuid=value, type_id=mtype.type_id, parent=parent,
                                iommu_group=gpu_partitions.new_mdev_group(self.host))
                    part.mdevs.append(mdev)
                    self._counts(card)
                    sysfs.write_mdev(self.host, self.root, card, mdev)
        for mdev in list(part.mdevs):
            value = _take(os.path.join(sysfs.mdev_dir(self.host, mdev, self.root), "remove"))
            if value is None:
                continue
            if value not in ("0", ""):
                part.mdevs.remove(mdev)
                self._counts(card)
                sysfs.remove_mdev(self.host, self.root, mdev)
                self.events.append(("mdev_remove", mdev.uuid, mdev.type_id, "ok"))

    def _counts(self, card):
        for parent in sysfs.mdev_parents(card):
            sysfs.write_mdev_types(self.host, self.root, card, parent)

    # -- vendor VFIO framework ----------------------------------------------------------
    def _vgpu(self, card):
        part = card.partitions
        if not part.vgpu_types:
            return
        changed = False
        for vf, held in list(part.vgpu_current.items()):
            path = os.path.join(sysfs.vgpu_dir(self.host, vf, self.root), "current_vgpu_type")
            text = _read(path)
            try:
                wanted = int(text)
            except (TypeError, ValueError):
                continue  # being written, or garbage: the driver's value stays
            if wanted == held:
                continue
            if wanted == 0:
                part.vgpu_current[vf] = 0
                outcome = "released"
            elif held == 0 and wanted in gpu_partitions.creatable(part, vf):
                part.vgpu_current[vf] = wanted
                outcome = "created"
            else:
                outcome = "refused"  # EPERM (already created) / EINVAL (not creatable)
            self.events.append(("vgpu", vf, wanted, outcome))
            changed = True
        if changed:  # the VF that was written last, so its value shows with the lists
            order = sorted(part.vgpu_current, key=lambda a: a == vf)
            for other in order:
                sysfs.write_vgpu_vf(self.host, self.root, card, other)

    # -- SR-IOV (sriov-manage) ----------------------------------------------------------
    def _sriov(self, card):
        pf = card.primary
        path = os.path.join(sysfs.device_dir(self.host, pf.address, self.root),
                            "sriov_numvfs")
        text = _read(path)
        if text is None or not text.isdigit() or int(text) == len(pf.vfs):
            return
        wanted = min(int(text), pf.sriov_totalvfs)
        part = card.partitions
        busy = [a for a in pf.vfs if part.vgpu_current.get(a)] + [
            m.parent for m in part.mdevs if m.parent != pf.address]
        if pf.vfs and wanted and wanted != len(pf.vfs) or busy and wanted < len(pf.vfs):
            # The kernel refuses to change a non-zero count, or VFs in use.
            self.events.append(("sriov_numvfs", pf.address, wanted, "refused"))
            sysfs._attrs(os.path.dirname(path), {"sriov_numvfs": len(pf.vfs)}, 0o644)
            return
        old = [f for f in card.functions if f.physfn == pf.address]
        for fn in old:
            sysfs.remove_function(self.host, self.root, fn)
            card.functions.remove(fn)
            part.vgpu_current.pop(fn.address, None)
            part.vfio_dev.pop(fn.address, None)
        pf.vfs = []
        template = old[0] if old else None
        group = max((f.iommu_group or 0 for f in self.host.functions().values()), default=0)
        for i, address in enumerate(vf_addresses(pf.address, wanted, pf.sriov_offset,
                                                  pf.sriov_stride)):
            base = template or pf
            fn = dataclasses.replace(base, address=address, physfn=pf.address, vfs=[],
                                     sriov_totalvfs=None, role="vf", iommu_group=group + 1 + i)
            pf.vfs.append(address)
            card.functions.append(fn)
            if part.vgpu_types:
                part.vgpu_current[address] = 0
                part.vfio_dev[address] = 100 + group + i
        sysfs.write_functions(self.host, self.root, [pf.address, *pf.vfs])
        sysfs.write_partitions(self.host, self.root, card)
        self.events.append(("sriov_numvfs", pf.address, wanted, "ok"))
