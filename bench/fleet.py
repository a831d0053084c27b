"""Fleet benchmark: many hosts reporting their inventories to accel-api with a real Placement.

1,000 hosts (``--hosts``) of ~30 allocatable deployables each (``--deployables``) report
through the real ``accel-api`` server, which reports each to a real Placement
(openstack-placement on a scratch PostgreSQL database, served as ``tests/realprocs``
does). Nova's compute node providers
are created first, as nova-compute does (a Nova-first fleet; ``--standalone`` reports
standalone hosts instead, whose roots accel-api creates).

* cold sync: every host's first report; total time, hosts/s, and the Placement requests
  per host (reads and writes, from each import's answer);
* steady state: unchanged reports (only ``collected_at`` moves, as an agent's periodic
  report), from ``--clients`` keep-alive clients, for ``--seconds``: reports/s,
  latency, and the Placement requests per report (target: no write, at most one read).
  Target: >= 50 unchanged reports/s.

The load average is printed beside the figures: the clients, accel-api, its database and
Placement share this machine's cores, and other work on it moves every figure.

Usage: python bench/fleet.py [--hosts 1000] [--deployables 30] [--clients 4]
                             [--seconds 20] [--workers 1] [--pg-url URL] [--standalone]
"""

import argparse
import concurrent.futures
import contextlib
import copy
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOP)
sys.path.insert(0, os.path.join(TOP, "bench"))

from claims import Client, loadavg, pct  # noqa: E402

from tests.accel_api_helpers import inventory, running_server, scratch_database  # noqa: E402
from tests.realprocs.placement import Placement  # noqa: E402


class FleetClient(Client):
    """``claims.Client`` with patience: a host's first report writes ~100 times to a
    Placement that a loaded machine may serve slowly."""

    def _connect(self):
        super()._connect()
        self.sock.settimeout(900)


def fleet_documents(hosts, deployables, standalone):
    """One inventory per host: ``deployables`` FPGA cards, one region each."""
    docs = {}
    for i in range(hosts):
        name = f"fleet-{i:05d}"
        doc = inventory(name, devices=deployables, handles_per_device=1, bus_base=0x10)
        doc["host"]["nova_compute"] = not standalone
        docs[name] = doc
    return docs


def create_compute_nodes(placement, names, threads):
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        for status in pool.map(lambda n: placement.compute_node(n, str(uuid.uuid4())), names):
            assert status == 200, status


def _report(client, name, doc):
    _, body = client.call("PUT", f"/v2/hosts/{name}/inventory", doc)
    return body["placement"]


def cold_sync(url, docs, clients):
    names = list(docs)
    costs, states, lock = [], {}, threading.Lock()

    def _worker(part):
        client = FleetClient(url)
        for name in part:
            summary = _report(client, name, docs[name])
            with lock:
                costs.append(summary["requests"])
                states[summary["state"]] = states.get(summary["state"], 0) + 1

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(_worker, [names[i::clients] for i in range(clients)]))
    return time.monotonic() - start, costs, states


def steady_state(url, docs, clients, seconds):
    names = list(docs)
    latencies, costs, lock = [], [], threading.Lock()
    stop = time.monotonic() + seconds

    def _worker(index):
        client = FleetClient(url)
        mine, local_lat, local_cost = names[index::clients], [], []
        n = 0
        while time.monotonic() < stop:
            name = mine[n % len(mine)]
            doc = copy.copy(docs[name])
            doc["collected_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            t0 = time.perf_counter()
            summary = _report(client, name, doc)
            local_lat.append(time.perf_counter() - t0)
            local_cost.append(summary["requests"])
            n += 1
        with lock:
            latencies.extend(local_lat)
            costs.extend(local_cost)

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(_worker, range(clients)))
    return time.monotonic() - start, latencies, costs


def _mean(costs, kind):
    return statistics.fmean(c[kind] for c in costs) if costs else 0.0


def _cpu(placement):
    """(accel-api's CPU seconds, Placement's) so far."""
    placement_cpu = _tree_cpu(placement.process.proc.pid)
    return _tree_cpu(os.getpid(), include_root=False) - placement_cpu, placement_cpu


