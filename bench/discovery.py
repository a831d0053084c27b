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

Trees are built under ``--workdir`` (default: /dev/shm when present, since the real
sysfs is in memory too; else the system temporary directory).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import accel_hosts
from accel_hosts import sysfs
from ipa_fpga.discovery import discover


def _times(fn, repeat):
    """``(median, best)`` wall time of ``fn`` over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def _process_time(argv, repeat):
    def once():
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    once()  # page cache, pyc files
    return _times(once, repeat)


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
            [ours, "--root", roots[key], "--format", "json"], max(3, args.repeat // 3))
        if lspci:
            proc[("lspci", key)] = _process_time(
                [lspci, "-vmm", "-nn", "-D", "-A", "linux-sysfs", "-O",
                 f"sysfs.path={roots[key]}/sys/bus/pci"], max(3, args.repeat // 3))

    nf, nh = counts["full"], counts["half"]
    # Targets are judged on the best of N runs (least disturbed by other load on the
    # machine); medians are printed beside them.
    tf, th = inproc["full"][1], inproc["half"][1]
    per_1000 = tf * 1000 / nf
    fn_ratio = nf / nh
    time_ratio = tf / th
    budget = 2.2 * fn_ratio / 2  # 2.2x time for 2x functions, scaled to the actual ratio
    w = 50

    def row(label, ours, ref="-", ratio=""):
        print(f"{label:<{w}}{ours:>16}{ref:>18}{ratio:>10}")

    print()
    row("measure (best of N; median in brackets)", "ours", "reference", "ratio")
    print("-" * (w + 44))
    row(f"in-process discover(), full host ({nf} fns)",
        f"{tf * 1e3:.1f} ms ({inproc['full'][0] * 1e3:.0f})")
    row(f"in-process discover(), half host ({nh} fns)",
        f"{th * 1e3:.1f} ms ({inproc['half'][0] * 1e3:.0f})")
    row("functions per second (full host)", f"{nf / tf:,.0f}")
    row("in-process time per 1,000 functions", f"{per_1000 * 1e3:.1f} ms", "target < 50 ms",
        f"{per_1000 / 0.050:.2f}x")
    row("scaling: time(full) / time(half)", f"{time_ratio:.2f}x", f"<= {budget:.2f}x",
        f"{time_ratio / budget:.2f}x")
    row("  (function ratio full / half)", f"{fn_ratio:.2f}x")
    mo = ml = None
    if lspci:
        for key in ("full", "half"):
            o, ref = proc[("ours", key)], proc[("lspci", key)]
            row(f"whole process, {key} host (ours vs lspci)",
                f"{o[1] * 1e3:.0f} ms ({o[0] * 1e3:.0f})",
                f"{ref[1] * 1e3:.0f} ms ({ref[0] * 1e3:.0f})", f"{o[1] / ref[1]:.2f}x")
        mo = (proc[("ours", "full")][1] - proc[("ours", "half")][1]) / (nf - nh)
        ml = (proc[("lspci", "full")][1] - proc[("lspci", "half")][1]) / (nf - nh)
        ratio = f"{mo / ml:.2f}x" if ml > 0 else "n/a"
        row("marginal cost per function, whole process", f"{mo * 1e6:.1f} us",
            f"{ml * 1e6:.1f} us", ratio)
    else:
        print("lspci not installed (Debian package pciutils): process comparison skipped")
    print("-" * (w + 44))
    print(f"full host: {len(doc['devices'])} devices, {vfs} VFs in devices, "
          f"{sum(len(d['deployables']) for d in doc['devices'])} deployables; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; "
          f"{args.repeat} in-process runs, {max(3, args.repeat // 3)} process runs")
    verdicts = [
        ("in-process < 50 ms per 1,000 functions", per_1000 < 0.050),
        ("scaling <= 2.2x time per 2x functions", time_ratio <= budget),
    ]
    if mo is not None:
        verdicts.append(("marginal cost per function <= lspci's", mo <= ml))
    for text, ok in verdicts:
        print(f"{'MET   ' if ok else 'MISSED'}  {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
