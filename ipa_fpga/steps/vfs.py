"""``configure_accelerator_vfs``: set the number of SR-IOV VFs of an accelerator's PF."""

import logging
import os

from ipa_fpga import partitions, selectors
from ipa_fpga.discovery import discover
from ipa_fpga.errors import InvalidArgs, NotSupported, UpdateFailed, VerificationFailed

LOG = logging.getLogger(__name__)


def configure(root, num_vfs, **selector):
    try:
        num_vfs = int(num_vfs)
    except (TypeError, ValueError):
        raise InvalidArgs("configure_accelerator_vfs", "num_vfs must be an integer") from None
    if num_vfs < 0:
        raise InvalidArgs("configure_accelerator_vfs", "num_vfs must be >= 0")
    # Every device is checked before the first write: a PF with SR-IOV, a driver bound to
    # it (the kernel enables VFs through the PF's driver) and its sriov_numvfs file.
    plans = []
    for device in selectors.select(discover(root=root), selector):
        # The accelerator's own PF first; companion functions (e.g. a card's NIC) after.
        pfs = sorted((f for f in device["functions"] if f.get("sriov") and f["role"] != "vf"),
                     key=lambda f: f["role"] not in ("accelerator", "pf"))
        if not pfs:
            raise NotSupported(device["id"], "has no SR-IOV capable function")
        pf = pfs[0]
        total = pf["sriov"]["totalvfs"]
        if num_vfs > total:
            raise InvalidArgs(device["id"], f"num_vfs {num_vfs} exceeds sriov_totalvfs {total}")
        if not pf.get("kernel_driver"):
            raise NotSupported(pf["address"], "no driver is bound to the PF: the kernel "
                                              "enables SR-IOV VFs through the PF's driver")
        path = os.path.join(root, "sys/bus/pci/devices", pf["address"], "sriov_numvfs")
        if not os.path.isfile(path):
            raise NotSupported(pf["address"], f"no {path}")
        plans.append((device, pf))
    results = []
    for device, pf in plans:
        got = set_numvfs(root, pf["address"], pf["sriov"]["numvfs"], num_vfs)
        LOG.info("%s: %d VFs configured", pf["address"], num_vfs)
        results.append({"device": device["id"], "function": pf["address"], "num_vfs": got})
    return results


def set_numvfs(root, address, current, num_vfs, wait_vfs=False):
    """Write ``sriov_numvfs`` (through 0 when changing a non-zero count, as the kernel
    requires) and read it back; ``wait_vfs``: also until the VFs' ``virtfnN`` links show."""
    fdir = os.path.join(root, "sys/bus/pci/devices", address)
    path = os.path.join(fdir, "sriov_numvfs")

    def _write(value):
        with open(path, "w") as f:
            f.write(str(value))
        if wait_vfs:
            partitions.settle(root)

    try:
        if current and num_vfs != current:
            _write(0)
        if num_vfs != current or not wait_vfs:
            _write(num_vfs)
        with open(path) as f:
            got = int(f.read().strip() or 0)
    except OSError as exc:
        raise UpdateFailed(address, f"writing {path} failed: {exc.strerror}") from None
    if got != num_vfs:
        raise VerificationFailed(address, f"sriov_numvfs reads {got}, wanted {num_vfs}")
    if not wait_vfs:
        return got
    links = sum(1 for n in os.listdir(fdir) if n.startswith("virtfn"))
    if links != num_vfs:
        raise VerificationFailed(address, f"{links} VFs appeared after writing sriov_numvfs "
                                          f"{num_vfs} (the driver refused; VFs in use?)")
    return got