def _steady(url, docs, args, placement, label):
    print(f"steady state, {label}: unchanged reports for {args.seconds}s, "
          f"{args.clients} clients")
    cpu0 = _cpu(placement)
    elapsed, lat, costs = steady_state(url, docs, args.clients, args.seconds)
    api_cpu, pl_cpu = (b - a for a, b in zip(cpu0, _cpu(placement), strict=True))
    writes = sum(c["write"] for c in costs)
    print(f"  {len(lat)} reports in {elapsed:.1f}s: {len(lat) / elapsed:.1f} reports/s "
          f"(target >= 50); latency p50 {pct(lat, 0.5) * 1000:.1f} ms, "
          f"p99 {pct(lat, 0.99) * 1000:.1f} ms")
    print(f"  Placement per report: {_mean(costs, 'read'):.2f} reads (max "
          f"{max(c['read'] for c in costs)}), {writes} writes in all (target: no write, at "
          f"most one read)")
    print(f"  CPU per report: accel-api {api_cpu / len(lat) * 1000:.1f} ms, Placement "
          f"{pl_cpu / len(lat) * 1000:.1f} ms ({loadavg()})")


def run(args, database=None, placement_database=None):
    docs = fleet_documents(args.hosts, args.deployables, args.standalone)
    with tempfile.TemporaryDirectory(prefix="fleet-") as work:
        placement = Placement(os.path.join(work, "placement"),
                              database=placement_database).start()
        try:
            if not args.standalone:
                t0 = time.monotonic()
                create_compute_nodes(placement, list(docs), args.clients)
                print(f"{len(docs)} compute node providers created as nova-compute does in "
                      f"{time.monotonic() - t0:.1f}s (not counted)")
            config = ("[DEFAULT]\ndebug = false\n"
                      "[api]\nclient_socket_timeout = 60\ngraceful_shutdown_timeout = 1\n"
                      "[placement]\nauth_type = admin_token\ntoken = admin\n"
                      f"endpoint = {placement.url}\nendpoint_override = {placement.url}\n")
            state = os.path.join(work, "api")
            os.makedirs(state)
            with running_server(state_dir=state, config=config, workers=args.workers,
                                database=database) as url:
                print(f"cold sync: {args.hosts} hosts x {args.deployables} deployables, "
                      f"{args.clients} clients ({loadavg()})")
                cpu0 = _cpu(placement)
                elapsed, costs, states = cold_sync(url, docs, args.clients)
                api_cpu, pl_cpu = (b - a for a, b in zip(cpu0, _cpu(placement), strict=True))
                print(f"  {elapsed:.1f}s, {args.hosts / elapsed:.2f} hosts/s, "
                      f"{args.hosts * args.deployables / elapsed:.0f} providers/s; states "
                      f"{states}")
                print(f"  Placement requests per host: {_mean(costs, 'read'):.1f} reads, "
                      f"{_mean(costs, 'write'):.1f} writes (max "
                      f"{max(c['read'] + c['write'] for c in costs)}; custom traits are "
                      "created by the first host only)")
                print(f"  CPU per host: accel-api {api_cpu / args.hosts * 1000:.0f} ms, "
                      f"Placement {pl_cpu / args.hosts * 1000:.0f} ms ({loadavg()})")
                _steady(url, docs, args, placement,
                        "[placement] verify_interval = 300 (default)")
            # Every unchanged report checks Placement: the one-read path.
            with running_server(state_dir=state, config=config + "verify_interval = 0\n",
                                workers=args.workers, database=database) as url:
                _steady(url, docs, args, placement, "verify_interval = 0 (one read each)")
        finally:
            placement.stop()


def _tree_cpu(root, include_root=True):
    """CPU seconds used so far by ``root`` and its live descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        stats[int(pid)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    total = stats.get(root, (0, 0.0))[1] if include_root else 0.0
    for parent, cpu in stats.values():
        for _ in range(8):
            if parent == root:
                total += cpu
                break
            if parent not in stats:
                break
            parent = stats[parent][0]
    return total


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--hosts", type=int, default=1000)
    p.add_argument("--deployables", type=int, default=30)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--seconds", type=int, default=20)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--pg", action="store_true", help="accel-api on PostgreSQL (scratch db)")
    p.add_argument("--standalone", action="store_true",
                   help="standalone hosts (accel-api creates their roots)")
    args = p.parse_args(argv)
    print(f"fleet benchmark ({loadavg()}); Placement on PostgreSQL, accel-api on "
          f"{'PostgreSQL' if args.pg else 'SQLite'} with {args.workers} worker(s)")
    with contextlib.ExitStack() as stack:
        # Placement on SQLite answers concurrent writers "database is locked".
        placement_db = stack.enter_context(scratch_database("postgresql"))
        api_db = stack.enter_context(scratch_database("postgresql")) if args.pg else None
        run(args, database=api_db, placement_database=placement_db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
