"""``nvidia-smi``: finding it, running it safely, and parsing what it prints.

The tool of the root being read: on ``/`` the ``nvidia-smi`` on ``PATH``; on any other
root only ``<root>/usr/bin/nvidia-smi`` (a fixture's model of the tool), and only when
it is a regular executable file owned by this user or root and not writable by others.
It always runs with an argument list, no shell, a bounded timeout and a small
environment. Parsers follow the real formats of hwfacts ``gpu-partitioning.md`` section 3.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import stat
import subprocess

TIMEOUT = 15
#: nvidia-smi prints these (rc 6) when a listing is empty; not an error for us.
_EMPTY = ("No MIG-enabled devices found", "No GPU instances found",
          "No compute instances found")
_LGIP = re.compile(r"^\|\s*(\d+)\s+MIG\s+(\S+)\s+(\d+)\s+(\d+)/(\d+)\s+([\d.]+)\s+(\S+)\s+"
                   r"(\d+)\s+(\d+)\s+(\d+)\s*\|$")
_LGIP2 = re.compile(r"^\|\s+(\d+)\s+(\d+)\s+(\d+)\s*\|$")
_LGI = re.compile(r"^\|\s*(\d+)\s+MIG\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+):(\d+)\s*\|$")
_LCI = re.compile(r"^\|\s*(\d+)\s+(\d+)\s+MIG\s+(\S+)\s+(\d+)\s+(\d+)(?:\s+(\d+):(\d+))?\s*\|$")
_CREATED_GI = re.compile(r"Successfully created GPU instance ID\s+(\d+) on GPU\s+(\d+) using "
                         r"profile MIG (\S+) \(ID\s+(\d+)\)")


class SmiUnavailable(Exception):
    """nvidia-smi is not installed for this root (its absence is reported, not guessed)."""


class SmiFailed(Exception):
    """nvidia-smi ran and failed: the message is its own words."""


def smi_bus_id(bus_id):
    """``00000000:18:00.0`` (nvidia-smi) -> ``0000:18:00.0`` (sysfs)."""
    bus_id = bus_id.strip().lower()
    dom, _, rest = bus_id.partition(":")
    return f"{dom[-4:]}:{rest}" if len(dom) > 4 else bus_id


def _trusted(path):
    try:
        st = os.stat(path)
    except OSError:
        return False
    return (stat.S_ISREG(st.st_mode) and st.st_mode & 0o111 and not st.st_mode & 0o002
            and st.st_uid in (0, os.getuid()))


def tool_path(root, name="nvidia-smi"):
    """The tool for ``root``, or None when it is not installed there."""
    if os.path.abspath(root) == "/":
        return shutil.which(name)
    path = os.path.join(root, "usr/bin", name)
    return path if _trusted(path) else None


def run(root, args, timeout=TIMEOUT, check=True):
    """``(rc, stdout)`` of ``nvidia-smi <args>``; SmiUnavailable / SmiFailed otherwise."""
    binary = tool_path(root)
    if binary is None:
        where = "on PATH" if os.path.abspath(root) == "/" else f"in {root}/usr/bin"
        raise SmiUnavailable(f"nvidia-smi is not installed ({where})")
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
    try:
        proc = subprocess.run([binary, *args], capture_output=True, text=True,
                              timeout=timeout, check=False, env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise SmiFailed(f"nvidia-smi {' '.join(args)} did not answer within {timeout}s") from None
    except OSError as exc:
        raise SmiFailed(f"nvidia-smi could not run: {exc.strerror or exc}") from None
    out = proc.stdout
    if proc.returncode != 0 and check:
        text = (out.strip() or proc.stderr.strip() or f"exit status {proc.returncode}")
        if any(text.startswith(e) for e in _EMPTY):
            return proc.returncode, ""
        raise SmiFailed(f"nvidia-smi {' '.join(args)}: {text.splitlines()[-1][:300]}")
    return proc.returncode, out


# -- parsers -----------------------------------------------------------------------------


@dataclasses.dataclass
class GpuRow:
    index: int
    address: str
    mig_current: str | None  # Enabled | Disabled | None (no MIG: [N/A])
    mig_pending: str | None


def parse_query(text):
    """``index, pci.bus_id, mig.mode.current, mig.mode.pending`` CSV (no header) rows."""
    rows = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 4 or not parts[0].isdigit():
            continue
        cur, pend = (None if v.startswith("[") else v for v in parts[2:4])
        rows.append(GpuRow(int(parts[0]), smi_bus_id(parts[1]), cur, pend))
    return rows


def parse_profiles(text):
    """``mig -lgip`` -> ``{gpu index: [profile dict]}`` (two table lines per profile)."""
    out = {}
    last = None
    for line in text.splitlines():
        line = line.rstrip()
        match = _LGIP.match(line)
        if match:
            gpu, name, pid, free, total, mem, p2p, sm, dec, enc = match.groups()
            last = {"id": int(pid), "name": name, "free": int(free), "total": int(total),
                    "memory_gib": float(mem), "p2p": p2p, "sm": int(sm), "dec": int(dec),
                    "enc": int(enc)}
            out.setdefault(int(gpu), []).append(last)
            continue
        match = _LGIP2.match(line)
        if match and last is not None:
            last["ce"], last["jpeg"], last["ofa"] = map(int, match.groups())
            last = None
    return out


def parse_gpu_instances(text):
    """``mig -lgi`` -> ``{gpu index: [{gi, name, profile_id, start, size}]}``."""
    out = {}
    for line in text.splitlines():
        match = _LGI.match(line.rstrip())
        if match:
            gpu, name, pid, gi, start, size = match.groups()
            out.setdefault(int(gpu), []).append({
                "gi": int(gi), "name": name, "profile_id": int(pid), "start": int(start),
                "size": int(size)})
    return out


def parse_compute_instances(text):
    """``mig -lci`` (with or without 515's placement column) -> ``{(gpu, gi): [ci]}``."""
    out = {}
    for line in text.splitlines():
        match = _LCI.match(line.rstrip())
        if match:
            gpu, gi, name, pid, ci = match.groups()[:5]
            out.setdefault((int(gpu), int(gi)), []).append(
                {"id": int(ci), "profile_id": int(pid), "name": name})
    return out


def parse_created(text):
    """GPU-instance ids ``-cgi ... [-C]`` reports created, in order."""
    return [int(m.group(1)) for m in _CREATED_GI.finditer(text)]


# -- one discovery's view ----------------------------------------------------------------


class View:
    """What nvidia-smi says about this root's GPUs, asked at most once per command.

    ``error`` is None, or why nothing is known (not installed, failed): callers report it.
    """

    def __init__(self, root, timeout=TIMEOUT):
        self.root = root
        self.timeout = timeout
        self.error = None
        self.missing = False
        self.gpus = {}
        self._mig = {}
        try:
            _rc, out = run(root, ["--query-gpu=index,pci.bus_id,mig.mode.current,"
                                  "mig.mode.pending", "--format=csv,noheader"], timeout)
            self.gpus = {row.address: row for row in parse_query(out)}
        except SmiUnavailable as exc:
            self.error, self.missing = str(exc), True
        except SmiFailed as exc:
            self.error = str(exc)

    def _listing(self, key, args, parse):
        """One listing command, run once; empty when MIG is off everywhere or on error."""
        if key not in self._mig:
            if self.error or not any(r.mig_current == "Enabled" for r in self.gpus.values()):
                self._mig[key] = {}
            else:
                try:
                    self._mig[key] = parse(run(self.root, args, self.timeout)[1])
                except (SmiUnavailable, SmiFailed) as exc:
                    self.error = str(exc)
                    self._mig[key] = {}
        return self._mig[key]

    def profiles(self):
        return self._listing("lgip", ["mig", "-lgip"], parse_profiles)

    def gpu_instances(self):
        return self._listing("lgi", ["mig", "-lgi"], parse_gpu_instances)

    def compute_instances(self):
        return self._listing("lci", ["mig", "-lci"], parse_compute_instances)

    def mig(self):
        """``(profiles, gpu instances, compute instances)`` keyed by GPU index (once)."""
        return self.profiles(), self.gpu_instances(), self.compute_instances()
