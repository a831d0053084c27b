"""Programming benchmark: upload and program a large bitstream through accel-api -> accel-agent.

Starts the real stack (accel-api, accel-agent in its own process, the kernel simulator
behind a host-a fixture root), then for 32 MiB and 256 MiB bitstreams: upload
(streamed, hashed), program through ``POST /fpga/{deployable}`` (the agent downloads,
verifies sha256, runs DFL partial reconfiguration, reads the AFU id back), and prints
throughput, end-to-end latency, and the peak RSS (VmHWM) of the accel-api and
accel-agent processes after each size.

Target: RSS flat in bitstream size (256/32 peak-RSS ratio near 1x); the reference,
holding the whole bitstream in memory, grows by the bitstream's size (8x its share).

Usage: python bench/program.py [--sizes 32,256]
"""

import argparse
import os
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOP)

from tests.programming_helpers import Stack, bitstream  # noqa: E402

IFACE = "f3c99413-5081-4aad-bced-07eb84a6d0bb"
AFUS = ["8d1e5b4a-8f2e-4c6b-9d1a-0c2b3e4f5a6b", "d8424dc4-a4a3-c413-f89e-433683f9040b"]
MIB = 1024 * 1024


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run(stack, size_mib, afu):
    admin = stack.session("admin")
    data = bitstream(IFACE, afu, size=size_mib * MIB)
    region = sorted(stack.regions().values(), key=lambda d: d["rp_uuid"])[0]
    t0 = time.monotonic()
    bs = stack.upload("admin", data, IFACE, afu, name=f"bench-{size_mib}")
    t1 = time.monotonic()
    resp = admin.post(f"{stack.url}/fpga/{region['uuid']}",
                      json={"glance_bitstream_uuid": bs["uuid"]})
    t2 = time.monotonic()
    if resp.status_code != 200:
        raise RuntimeError(f"programming failed: {resp.status_code} {resp.text[:300]}")
    return {"size": size_mib, "upload_s": t1 - t0, "program_s": t2 - t1, "total_s": t2 - t0,
            "api_rss": peak_rss_mib(stack.procs["accel-api"].pid),
            "agent_rss": peak_rss_mib(stack.procs["accel-agent"].pid)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="32,256", help="bitstream sizes in MiB, ascending")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as work:
        stack = Stack(work, api_conf="[bitstreams]\nmax_size = 1073741824\n",
                      job_timeout=600)
        stack.start()
        try:
            base = (peak_rss_mib(stack.procs["accel-api"].pid),
                    peak_rss_mib(stack.procs["accel-agent"].pid))
            print(f"baseline peak RSS: accel-api {base[0]:.0f} MiB, "
                  f"accel-agent {base[1]:.0f} MiB")
            rows = [run(stack, size, AFUS[i % 2]) for i, size in enumerate(sizes)]
        finally:
            stack.stop()
    print(f"{'size':>8} {'upload':>9} {'program':>9} {'end-to-end':>11} {'MiB/s':>7} "
          f"{'api peak RSS':>13} {'agent peak RSS':>15}")
    for r in rows:
        print(f"{r['size']:>4} MiB {r['upload_s']:>8.2f}s {r['program_s']:>8.2f}s "
              f"{r['total_s']:>10.2f}s {r['size'] / r['total_s']:>7.1f} "
              f"{r['api_rss']:>9.0f} MiB {r['agent_rss']:>11.0f} MiB")
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        print(f"bitstream {last['size'] / first['size']:.0f}x larger -> peak RSS: accel-api "
              f"{last['api_rss'] / first['api_rss']:.2f}x, accel-agent "
              f"{last['agent_rss'] / first['agent_rss']:.2f}x (target ~1x; the reference, "
              f"the whole bitstream in memory, adds {last['size'] - first['size']} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
