"""Mediated devices: ``create`` (write the uuid) and ``remove`` (write ``1``), verified."""

import os

from ipa_fpga.errors import NotSupported, UpdateFailed, VerificationFailed
from ipa_fpga.partitions import SETTLE, settle, until


def parent_dir(root, parent):
    return os.path.join(root, "sys/bus/pci/devices", parent)


def _type_of(mdir):
    try:
        return os.path.basename(os.readlink(os.path.join(mdir, "mdev_type")))
    except OSError:
        return None


def _write(path, value, where):
    try:
        with open(path, "w") as f:
            f.write(value)
    except OSError as exc:
        raise UpdateFailed(where, f"writing {path} failed: {exc.strerror or exc}") from None


def create(root, parent, type_id, mdev_uuid, timeout=SETTLE):
    """Create mdev ``mdev_uuid`` of ``type_id`` on ``parent``; ``{"created": bool}``.

    An mdev of that uuid and type that already exists is kept (``created`` False).
    """
    tdir = os.path.join(parent_dir(root, parent), "mdev_supported_types", type_id)
    if not os.path.isdir(tdir):
        have = sorted(os.listdir(os.path.dirname(tdir))) if os.path.isdir(
            os.path.dirname(tdir)) else []
        raise NotSupported(parent, f"no mdev type {type_id} here (mdev_supported_types: "
                                   f"{', '.join(have) or 'none: not an mdev parent'})")
    mdir = os.path.join(parent_dir(root, parent), mdev_uuid)
    if os.path.isdir(mdir):
        if _type_of(mdir) != type_id:
            raise UpdateFailed(parent, f"mdev {mdev_uuid} exists with type {_type_of(mdir)}")
        return {"created": False}
    try:
        with open(os.path.join(tdir, "available_instances")) as f:
            available = int(f.read().strip() or 0)
    except (OSError, ValueError):
        available = None
    if available == 0:
        raise UpdateFailed(parent, f"no room for another {type_id} (available_instances 0)")
    _write(os.path.join(tdir, "create"), mdev_uuid, parent)
    settle(root, timeout)
    if not until(lambda: os.path.isdir(mdir) and _type_of(mdir) == type_id, 0.5):
        raise VerificationFailed(parent, f"mdev {mdev_uuid} of {type_id} did not appear after "
                                         "writing create (the driver refused it)")
    return {"created": True}


def remove(root, parent, mdev_uuid, timeout=SETTLE):
    """Remove mdev ``mdev_uuid``; ``{"removed": bool}`` (False: it was not there)."""
    mdir = os.path.join(parent_dir(root, parent), mdev_uuid)
    if not os.path.isdir(mdir):
        return {"removed": False}
    _write(os.path.join(mdir, "remove"), "1", parent)
    settle(root, timeout)
    if not until(lambda: not os.path.isdir(mdir), timeout):
        raise VerificationFailed(parent, f"mdev {mdev_uuid} is still there after writing "
                                         "remove (in use by a VM?)")
    return {"removed": True}
