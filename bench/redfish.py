"""Redfish emulator benchmark: accel-redfish-mock versus ``sushy-emulator --fake``.

Both run as real processes on loopback, in the same run. For one System and one
Processor, at concurrency 1, 8 and 32, a load generator (worker processes, one
keep-alive connection per client, raw HTTP/1.1 so the client costs little) measures
GETs per second and latency percentiles. Then accel-redfish-mock is started with
1,000 servers, every System and one Processor of each is fetched once, and its RSS
is read from /proc.

Targets (issue 6): >= 10x sushy-tools' throughput, p50 < 5 ms at concurrency 32,
1,000 servers in < 200 MiB RSS. sushy-tools' fake driver has no processors (501):
its Processor column is shown as such.

Then each vendor layout profile (one BMC per process) is started on its natural host and
one accelerator resource is loaded at concurrency 8; the time to build the BMC's whole
site (once per change of the server) is measured in process.

    .venv/bin/python bench/redfish.py [--seconds 3] [--layouts-only]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import accel_hosts

AUTH = "Basic " + base64.b64encode(b"admin:password").decode()


def free_port():
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venv_bin(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def wait_ready(url, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            req = urllib.request.Request(url, headers={"Authorization": AUTH})
            with urllib.request.urlopen(req, timeout=2) as resp:
                return json.load(resp)
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout}s")


def get_json(url):
    req = urllib.request.Request(url, headers={"Authorization": AUTH})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


# -- load generator ------------------------------------------------------------------------

class _Conn:
    def __init__(self, port):
        self.port = port
        self.sock = None
        self.buf = b""

    def request(self, raw):
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port))
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buf = b""
        self.sock.sendall(raw)
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        close = headers.get("connection", "").lower() == "close" or lines[0].startswith(
            "HTTP/1.0") and headers.get("connection", "").lower() != "keep-alive"
        if "content-length" in headers:
            n = int(headers["content-length"])
            while len(rest) < n:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                rest += chunk
            self.buf = rest[n:]
        else:  # body delimited by the end of the connection
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                rest += chunk
            close = True
        if close:
            self.sock.close()
            self.sock = None
        return status


def _worker(port, path, threads, seconds, queue):
    raw = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {AUTH}\r\n"
           "Accept: application/json\r\n\r\n").encode()
    lat, statuses, errors = [], {}, [0]
    lock = threading.Lock()
    start_evt = threading.Event()

    def run():
        conn, mine, st = _Conn(port), [], {}
        start_evt.wait()
        deadline = time.perf_counter() + seconds
        while True:
            t0 = time.perf_counter()
            if t0 > deadline:
                break
            try:
                s = conn.request(raw)
            except OSError:
                conn.sock = None
                with lock:
                    errors[0] += 1
                continue
            mine.append(time.perf_counter() - t0)
            st[s] = st.get(s, 0) + 1
        with lock:
            lat.extend(mine)
            for k, v in st.items():
                statuses[k] = statuses.get(k, 0) + v

    ts = [threading.Thread(target=run) for _ in range(threads)]
    for t in ts:
        t.start()
    start_evt.set()
    for t in ts:
        t.join()
    queue.put((lat, statuses, errors[0]))


def load(port, path, concurrency, seconds, processes=2):
    """(requests/s, p50 ms, p99 ms, statuses, errors) of ``concurrency`` keep-alive clients."""
    procs = max(1, min(processes, concurrency))
    per = [concurrency // procs + (1 if i < concurrency % procs else 0) for i in range(procs)]
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(port, path, n, seconds, queue)) for n in per]
    for w in workers:
        w.start()
    results = [queue.get(timeout=seconds + 60) for _ in workers]
    for w in workers:
        w.join()
    lat = sorted(x for r in results for x in r[0])
    statuses = {}
    for r in results:
        for k, v in r[1].items():
            statuses[k] = statuses.get(k, 0) + v
    errors = sum(r[2] for r in results)
    if not lat:
        return 0.0, float("nan"), float("nan"), statuses, errors
    p50 = statistics.median(lat) * 1000
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    return len(lat) / seconds, p50, p99, statuses, errors


# -- the services --------------------------------------------------------------------------

@contextlib.contextmanager
def service(argv, port, log):
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_ready(f"http://127.0.0.1:{port}/redfish/v1/Systems", proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=3.0, help="duration of each measurement")
    p.add_argument("--servers", type=int, default=1000, help="servers for the memory figure")
    p.add_argument("--layouts-only", action="store_true",
                   help="measure the vendor layout profiles only")
    args = p.parse_args(argv)
    if args.layouts_only:
        return layouts(args.seconds)
    levels = (1, 8, 32)
    rows = {}
    with tempfile.TemporaryDirectory(prefix="bench-redfish-") as tmp, \
            open(os.path.join(tmp, "log"), "ab") as log:
        # accel-redfish-mock, one server (the mixed host)
        port = free_port()
        with service([venv_bin("accel-redfish-mock"), "--port", str(port), "--host", "mixed"],
                     port, log):
            system = get_json(f"http://127.0.0.1:{port}/redfish/v1/Systems")["Members"][0][
                "@odata.id"]
            processor = f"{system}/Processors/fpga0"
            for name, path in (("System", system), ("Processor", processor)):
                for c in levels:
                    rows[("ours", name, c)] = load(port, path, c, args.seconds)
        # sushy-tools, fake driver
        port = free_port()
        with service([venv_bin("sushy-emulator"), "--fake", "-i", "127.0.0.1", "-p", str(port)],
                     port, log):
            system = get_json(f"http://127.0.0.1:{port}/redfish/v1/Systems")["Members"][0][
                "@odata.id"]
            procs = get_json(f"http://127.0.0.1:{port}{system}").get("Processors", {})
            processor = procs.get("@odata.id", f"{system}/Processors") + "/CPU0"
            for name, path in (("System", system), ("Processor", processor)):
                for c in levels:
                    rows[("sushy", name, c)] = load(port, path, c, args.seconds)
        # memory with many servers
        port = free_port()
        with service([venv_bin("accel-redfish-mock"), "--port", str(port), "--host", "mixed",
                      "--count", str(args.servers)], port, log) as proc:
            idle = rss_mib(proc.pid)
            members = get_json(f"http://127.0.0.1:{port}/redfish/v1/Systems")["Members"]
            conn = _Conn(port)
            for m in members:
                for path in (m["@odata.id"], m["@odata.id"] + "/Processors/fpga0"):
                    conn.request((f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}"
                                  "\r\n\r\n").encode())
            warm = rss_mib(proc.pid)

    print(f"Redfish GET benchmark ({args.seconds:g} s per cell, loopback, "
          f"{os.cpu_count()} CPUs; clients: raw HTTP/1.1 keep-alive in 2 processes)")
    print()
    hdr = (f"{'resource':9} {'conc':>4} | {'ours req/s':>10} {'p50 ms':>7} {'p99 ms':>7} | "
           f"{'sushy req/s':>11} {'p50 ms':>7} {'p99 ms':>7} | {'ratio':>6}")
    print(hdr)
    print("-" * len(hdr))
    verdicts = []
    for name in ("System", "Processor"):
        for c in levels:
            o = rows[("ours", name, c)]
            s = rows[("sushy", name, c)]
            s_ok = s[3].get(200, 0) > 0
            ours_bad = {k: v for k, v in o[3].items() if k != 200}
            ratio = o[0] / s[0] if s_ok and s[0] else float("nan")
            s_txt = (f"{s[0]:11.0f} {s[1]:7.2f} {s[2]:7.2f}" if s_ok else
                     f"{'n/a (HTTP ' + ','.join(map(str, sorted(s[3]))) + ')':>27}")
            print(f"{name:9} {c:4d} | {o[0]:10.0f} {o[1]:7.2f} {o[2]:7.2f} | {s_txt} | "
                  + (f"{ratio:5.1f}x" if s_ok else "   n/a")
                  + (f"  (ours non-200: {ours_bad})" if ours_bad else "")
                  + (f"  (errors ours/sushy: {o[4]}/{s[4]})" if o[4] or s[4] else ""))
            if s_ok:
                verdicts.append((f"{name} c={c} throughput >= 10x sushy-tools", ratio >= 10))
        verdicts.append((f"{name} p50 < 5 ms at concurrency 32", rows[("ours", name, 32)][1] < 5))
    print()
    cards = len(accel_hosts.load("mixed").cards)
    print(f"memory: accel-redfish-mock with {args.servers} servers (mixed host, "
          f"{args.servers * cards} accelerators): {idle:.1f} MiB RSS at start, {warm:.1f} MiB "
          f"after GET of every System and one Processor each")
    verdicts.append((f"{args.servers} servers in < 200 MiB RSS", warm < 200))
    print()
    for what, ok in verdicts:
        print(f"  [{'met' if ok else 'MISSED'}] {what}")
    print()
    return layouts(args.seconds)


#: layout profile -> (host description, one accelerator resource of it)
LAYOUTS = {
    "hgx": ("host-b", "/redfish/v1/Systems/HGX_Baseboard_0/Processors/GPU_SXM_1"),
    "bluefield": ("host-d", "/redfish/v1/Chassis/Card1/NetworkAdapters/NvidiaNetworkAdapter"),
    "idrac": ("host-d", "/redfish/v1/Chassis/System.Embedded.1/NetworkAdapters/NIC.Slot.2"),
    "ilo": ("host-c", "/redfish/v1/Chassis/1/PCIeDevices/1"),
    "cxl": ("host-d", "/redfish/v1/Chassis/cxl0/PCIeDevices/1"),
    "dmtf": ("mixed", "/redfish/v1/Systems/mixed/GraphicsControllers/gpu0"),
}


def layouts(seconds):
    """Per vendor layout: site build time and a loaded accelerator resource."""
    from redfish_mocks.service import EmulatorService
    from redfish_mocks.state import Emulator

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-redfish-") as tmp, \
            open(os.path.join(tmp, "log"), "ab") as log:
        for profile, (host, path) in LAYOUTS.items():
            port = free_port()
            svc = EmulatorService(Emulator([accel_hosts.load(host)], profile=profile))
            start = time.perf_counter()
            for _ in range(20):
                site = svc.layout.build(svc.vendor)
            build = (time.perf_counter() - start) * 1000 / 20
            with service([venv_bin("accel-redfish-mock"), "--port", str(port), "--host", host,
                          "--profile", profile], port, log):
                rows.append((profile, host, path, build, len(site.docs),
                             load(port, path, 8, seconds)))
    print(f"vendor layouts ({seconds:g} s per cell, concurrency 8)")
    hdr = (f"{'profile':10} {'host':7} {'resources':>9} {'build ms':>8} | {'req/s':>7} "
           f"{'p50 ms':>7} {'p99 ms':>7}")
    print(hdr)
    print("-" * len(hdr))
    for profile, host, path, build, count, o in rows:
        bad = {k: v for k, v in o[3].items() if k != 200}
        print(f"{profile:10} {host:7} {count:9d} {build:8.1f} | {o[0]:7.0f} {o[1]:7.2f} "
              f"{o[2]:7.2f}"
              + (f"  (non-200: {bad})" if bad else "") + f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
