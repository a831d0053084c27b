"""GPU partition discovery cost: an 8-GPU host with 32 vGPU types per GPU, a MIG host, a
vendor-VFIO host, beside the plain 8-GPU host.

Hosts (built as fixture trees, ``accel_hosts``):

* ``plain``: 8 x H100 SXM5, MIG off (nvidia-smi's model asked once, as on a real host);
* ``mdev-32``: 8 x A16 with the vGPU host driver's mdev types on the PF, 32 types per GPU
  (a synthetic table cut from the A16 ids; hwfacts records 15 real ones), 2 vGPUs each;
* ``mig``: 8 x A100 80GB, MIG on, 7 x 1g.10gb each (HGX A100): nvidia-smi listing
  commands (``--query-gpu``, ``mig -lgip``, ``-lgi``, ``-lci``) run once per discovery;
* ``vfio``: 8 x L40S on the vendor VFIO framework, 16 VFs each, 2 vGPUs per GPU.

For each: in-process ``discover()`` wall and CPU time (this process plus its children:
the fixture's nvidia-smi is a Python model, so its share is shown apart and a real
nvidia-smi costs what it costs), best and median of N runs, functions, deployables and
partition types. The load average is printed beside the figures: on a shared machine
they are indicative.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import tempfile
import time

import accel_hosts
from accel_hosts import gpu_partitions, sysfs
from accel_hosts.model import MdevType
from ipa_fpga.discovery import discover


def _gpus(kind, extra=None, count=8):
    cards = []
    for i in range(count):
        bus = 0x18 + 0x10 * i
        spec = {"kind": kind, "name": f"gpu{i}", "address": f"0000:{bus:02x}:00.0",
                "numa_node": i // 4, "serial": f"BENCH{i:04d}"}
        spec.update(extra(i) if extra else {})
        cards.append(spec)
    return cards


def _host(name, cards, nvidia_smi=True):
    return accel_hosts.from_dict({
        "name": name, "hostname": f"{name}.example.org", "nvidia_smi": nvidia_smi,
        "system_uuid": "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b01",
        "numa_cpulists": {0: "0-31,64-95", 1: "32-63,96-127"}, "cards": cards})


def _mdev_32(host):
    """Turn each A16 into a PF-hosted mdev GPU with 32 types and two vGPUs."""
    base = gpu_partitions.A16_MDEV_TYPES
    for card in host.cards:
        part = card.partitions
        part.mdev_parents = "pf"
        part.mdev_types = [MdevType(type_id=f"nvidia-{900 + k}",
                                    name=f"{base[k % 15].name}-{k}",
                                    description=base[k % 15].description,
                                    framebuffer_mb=base[k % 15].framebuffer_mb,
                                    max_instances=base[k % 15].max_instances)
                           for k in range(32)]
        from accel_hosts.model import Mdev

        part.mdevs = [Mdev(uuid=f"00000000-0000-4000-8000-{card.primary.bus:08x}{k:04x}",
                           type_id=part.mdev_types[0].type_id, parent=card.primary.address,
                           iommu_group=900 + card.primary.bus * 4 + k) for k in range(2)]
    return host


HOSTS = {
    "plain": lambda: _host("plain", _gpus("h100_sxm5")),
    "plain-no-smi": lambda: _host("plain", _gpus("h100_sxm5"), nvidia_smi=False),
    "mdev-32": lambda: _mdev_32(_host("mdev32", _gpus("a16"))),
    "mig": lambda: _host("mig", _gpus("a100_sxm4_80", lambda i: {
        "nvidia": {"mig_mode": "Enabled"}, "partitions": {"mig": ["1g.10gb"] * 7}})),
    "vfio": lambda: _host("vfio", _gpus("l40s", lambda i: {
        "vfs": 16, "partitions": {"vgpu": {0: 1151, 1: 1151}}})),
}


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(root, repeat):
    discover(root)  # warm: page cache, imports, pyc of the nvidia-smi model
    walls, cpus, tools = [], [], []
    doc = None
    for _ in range(repeat):
        c0, k0, t0 = time.process_time(), _children_cpu(), time.perf_counter()
        doc = discover(root)
        walls.append(time.perf_counter() - t0)
        tool = _children_cpu() - k0
        tools.append(tool)
        cpus.append(time.process_time() - c0 + tool)
    return doc, walls, cpus, tools


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", default="/dev/shm" if os.path.isdir("/dev/shm") else None)
    args = parser.parse_args(argv)
    work = tempfile.mkdtemp(prefix="bench-gpu-", dir=args.workdir)
    try:
        print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
              f"{os.getloadavg()[2]:.2f}; best/median of {args.repeat} runs, ms")
        print(f"{'host':<13}{'functions':>10}{'deployables':>12}{'types':>7}{'instances':>10}"
              f"{'wall best':>11}{'wall med':>10}{'CPU best':>10}{'of it tool':>11}"
              f"{'own CPU':>9}")
        rows = {}
        for name, make in HOSTS.items():
            root = os.path.join(work, name)
            host = make()
            sysfs.build(host, root)
            doc, walls, cpus, tools = measure(root, args.repeat)
            deps = sum(len(d["deployables"]) for d in doc["devices"])
            types = sum(len((d.get("partitions") or {}).get("types", [])) for d in doc["devices"])
            inst = sum(len((d.get("partitions") or {}).get("instances", []))
                       for d in doc["devices"])
            best = min(range(len(cpus)), key=cpus.__getitem__)
            rows[name] = (cpus[best], cpus[best] - tools[best])
            print(f"{name:<13}{len(host.functions()):>10}{deps:>12}{types:>7}{inst:>10}"
                  f"{min(walls) * 1e3:>11.1f}{statistics.median(walls) * 1e3:>10.1f}"
                  f"{cpus[best] * 1e3:>10.1f}{tools[best] * 1e3:>11.1f}"
                  f"{(cpus[best] - tools[best]) * 1e3:>9.1f}")
        for name in ("mdev-32", "mig", "vfio"):
            print(f"{name}: {rows[name][0] / rows['plain'][0]:.1f}x the plain host's CPU in all, "
                  f"{rows[name][1] / rows['plain'][1]:.1f}x without the nvidia-smi model")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
