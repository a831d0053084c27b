"""Discovery benchmark: the large generated host (>= 1,000 PCI functions) and half of it.

Prints, side by side with the reference (``lspci -vmm -nn -D`` reading the same
tree through its linux-sysfs backend):

* in-process ``discover()`` time and functions per second, for the full and the half host;
* the scaling ratio (time(full) / time(half) against the function ratio; target <= 2.2x
  for 2x functions);
* the in-process time for ~1,000 functions (target < 50 ms);
* the whole ``accel-discover`` process versus the whole ``lspci`` process: marginal cost
  per function = (t(full) - t(half)) / (n(full) - n(half)), which removes start-up costs
  (target: ours <= lspci's).

Targets are judged on CPU time (user + system, best of N runs; children's rusage for the
processes): on a shared machine wall time mostly measures the run queue. Wall times (best
and median) are printed beside every figure.

Trees are built under ``--workdir`` (default: /dev/shm when present, since the real
sysfs is in memory too; else the system temporary directory).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import accel_hosts
from accel_hosts import sysfs
from ipa_fpga.discovery import discover


class Timing:
    """Wall and CPU times of repeated runs of one thing."""

    def __init__(self):
        self.wall, self.cpu = [], []

    @property
    def wall_median(self):
        return statistics.median(self.wall)

    @property
    def wall_best(self):
        return min(self.wall)

    @property
    def cpu_best(self):
        return min(self.cpu)


def _cpu_self():
    return time.process_time()


def _cpu_children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _times(fn, repeat, cpu_clock=_cpu_self):
    timing = Timing()
    for _ in range(repeat):
        cpu0, start = cpu_clock(), time.perf_counter()
        fn()
        timing.wall.append(time.perf_counter() - start)
        timing.cpu.append(cpu_clock() - cpu0)
    return timing


def _process_time(argv, repeat):
    def once():
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    once()  # page cache, pyc files
    return _times(once, repeat, _cpu_children)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--functions", type=int, default=1000, help="size of the full host")
    p.add_argument("--repeat", type=int, default=15, help="timed runs per measurement")
    p.add_argument("--workdir", default=None, help="where to build the fixture trees")
    args = p.parse_args(argv)
    base = args.workdir or ("/dev/shm" if os.path.isdir("/dev/shm") else None)
    work = tempfile.mkdtemp(prefix="accel-bench-", dir=base)
    try:
        return _run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(args, work):
    hosts = {
        "full": accel_hosts.large_host(args.functions),
        "half": accel_hosts.large_host(args.functions // 2),
    }
    roots, counts = {}, {}
    for key, host in hosts.items():
        roots[key] = os.path.join(work, key)
        sysfs.build(host, roots[key])
        counts[key] = len(os.listdir(os.path.join(roots[key], "sys/bus/pci/devices")))
    print(f"fixture trees under {work}: full {counts['full']} functions, "
          f"half {counts['half']} functions")

    inproc = {}
    for key in ("full", "half"):
        discover(roots[key])  # warm: imports, plugins, pci.ids
        inproc[key] = _times(lambda k=key: discover(roots[k]), args.repeat)
    doc = discover(roots["full"])
    vfs = sum(1 for d in doc["devices"] for f in d["functions"] if f["role"] == "vf")

    bindir = os.path.dirname(sys.executable)
    ours = os.path.join(bindir, "accel-discover")
    lspci = shutil.which("lspci")
    proc = {}
    for key in ("full", "half"):
        proc[("ours", key)] = _process_time(
            [ours, "--root", roots[key], "--format", "json"], max(5, args.repeat // 2))
        if lspci:
            proc[("lspci", key)] = _process_time(
                [lspci, "-vmm", "-nn", "-D", "-A", "linux-sysfs", "-O",
                 f"sysfs.path={roots[key]}/sys/bus/pci"], max(5, args.repeat // 2))

    nf, nh = counts["full"], counts["half"]
    # Targets are judged on CPU time (user + system, best of N): on a shared machine wall
    # time mostly measures the run queue. Wall times (best, median) are printed beside.
    full, half = inproc["full"], inproc["half"]
    tf, th = full.cpu_best, half.cpu_best
    per_1000 = tf * 1000 / nf
    fn_ratio = nf / nh
    time_ratio = tf / th
    budget = 2.2 * fn_ratio / 2  # 2.2x time for 2x functions, scaled to the actual ratio
    w = 52

    def row(label, ours, ref="-", ratio=""):
        print(f"{label:<{w}}{ours:>22}{ref:>22}{ratio:>9}")

    def fmt(t):
        return f"{t.cpu_best * 1e3:.1f} ms [{t.wall_best * 1e3:.0f}/{t.wall_median * 1e3:.0f}]"

    print()
    row("measure: CPU best-of-N [wall best/median] ms", "ours", "reference", "ratio")
    print("-" * (w + 53))
    row(f"in-process discover(), full host ({nf} fns)", fmt(full))
    row(f"in-process discover(), half host ({nh} fns)", fmt(half))
    row("functions per second (full host, CPU)", f"{nf / tf:,.0f}")
    row("in-process CPU time per 1,000 functions", f"{per_1000 * 1e3:.1f} ms",
        "target < 50 ms", f"{per_1000 / 0.050:.2f}x")
    row("scaling: time(full) / time(half)", f"{time_ratio:.2f}x", f"<= {budget:.2f}x",
        f"{time_ratio / budget:.2f}x")
    row("  (function ratio full / half)", f"{fn_ratio:.2f}x")
    mo = ml = None
    if lspci:
        for key in ("full", "half"):
            o, ref = proc[("ours", key)], proc[("lspci", key)]
            row(f"whole process, {key} host: accel-discover | lspci", fmt(o), fmt(ref),
                f"{o.cpu_best / ref.cpu_best:.2f}x")
        mo = (proc[("ours", "full")].cpu_best - proc[("ours", "half")].cpu_best) / (nf - nh)
        ml = (proc[("lspci", "full")].cpu_best - proc[("lspci", "half")].cpu_best) / (nf - nh)
        ratio = f"{mo / ml:.2f}x" if ml > 0 else "n/a"
        row("marginal CPU cost per function, whole process", f"{mo * 1e6:.1f} us",
            f"{ml * 1e6:.1f} us", ratio)
    else:
        print("lspci not installed (Debian package pciutils): process comparison skipped")
    print("-" * (w + 53))
    print(f"full host: {len(doc['devices'])} devices, {vfs} VFs in devices, "
          f"{sum(len(d['deployables']) for d in doc['devices'])} deployables; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; "
          f"{args.repeat} in-process runs, {max(5, args.repeat // 2)} process runs")
    verdicts = [
        ("in-process < 50 ms per 1,000 functions (CPU)", per_1000 < 0.050),
        ("scaling <= 2.2x time per 2x functions (CPU)", time_ratio <= budget),
    ]
    if mo is not None:
        verdicts.append(("marginal CPU cost per function <= lspci's", mo <= ml))
    for text, ok in verdicts:
        print(f"{'MET   ' if ok else 'MISSED'}  {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
