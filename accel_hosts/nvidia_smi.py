"""A model of NVIDIA's ``nvidia-smi`` for fixture roots (tests and the demo only).

The real tool cannot run without NVIDIA GPUs, so each fixture root with NVIDIA cards gets
``usr/bin/nvidia-smi``, a script that calls ``main`` here for the root it lies in. It
answers from, and writes to, the simulated driver state (``sysfs.driver_state_path``)
and keeps ``/proc/driver/nvidia/capabilities/gpuN/mig/`` in step, as the driver does.
Output formats are the real ones recorded in hwfacts ``gpu-partitioning.md`` section 3
(``-lgip``/``-lgi``/``-lci`` tables, ``-cgi ... -C`` lines, ``--query-gpu`` CSV, ``-L``).
Only what ironic-accel runs is modelled: ``--query-gpu``, ``-L``, ``-i N -mig 0|1`` and
``mig -lgip|-lgi|-lci|-cgi|-dci|-dgi``. It never touches anything outside its root.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import uuid

from accel_hosts import gpu_partitions

WIDE = "+" + "-" * 77 + "+"
GI_LINE = "+" + "-" * 52 + "+"
CI_LINE = "+" + "-" * 68 + "+"
QUERY_FIELDS = {
    "index": lambda g: str(g["index"]),
    "pci.bus_id": lambda g: smi_bus_id(g["bus_id"]),
    "name": lambda g: g["name"],
    "uuid": lambda g: g["uuid"],
    "vbios_version": lambda g: g["vbios"],
    "mig.mode.current": lambda g: g["mig"]["current"],
    "mig.mode.pending": lambda g: g["mig"]["pending"],
}


class SmiError(Exception):
    def __init__(self, message, code=2):
        super().__init__(message)
        self.code = code


def smi_bus_id(address):
    """``0000:07:00.0`` -> ``00000000:07:00.0`` (nvidia-smi's 8-digit domain, upper case)."""
    dom, rest = address.split(":", 1)
    return f"{int(dom, 16):08X}:{rest.upper()}"


@contextlib.contextmanager
def _state(root, write=False):
    from accel_hosts import sysfs

    path = sysfs.driver_state_path(root)
    if not os.path.exists(path):
        raise SmiError("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA "
                       "driver. Make sure that the latest NVIDIA driver is installed and "
                       "running.", 9)
    with open(path + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
        with open(path) as f:
            state = json.load(f)
        yield state
        if write:
            with open(path + ".tmp", "w") as f:
                json.dump(state, f, indent=1)
            os.replace(path + ".tmp", path)


def _gpus(state, index):
    gpus = state["gpus"]
    if index is None:
        return gpus
    for gpu in gpus:
        if str(gpu["index"]) == str(index) or smi_bus_id(gpu["bus_id"]) == str(index).upper():
            return [gpu]
    raise SmiError(f"No devices were found matching the identifier {index!r}", 6)


def _mig_gpus(gpus):
    out = [g for g in gpus if g["mig"]["current"] == "Enabled"]
    if not out:
        raise SmiError("No MIG-enabled devices found.", 6)
    return out


def _name(prof):
    return f"MIG {prof['name']}"


def _ci_name(gi_prof, ci_profile):
    """Default CI (the whole GI) is named like the GI; smaller ones ``<n>c.<gi>``."""
    if ci_profile == _default_ci_profile(gi_prof):
        return _name(gi_prof)
    return f"MIG {ci_profile + 1}c.{gi_prof['name']}"


def _default_ci_profile(gi_prof):
    return {1: 0, 2: 1, 3: 2, 4: 3, 7: 4}.get(gi_prof["ce"], gi_prof["ce"] - 1)


def _instances(gpu):
    return [gpu_partitions.MigInstance(**i) for i in gpu["instances"]]


def _save(gpu, instances):
    gpu["instances"] = [{"gi": i.gi, "profile": i.profile, "start": i.start, "size": i.size,
                         "cis": list(i.cis)} for i in instances]


# -- commands ----------------------------------------------------------------------------


def query(state, index, fields, fmt):
    names = [f.strip() for f in fields.split(",") if f.strip()]
    unknown = [n for n in names if n not in QUERY_FIELDS]
    if unknown:
        raise SmiError(f'Field "{unknown[0]}" is not a valid field to query.', 2)
    out = [] if "noheader" in fmt else [", ".join(names)]
    for gpu in _gpus(state, index):
        out.append(", ".join(QUERY_FIELDS[n](gpu) for n in names))
    return out


def list_gpus(state, index):
    out = []
    for gpu in _gpus(state, index):
        out.append(f"GPU {gpu['index']}: {gpu['name']} (UUID: {gpu['uuid']})")
        for n, gi in enumerate(gpu["instances"]):
            prof = gpu_partitions.mig_profile(gpu["profiles"], gi["profile"])
            mig = uuid.uuid5(uuid.NAMESPACE_OID, f"{gpu['uuid']}/{gi['gi']}/{gi['cis'][:1]}")
            out.append(f"  {_name(prof):<16}Device {n:>2}: (UUID: MIG-{mig})")
    return out


def set_mig_mode(root, state, index, value):
    if value not in ("0", "1"):
        raise SmiError(f"Invalid MIG mode {value!r}: 0 (disable) or 1 (enable)", 2)
    mode = "Enabled" if value == "1" else "Disabled"
    verb = "enable" if value == "1" else "disable"
    out = []
    for gpu in _gpus(state, index):
        bus = smi_bus_id(gpu["bus_id"])
        if gpu["mig"]["current"] == "[N/A]":
            raise SmiError(f"Unable to {verb} MIG Mode for GPU {bus}: Not Supported", 3)
        if value == "0" and gpu["instances"]:
            raise SmiError(f"Unable to disable MIG Mode for GPU {bus}: In use by another "
                           "client", 14)
        gpu["mig"] = {"current": mode, "pending": mode}
        out.append(f"{mode} MIG Mode for GPU {bus}")
        _caps(root, gpu)
    out.append("All done.")
    return out


def list_profiles(state, index):
    out = [WIDE, "| GPU instance profiles:" + " " * 54 + "|",
           "| GPU   Name             ID    Instances   Memory     P2P    SM    DEC   ENC  |",
           "|                              Free/Total   GiB              CE    JPEG  OFA  |",
           "|" + "=" * 77 + "|"]
    for gpu in _mig_gpus(_gpus(state, index)):
        instances = _instances(gpu)
        for prof in gpu_partitions.mig_profiles(gpu["profiles"]):
            free, _starts = gpu_partitions.mig_free(gpu["profiles"], instances, prof)
            counts = f"{free}/{prof['total']}"
            out.append(f"|{gpu['index']:>4}  {_name(prof):<18}{prof['id']:>2}"
                       f"{counts:>8}{prof['memory_gib']:>12.2f}"
                       f"{'No':>9}{prof['sm']:>7}{prof['dec']:>6}{prof['enc']:>6}   |")
            out.append(f"|{'':55}{prof['ce']:>7}{prof['jpeg']:>6}{prof['ofa']:>6}   |")
            out.append(WIDE)
    return out


def list_gis(state, index):
    out = [GI_LINE, "| GPU instances:" + " " * 37 + "|",
           "| GPU   Name          Profile  Instance   Placement  |",
           "|                       ID       ID       Start:Size |",
           "|" + "=" * 52 + "|"]
    rows = 0
    for gpu in _mig_gpus(_gpus(state, index)):
        for gi in sorted(gpu["instances"], key=lambda g: g["gi"]):
            prof = gpu_partitions.mig_profile(gpu["profiles"], gi["profile"])
            placement = f"{gi['start']}:{gi['size']}"
            out.append(f"|{gpu['index']:>4}  {_name(prof):<16}{prof['id']:>3}{gi['gi']:>9}"
                       f"{placement:>13}     |")
            rows += 1
    if not rows:
        raise SmiError("No GPU instances found: Not Found", 6)
    out.append(GI_LINE)
    return out


def list_cis(state, index, gi_filter):
    out = [CI_LINE, "| Compute instances:" + " " * 49 + "|",
           "| GPU     GPU       Name             Profile   Instance   Placement  |",
           "|       Instance                       ID        ID       Start:Size |",
           "|" + "=" * 68 + "|"]
    rows = 0
    for gpu in _mig_gpus(_gpus(state, index)):
        for gi in sorted(gpu["instances"], key=lambda g: g["gi"]):
            if gi_filter is not None and str(gi["gi"]) != str(gi_filter):
                continue
            prof = gpu_partitions.mig_profile(gpu["profiles"], gi["profile"])
            cpid = _default_ci_profile(prof)
            placement = f"0:{prof['ce']}"
            for ci in gi["cis"]:
                out.append(f"|{gpu['index']:>4}{gi['gi']:>7}       {_ci_name(prof, cpid):<16}"
                           f"{cpid:>6}{ci:>10}{placement:>13}     |")
                rows += 1
    if not rows:
        raise SmiError("No compute instances found: Not Found", 6)
    out.append(CI_LINE)
    return out


def create_gis(root, state, index, profiles, with_ci):
    out = []
    for gpu in _mig_gpus(_gpus(state, index)):
        instances = _instances(gpu)
        for key in [p.strip() for p in profiles.split(",") if p.strip()]:
            prof = gpu_partitions.mig_profile(gpu["profiles"], key)
            if prof is None:
                raise SmiError(f"Unable to create a GPU instance on GPU {gpu['index']:>2} using "
                               f"profile {key}: Invalid Argument", 2)
            gi = gpu_partitions.mig_create(gpu["profiles"], instances, key)
            if gi is None:
                _save(gpu, instances)
                _caps(root, gpu)
                raise SmiError(f"Unable to create a GPU instance on GPU {gpu['index']:>2} using "
                               f"profile {prof['id']}: Insufficient Resources\nFailed to create "
                               "GPU instances: Insufficient Resources", 19)
            if not with_ci:
                gi.cis = []
            out.append(f"Successfully created GPU instance ID {gi.gi:>2} on GPU {gpu['index']:>2} "
                       f"using profile {_name(prof)} (ID {prof['id']:>2})")
            if with_ci:
                cpid = _default_ci_profile(prof)
                out.append(f"Successfully created compute instance ID  0 on GPU "
                           f"{gpu['index']:>2} GPU instance ID {gi.gi:>2} using profile "
                           f"{_ci_name(prof, cpid)} (ID {cpid:>2})")
        _save(gpu, instances)
        _caps(root, gpu)
    return out


def destroy_cis(root, state, index, gi_filter, ci_filter):
    out = []
    for gpu in _mig_gpus(_gpus(state, index)):
        for gi in gpu["instances"]:
            if gi_filter is not None and str(gi["gi"]) != str(gi_filter):
                continue
            for ci in list(gi["cis"]):
                if ci_filter is not None and str(ci) != str(ci_filter):
                    continue
                gi["cis"].remove(ci)
                out.append(f"Successfully destroyed compute instance ID {ci:>2} from GPU "
                           f"{gpu['index']:>2} GPU instance ID {gi['gi']:>2}")
        _caps(root, gpu)
    if not out:
        raise SmiError("No compute instances found: Not Found", 6)
    return out


def destroy_gis(root, state, index, gi_filter):
    out = []
    for gpu in _mig_gpus(_gpus(state, index)):
        for gi in list(gpu["instances"]):
            if gi_filter is not None and str(gi["gi"]) != str(gi_filter):
                continue
            if gi["cis"]:
                raise SmiError(f"Unable to destroy GPU instance ID {gi['gi']:>2} from GPU "
                               f"{gpu['index']:>2}: In use by another client", 14)
            gpu["instances"].remove(gi)
            out.append(f"Successfully destroyed GPU instance ID {gi['gi']:>2} from GPU "
                       f"{gpu['index']:>2}")
        _caps(root, gpu)
    if not out:
        raise SmiError("No GPU instances found: Not Found", 6)
    return out


def _caps(root, gpu):
    """The driver's ``/proc`` capability files follow the instances."""
    from accel_hosts import sysfs

    sysfs.write_mig_caps(root, gpu["minor"],
                         gpu["instances"] if gpu["mig"]["current"] == "Enabled" else [])


# -- argument handling --------------------------------------------------------------------


def _take(args, *names):
    for name in names:
        if name in args:
            at = args.index(name)
            if at + 1 >= len(args):
                raise SmiError(f"Option {name} needs a value", 2)
            value = args[at + 1]
            del args[at:at + 2]
            return value
    return None


def _flag(args, *names):
    for name in names:
        if name in args:
            args.remove(name)
            return True
    return False


def run(argv, root):
    args = list(argv)
    index = _take(args, "-i", "--id")
    if args and args[0] == "mig":
        args.pop(0)
        index = _take(args, "-i", "--id") or index
        gi = _take(args, "-gi", "--gpu-instance-id")
        ci = _take(args, "-ci", "--compute-instance-id")
        with_ci = _flag(args, "-C", "--default-compute-instance")
        if _flag(args, "-lgip", "--list-gpu-instance-profiles"):
            with _state(root) as state:
                return list_profiles(state, index)
        if _flag(args, "-lgi", "--list-gpu-instances"):
            with _state(root) as state:
                return list_gis(state, index)
        if _flag(args, "-lci", "--list-compute-instances"):
            with _state(root) as state:
                return list_cis(state, index, gi)
        profiles = _take(args, "-cgi", "--create-gpu-instance")
        if profiles is not None:
            with _state(root, write=True) as state:
                return create_gis(root, state, index, profiles, with_ci)
        if _flag(args, "-dci", "--destroy-compute-instance"):
            with _state(root, write=True) as state:
                return destroy_cis(root, state, index, gi, ci)
        if _flag(args, "-dgi", "--destroy-gpu-instance"):
            with _state(root, write=True) as state:
                return destroy_gis(root, state, index, gi)
        raise SmiError("Invalid combination of input arguments. Please run 'nvidia-smi -h' "
                       "for help.", 2)
    mode = _take(args, "-mig", "--multi-instance-gpu")
    if mode is not None:
        with _state(root, write=True) as state:
            return set_mig_mode(root, state, index, mode)
    fields = next((a.split("=", 1)[1] for a in args if a.startswith("--query-gpu=")), None)
    if fields is not None:
        fmt = next((a.split("=", 1)[1] for a in args if a.startswith("--format=")), "")
        if "csv" not in fmt:
            raise SmiError("--query-gpu needs --format=csv", 2)
        with _state(root) as state:
            return query(state, index, fields, fmt)
    if _flag(args, "-L", "--list-gpus"):
        with _state(root) as state:
            return list_gpus(state, index)
    raise SmiError("Invalid combination of input arguments. Please run 'nvidia-smi -h' for "
                   "help.", 2)


def main(argv, root):
    try:
        lines = run(argv, root)
    except SmiError as exc:
        print(str(exc))
        return exc.code
    print("\n".join(lines))
    return 0


if __name__ == "__main__":  # pragma: no cover - the fixture's script is the entry point
    sys.exit(main(sys.argv[2:], sys.argv[1]))
