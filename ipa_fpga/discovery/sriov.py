"""The PF -> VF tree, from ``virtfn*`` (PF side) checked against ``physfn`` (VF side)."""

from __future__ import annotations

import os


def link(functions, reader):
    """Make ``pf.vfs`` and ``vf.physfn`` agree; a link to a missing function is a warning.

    A ``virtfnN`` naming a function absent from the bus is dangling; a VF whose
    ``physfn`` names a PF that did not list it is added to that PF (the VF side
    is authoritative when the PF's links could not be read).
    """
    for info in list(functions.values()):
        if not info.vfs:
            continue
        kept = []
        for i, vf in enumerate(info.vfs):
            if vf in functions:
                kept.append(vf)
                functions[vf].physfn = info.address
                if not functions[vf].link and info.link:
                    functions[vf].link = info.link  # a VF's link is its PF's
            else:
                reader.warnings.add(
                    "dangling_symlink",
                    f"virtfn{i} points to {vf}, which is not on the PCI bus",
                    reader.host_path(os.path.join(info.dir, f"virtfn{i}")),
                    info.address,
                )
        info.vfs = kept
    for info in functions.values():
        pf_addr = info.physfn
        if not pf_addr:
            continue
        pf = functions.get(pf_addr)
        if pf is None:
            reader.warnings.add(
                "dangling_symlink",
                f"physfn points to {pf_addr}, which is not on the PCI bus",
                reader.host_path(os.path.join(info.dir, "physfn")),
                info.address,
            )
            info.physfn = None
        elif info.address not in pf.vfs:
            pf.vfs.append(info.address)
            pf.vfs.sort()
