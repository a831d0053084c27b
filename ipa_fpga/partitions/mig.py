"""MIG through ``nvidia-smi``: mode, GPU instances with their default compute instance.

Each change is re-read with the listing commands (``--query-gpu``, ``mig -lgi``,
``mig -lci``) before it is reported done. The GPU is named by PCI address; its
nvidia-smi index comes from the tool itself.
"""

import os

from ipa_fpga.drivers import nvidia_smi
from ipa_fpga.errors import InvalidArgs, NotSupported, UpdateFailed, VerificationFailed


def _view(root, address):
    if not os.path.exists(os.path.join(root, "proc/driver/nvidia/gpus", address)):
        raise NotSupported(address, "the NVIDIA driver is not loaded (no /proc/driver/nvidia/"
                                    f"gpus/{address}): MIG needs nvidia.ko and nvidia-smi")
    view = nvidia_smi.View(root)
    if view.missing:
        raise NotSupported(address, f"{view.error}: MIG is configured with nvidia-smi")
    if view.error:
        raise UpdateFailed(address, view.error)
    row = view.gpus.get(address)
    if row is None:
        raise NotSupported(address, "nvidia-smi does not list this GPU")
    if row.mig_current is None:
        raise NotSupported(address, "this GPU has no MIG (nvidia-smi: [N/A])")
    return view, row


def _run(root, address, args):
    try:
        return nvidia_smi.run(root, args)[1]
    except nvidia_smi.SmiUnavailable as exc:
        raise NotSupported(address, str(exc)) from None
    except nvidia_smi.SmiFailed as exc:
        raise UpdateFailed(address, str(exc)) from None


class _State(dict):
    """``current``, ``pending``, ``index``; ``profiles`` and ``instances`` (with their
    compute instances) are asked from nvidia-smi when first read."""

    def __init__(self, root, address):
        self.view, row = _view(root, address)
        self.row = row
        super().__init__(current=row.mig_current, pending=row.mig_pending, index=row.index,
                         address=address)

    def __missing__(self, key):
        index = self.row.index
        if key == "profiles":
            value = self.view.profiles().get(index, [])
        elif key == "instances":
            gis = self.view.gpu_instances().get(index, [])
            cis = self.view.compute_instances() if gis else {}
            value = [dict(g, cis=cis.get((index, g["gi"]), [])) for g in gis]
        else:
            raise KeyError(key)
        if self.view.error:
            raise UpdateFailed(self["address"], self.view.error)
        self[key] = value
        return value


def state(root, address):
    """``{"current", "pending", "index", "profiles": [..], "instances": [..]}``."""
    return _State(root, address)


def set_mode(root, address, enabled):
    """Enable or disable MIG; verified (a mode still pending a GPU reset is a failure)."""
    want = "Enabled" if enabled else "Disabled"
    _view_, row = _view(root, address)
    if row.mig_current == want and row.mig_pending == want:
        return {"changed": False}
    _run(root, address, ["-i", str(row.index), "-mig", "1" if enabled else "0"])
    _view_, after = _view(root, address)
    if after.mig_current != want:
        raise VerificationFailed(address, f"MIG mode is {after.mig_current} (pending "
                                          f"{after.mig_pending}) after asking {want}: the GPU "
                                          "needs a reset with no process on it")
    return {"changed": True}


def profile(st, key):
    """A profile of ``state()`` by name (``1g.10gb``, ``MIG 1g.10gb``) or id."""
    text = str(key).strip().removeprefix("MIG ").strip()
    for prof in st["profiles"]:
        if prof["name"] == text or str(prof["id"]) == text:
            return prof
    raise InvalidArgs(st.get("address", "mig"), f"no GPU-instance profile {key!r} on this GPU "
                      f"(has: {', '.join(p['name'] for p in st['profiles']) or 'none'})")


def create(root, address, profiles):
    """Create one GPU instance (with its default compute instance) per profile; their ids."""
    st = state(root, address)
    if st["current"] != "Enabled":
        raise UpdateFailed(address, "MIG is not enabled on this GPU")
    ids = [str(profile(st, p)["id"]) for p in profiles]
    before = {g["gi"] for g in st["instances"]}
    out = _run(root, address, ["mig", "-i", str(st["index"]), "-cgi", ",".join(ids), "-C"])
    created = nvidia_smi.parse_created(out)
    after = state(root, address)
    made = {g["gi"]: g for g in after["instances"] if g["gi"] not in before}
    if sorted(made) != sorted(created) or len(made) != len(ids):
        raise VerificationFailed(address, f"asked {len(ids)} GPU instance(s), nvidia-smi lists "
                                          f"{sorted(made)} new ones")
    for gi in made.values():
        if not gi["cis"]:
            raise VerificationFailed(address, f"GPU instance {gi['gi']} has no compute instance")
    return created


def destroy(root, address, gi=None):
    """Destroy one GPU instance (``gi``) or all, compute instances first; verified."""
    st = state(root, address)
    doomed = [g for g in st["instances"] if gi is None or g["gi"] == int(gi)]
    if doomed:  # without -gi, nvidia-smi destroys every instance of the GPU at once
        where = [] if gi is None else ["-gi", str(int(gi))]
        if any(g["cis"] for g in doomed):
            _run(root, address, ["mig", "-i", str(st["index"]), "-dci", *where])
        _run(root, address, ["mig", "-i", str(st["index"]), "-dgi", *where])
    left = {g["gi"] for g in state(root, address)["instances"]}
    still = [g["gi"] for g in doomed if g["gi"] in left]
    if still:
        raise VerificationFailed(address, f"GPU instance(s) {still} still listed after destroy")
    return [g["gi"] for g in doomed]
