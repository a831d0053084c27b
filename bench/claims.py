"""Claims benchmark: accel-api (real server processes) vs Cyborg's measured figures.

Cycles of create -> bind -> get -> unbind -> delete through the HTTP API, sequential and
with 16 concurrent clients (several rounds, fresh connections each: how the kernel spreads
them over the workers moves the figure), on SQLite (embedded, 1 worker) and PostgreSQL
(2 workers, through psycopg 3);
then bind latency with 100, 10,000 and 100,000 ARQs already in the table (seeded with
bulk inserts). Prints medians, p95 and throughput next to the reference:

* Cyborg, this kind of machine, in-process RPC, SQLite: bind median 100 ms with ~20
  ARQs, 513 ms with ~320 (its bind reads the whole ARQ table).
* Targets: bind median <= 10 ms and flat (100,000 ARQs within 1.5x of 100);
  >= 300 full cycles/s with 16 clients on PostgreSQL across 2 workers.

The clients share the machine's cores with the servers and the database, so they are
kept cheap: one persistent keep-alive ``http.client`` connection per client thread
(headers and body leave in one segment, TCP_NODELAY). Each phase prints the CPU time per
cycle of the client, of accel-api's processes and of the PostgreSQL backends, and the
load average (other work on the box skews every figure). Each server is warmed up (not
counted) until its connections have prepared their statements.

Then the built-in server (granian, this tree) and the one before it (cheroot, from the
git revision ``--baseline``) side by side on PostgreSQL with 2 workers, both running at
once: the same 16-client cycles in rounds that alternate between them (A B B A ...;
the verdict is the median of their round-by-round ratio), then a fresh
client's ``GET /v2`` and full claim cycles (each request on a new connection) while
1,000 idle keep-alive connections are held, 50 clients send headers and 20 send bodies
a byte a second, 1,000 concurrent GETs, and the servers' memory (RSS).
Target: p99 < 100 ms for the fresh client's requests under that siege.

Usage: python bench/claims.py [--quick] [--pg-url URL] [--no-pg] [--servers-only]
                              [--baseline REV | --no-baseline]
"""

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOP)

import sqlalchemy as sa  # noqa: E402

from accel_api import states  # noqa: E402
from accel_api.db import migrate  # noqa: E402
from accel_api.db import models as m  # noqa: E402
from tests.accel_api_helpers import (  # noqa: E402
    PG_ADMIN_URL,
    inventory,
    running_server,
    slow_clients,
)

CYBORG_BIND_MS = {20: 100.0, 320: 513.0}
#: The last revision whose accel-api served with cheroot (8 threads a worker, each
#: connection holding a thread until its timeout).
BASELINE = "6a21ace47c052b151c93065a48d8e2a94f26c627"
SERVER_CONFIG = "[api]\nclient_socket_timeout = 10\n[database]\npool_size = 20\n"
HOST = "bench-host"
DEVICES, HANDLES = 8, 8  # 64 handles: enough for 16 clients holding one each


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def loadavg():
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def process_cpu(pids):
    """CPU seconds (user + system) these processes have used so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_pids(url):
    """The accel-api processes serving ``url`` (the parent and its forked workers)."""
    return slow_clients.server_processes(urllib.parse.urlsplit(url).port)


def worker_pids(pids):
    """Of accel-api's processes, those that serve (a forked worker, or a lone server)."""
    parents = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                parents.add(int(f.read().rsplit(")", 1)[1].split()[1]))
        except OSError:
            continue
    return [pid for pid in pids if pid not in parents] if len(pids) > 1 else pids


def db_backend_pids(admin, name):
    with admin.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = %(n)s", {"n": name})]


class Client:
    """One keep-alive HTTP/1.1 connection on a plain socket; every status is checked.

    A minimal client (request line, headers and body in one send; responses framed by
    Content-Length, which accel-api always sends) keeps the benchmark's own CPU small:
    it shares two cores with the servers and the database.
    """

    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        self.addr = (parts.hostname, parts.port)
        self.host = f"{parts.hostname}:{parts.port}"
        self.reconnects = 0
        self._connect()

    def _connect(self):
        self.sock = socket.create_connection(self.addr, timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def call(self, method, path, body=None, expect=(200,)):
        data = b"" if body is None else json.dumps(body).encode()
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
                f"Accept: application/json\r\nContent-Length: {len(data)}\r\n"
                + ("Content-Type: application/json\r\n" if body is not None else "")
                + "\r\n")
        self.sock.sendall(head.encode() + data)
        while b"\r\n\r\n" not in self.buf:
            self._recv(method, path)
        header, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0 if status in (204, 304) else None
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection":
                close = value.strip().lower() == "close"
        if length is None:
            raise RuntimeError(f"{method} {path}: response without Content-Length")
        while len(self.buf) < length:
            self._recv(method, path)
        raw, self.buf = self.buf[:length], self.buf[length:]
        if close:  # the server will not take another request on this connection
            self.sock.close()
            self._connect()
            self.reconnects += 1
        if status not in expect:
            raise RuntimeError(f"{method} {path}: {status} {raw[:300]!r}")
        return status, (json.loads(raw) if raw else None)

    def _recv(self, method, path):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"{method} {path}: server closed the connection")
        self.buf += chunk

    def close(self):
        self.sock.close()


def setup(url):
    c = Client(url)
    try:
        c.call("PUT", f"/v2/hosts/{HOST}/inventory", inventory(HOST, DEVICES, HANDLES))
        c.call("POST", "/v2/device_profiles",
               [{"name": "bench", "groups": [{"resources:FPGA": "1"}]}], expect=(201, 409))
        return [d["rp_uuid"] for d in c.call("GET", "/v2/deployables")[1]["deployables"]]
    finally:
        c.close()


def cycle(c, rp_uuid, timings):
    t0 = time.perf_counter()
    arq = c.call("POST", "/v2/accelerator_requests", {"device_profile_name": "bench"},
                 expect=(201,))[1]["arqs"][0]["uuid"]
    t1 = time.perf_counter()
    status, _ = c.call("PATCH", "/v2/accelerator_requests", {arq: [
        {"path": "/hostname", "op": "add", "value": HOST},
        {"path": "/device_rp_uuid", "op": "add", "value": rp_uuid},
        {"path": "/instance_uuid", "op": "add", "value": str(uuid.uuid4())}]},
        expect=(202, 409))
    t2 = time.perf_counter()
    bound = status == 202
    got = c.call("GET", f"/v2/accelerator_requests/{arq}")[1]
    if bound and got["state"] != "Bound":
        raise RuntimeError(f"ARQ {arq} is {got['state']} after a 202 bind")
    t3 = time.perf_counter()
    c.call("PATCH", "/v2/accelerator_requests", {arq: [
        {"path": "/hostname", "op": "remove"}, {"path": "/device_rp_uuid", "op": "remove"},
        {"path": "/instance_uuid", "op": "remove"}]}, expect=(202,))
    t4 = time.perf_counter()
    c.call("DELETE", f"/v2/accelerator_requests?arqs={arq}", expect=(204,))
    t5 = time.perf_counter()
    for name, value in (("create", t1 - t0), ("bind", t2 - t1), ("get", t3 - t2),
                        ("unbind", t4 - t3), ("delete", t5 - t4), ("cycle", t5 - t0)):
        timings.setdefault(name, []).append(value * 1000)
    return bound


def run_cycles(url, rps, clients, per_client, watch=()):
    """``clients`` threads, each on its own connection, ``per_client`` cycles each.

    Returns (timings, bound count, cycles/s, CPU seconds per cycle by who: the client,
    and each (name, pids) of ``watch``).
    """
    results, errors_seen = [None] * clients, []
    start = threading.Barrier(clients + 1)

    def _client(i):
        c = Client(url)
        timings, ok = {}, 0
        try:
            start.wait()
            for _ in range(per_client):
                ok += cycle(c, rps[i % len(rps)], timings)
        except Exception as exc:  # reported below: a benchmark with errors is void
            errors_seen.append(exc)
        finally:
            c.close()
        results[i] = (timings, ok, c.reconnects)

    threads = [threading.Thread(target=_client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    others0 = [process_cpu(pids) for _, pids in watch]
    cpu0, t0 = time.process_time(), time.perf_counter()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    others = [process_cpu(pids) - c0 for (_, pids), c0 in zip(watch, others0, strict=True)]
    if errors_seen:
        raise RuntimeError(f"{len(errors_seen)} client(s) failed: {errors_seen[0]}")
    merged, ok = {}, 0
    reconnects = sum(r[2] for r in results)
    if reconnects:
        print(f"  note: the server closed {reconnects} keep-alive connection(s)")
    for timings, good, _ in results:
        ok += good
        for k, v in timings.items():
            merged.setdefault(k, []).extend(v)
    total = clients * per_client
    used = {"client": cpu / total}
    used.update({name: c / total for (name, _), c in zip(watch, others, strict=True)})
    return merged, ok, total / wall, used


def seed_arqs(db_url, count):
    """Bulk-insert ``count`` Initial ARQs (as other tenants' pending requests)."""
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            profile_id = conn.scalar(sa.select(m.DeviceProfile.id).where(
                m.DeviceProfile.name == "bench"))
            have = conn.scalar(sa.select(sa.func.count()).select_from(m.AcceleratorRequest))
            rows = [{"uuid": str(uuid.uuid4()), "kind": "arq", "state": states.INITIAL,
                     "project_id": "seed", "device_profile_id": profile_id,
                     "device_profile_name": "bench", "device_profile_group_id": 0,
                     "group_unit": 0, "created_at": m.utcnow()}
                    for _ in range(max(0, count - have))]
            for i in range(0, len(rows), 10000):
                conn.execute(sa.insert(m.AcceleratorRequest), rows[i:i + 10000])
        if engine.dialect.name == "postgresql":
            # What autovacuum does within a minute of such growth. The table grew in
            # one bulk insert here, not over weeks; accel-api's prepared statements
            # are planned again once the table's statistics change.
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "ANALYZE accelerator_requests")
    finally:
        engine.dispose()


def bind_latency(url, db_url, rps, sizes, samples):
    out = {}
    for size in sizes:
        seed_arqs(db_url, size)
        c = Client(url)  # a fresh connection: seeding outlasts the server's idle timeout
        try:
            timings = {}
            for i in range(samples):
                cycle(c, rps[i % len(rps)], timings)
            out[size] = timings["bind"]
        finally:
            c.close()
    return out


def show(title, timings, ok, rate, total, used):
    print(f"\n{title}: {total} cycles, {ok} bound, {rate:.0f} cycles/s; {loadavg()}")
    print("  CPU per cycle: " + ", ".join(
        f"{who} {sec * 1000:.2f} ms" for who, sec in used.items())
        + f" (all: {sum(used.values()) * rate * 100:.0f}% of one core)")
    print(f"  {'op':8} {'median ms':>10} {'p95 ms':>8}")
    for k in ("create", "bind", "get", "unbind", "delete", "cycle"):
        print(f"  {k:8} {statistics.median(timings[k]):10.2f} {pct(timings[k], 0.95):8.2f}")


def concurrent_round(url, rps, per, watch, title):
    """One round of 16 clients on fresh connections; prints it, returns (rate, bound,
    accel-api CPU seconds per cycle)."""
    workers_now = worker_pids(server_pids(url))
    before = [process_cpu([pid]) for pid in workers_now]
    timings, ok, rate, cpu = run_cycles(url, rps, 16, per, watch)
    split = [process_cpu([pid]) - b for pid, b in zip(workers_now, before, strict=True)]
    shares = "/".join(f"{100 * x / (sum(split) or 1):.0f}" for x in split)
    show(title, timings, ok, rate, 16 * per, cpu)
    print(f"  accel-api CPU split between workers: {shares} %")
    return rate, ok, cpu.get("accel-api", 0), cpu


def summarize_rounds(rounds, per):
    rates = sorted(r[0] for r in rounds)
    return {"concurrent_rate": statistics.median(rates), "rates": rates,
            "bound": sum(r[1] for r in rounds), "cycles": 16 * per * len(rounds),
            "cpu_ms": sorted(r[2] * 1000 for r in rounds),
            # CPU per cycle by who (client, accel-api, PostgreSQL): medians over rounds
            "who_ms": {who: statistics.median(r[3][who] * 1000 for r in rounds)
                       for who in rounds[0][3]}}


def concurrent_rounds(url, rps, args, watch):
    """Rounds of 16 clients, each round on fresh connections (how they spread over the
    workers moves the figure); prints each, returns the rates and CPU per cycle."""
    per = 10 if args.quick else 40
    rounds = [concurrent_round(url, rps, per, watch, f"16 concurrent clients, round {n + 1}")
              for n in range(2 if args.quick else 3)]
    return summarize_rounds(rounds, per)


def bench_backend(name, db_url, workers, args, db_pids=None):
    print(f"\n=== {name}: {workers} worker(s), default [api] threads ===")
    with tempfile.TemporaryDirectory() as state:
        with running_server(state_dir=state, workers=workers, database=db_url,
                            config=SERVER_CONFIG) as url:
            rps = setup(url)
            # Warm-up, not counted: pools, and psycopg prepares a statement on a
            # connection at its fifth execution there (the steady state of a server).
            run_cycles(url, rps, 16, 5 if args.quick else 15)
            n_seq = 40 if args.quick else 150
            watch = [("accel-api", server_pids(url))]
            if db_pids is not None:
                watch.append(("PostgreSQL", db_pids()))
            timings, ok, rate, cpu = run_cycles(url, rps, 1, n_seq, watch)
            show("sequential", timings, ok, rate, n_seq, cpu)
            result = concurrent_rounds(url, rps, args, watch)
            sizes = (100, 10_000, 100_000)
            lat = bind_latency(url, db_url, rps, sizes, 20 if args.quick else 40)
            print("\n  bind latency vs ARQs in the table "
                  f"(Cyborg/SQLite: 100 ms @ ~20, 513 ms @ ~320); {loadavg()}")
            print(f"  {'ARQs':>8} {'median ms':>10} {'p95 ms':>8}")
            for size in sizes:
                print(f"  {size:8d} {statistics.median(lat[size]):10.2f} "
                      f"{pct(lat[size], 0.95):8.2f}")
            flat = statistics.median(lat[100_000]) / statistics.median(lat[100])
            med = statistics.median(lat[100_000])
            print(f"  100k/100 ratio {flat:.2f} (target <= 1.5); "
                  f"vs Cyborg @320: {CYBORG_BIND_MS[320] / med:.0f}x faster at 100k ARQs")
            result.update(bind_median=statistics.median(lat[100]), flat=flat,
                          bind_median_100k=med)
            return result


def siege(url, rps, args):
    """A fresh client's requests while 1,000 idle and 50 slowloris connections are held:
    latencies, failures, RSS; then 1,000 concurrent GETs."""
    port = urllib.parse.urlsplit(url).port
    slow_clients.raise_open_files_limit(4096)
    pids = server_pids(url)
    rss0 = slow_clients.rss_mib(pids)
    idle = slow_clients.IdleConnections(port, 1000)
    loris = slow_clients.Slowloris(port, 50)
    loris.start()
    trickle = slow_clients.Slowloris(port, 20, body=True)
    trickle.start()
    out = {"rss_before": rss0}
    try:
        time.sleep(1)
        budget = 20 if args.quick else 40  # seconds per kind of request, at most
        for kind, count in (("get", 100 if args.quick else 300),
                            ("cycle", 20 if args.quick else 60)):
            times, failed, end = [], 0, time.monotonic() + budget
            for i in range(count):
                if time.monotonic() > end:
                    break
                try:
                    if kind == "get":
                        status, _, ms = slow_clients.request(port, "GET", "/v2", timeout=5)
                        if status != 200:
                            raise RuntimeError(status)
                    else:
                        ms = slow_clients.claim_cycle(port, "bench", HOST, rps[i % len(rps)],
                                                      str(uuid.uuid4()), timeout=5)
                    times.append(ms)
                except (OSError, AssertionError, RuntimeError):
                    failed += 1
            out[kind] = (times, failed)
        out["rss_held"] = slow_clients.rss_mib(pids)
        out["idle_open"] = idle.open_count()
        out["loris_closed"] = loris.closed
        out["trickle_closed"] = trickle.closed
    finally:
        trickle.close()
        loris.close()
        idle.close()
    time.sleep(1)
    out["concurrent"] = slow_clients.concurrent_gets(port, 1000, timeout=60)
    return out


def _baseline_command(rev, stack):
    """argv and environment that run accel-api as of git revision ``rev``."""
    tree = stack.enter_context(tempfile.TemporaryDirectory())
    archive = subprocess.run(["git", "-C", TOP, "archive", rev, "accel_api"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
    # PYTHONSAFEPATH: "-m" must not put the working directory (this tree) first
    env = dict(os.environ, PYTHONPATH=tree, PYTHONSAFEPATH="1")
    return [sys.executable, "-m", "accel_api.cmd.accel_api"], env


def _bench_database(stack, admin, pg_url):
    """A PostgreSQL database of the run's own, dropped when ``stack`` closes."""
    db = f"accel_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {db}")

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{db}' AND pid <> pg_backend_pid()")
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {db}")

    stack.callback(drop)
    return sa.make_url(pg_url).set(database=db).render_as_string(False)


def bench_servers(args, admin):
    """The built-in server and the baseline's, side by side on PostgreSQL, 2 workers.

    Both run at once, each on a database of its own, and their rounds alternate
    (A B B A ...): whatever else the machine does moves both figures alike, where
    back-to-back phases gave one server a quiet box and the other a busy one. The
    siege then runs on each in turn (the other one idle)."""
    results = []
    with contextlib.ExitStack() as stack:
        servers = [("granian", None, None)]
        if args.baseline:
            try:
                command, env = _baseline_command(args.baseline, stack)
                servers.append((f"cheroot@{args.baseline[:7]}", command, env))
            except (subprocess.CalledProcessError, OSError) as exc:
                print(f"\nbaseline {args.baseline} not available ({exc}); this tree only")
        started, watches = [], []
        for name, command, env in servers:
            db_url = _bench_database(stack, admin, args.pg_url)
            state = stack.enter_context(tempfile.TemporaryDirectory())
            url = stack.enter_context(running_server(
                state_dir=state, workers=2, database=db_url, config=SERVER_CONFIG,
                command=command, env=env))
            rps = setup(url)
            run_cycles(url, rps, 16, 5 if args.quick else 15)  # warm-up
            database = sa.make_url(db_url).database
            started.append((name, url, rps, []))
            watches.append(lambda database=database: db_backend_pids(admin, database))
        per = 10 if args.quick else 25
        print(f"\n=== {' vs '.join(n for n, *_ in started)}: PostgreSQL, 2 workers each, "
              f"rounds alternating; {loadavg()} ===")
        order = list(zip(started, watches, strict=True))
        for n in range(2 if args.quick else 8):
            for (name, url, rps, rounds), db_pids in (order if n % 2 == 0 else order[::-1]):
                rounds.append(concurrent_round(
                    url, rps, per, [("accel-api", server_pids(url)),
                                    ("PostgreSQL", db_pids())],
                    f"{name}: 16 concurrent clients, round {n + 1}"))
        for name, url, rps, rounds in started:
            result = summarize_rounds(rounds, per)
            result["siege"] = siege(url, rps, args)
            result["load"] = loadavg()
            results.append((name, result))
    show_servers(results, [rounds for *_, rounds in started])


def _latency(times, failed):
    if not times:
        return f"none answered, {failed} failed"
    return (f"p50 {pct(times, 0.5):.1f} p99 {pct(times, 0.99):.1f} ms"
            + (f", {failed} failed" if failed else "") + f" (n={len(times)})")


def paired_ratios(rounds_a, rounds_b):
    """Round n of A over round n of B: the two ran back to back (A B B A ...), so each
    ratio sees the machine as it was then, where the medians of each see it over the
    whole run (this box's speed drifts by tens of percent within minutes)."""
    return sorted(a[0] / b[0] for a, b in zip(rounds_a, rounds_b, strict=True))


def show_servers(results, rounds):
    print(f"\n=== servers side by side (PostgreSQL, 2 workers); {loadavg()} ===")
    rows = [
        ("16 clients, cycles/s (median; rounds)", lambda r: (
            f"{r['concurrent_rate']:.0f} ({', '.join(f'{x:.0f}' for x in r['rates'])})")),
        ("CPU per cycle: accel-api", lambda r: (
            f"{statistics.median(r['cpu_ms']):.2f} ms")),
        ("  PostgreSQL / the 16 clients", lambda r: (
            f"{r['who_ms']['PostgreSQL']:.2f} / {r['who_ms']['client']:.2f} ms")),
        ("  all: cycles/s it allows on 2 cores", lambda r: (
            f"{sum(r['who_ms'].values()):.2f} ms: "
            f"{2000 / sum(r['who_ms'].values()):.0f}/s")),
        ("fresh GET /v2 under siege", lambda r: _latency(*r["siege"]["get"])),
        ("fresh full cycle under siege", lambda r: _latency(*r["siege"]["cycle"])),
        ("idle connections open at the end", lambda r: (
            f"{r['siege']['idle_open']} of 1000 (10 s idle timeout)")),
        ("closed: header / body tricklers", lambda r: (
            f"{r['siege']['loris_closed']} of 50 / {r['siege']['trickle_closed']} of 20")),
        ("1,000 concurrent GETs answered", lambda r: f"{r['siege']['concurrent']}"),
        ("RSS before / under siege", lambda r: (
            f"{r['siege']['rss_before']:.0f} / {r['siege']['rss_held']:.0f} MiB")),
        ("load average at the end", lambda r: r["load"].split()[-3]),
    ]
    width = max(len(label) for label, _ in rows)
    print(f"  {'':{width}}  " + "  ".join(f"{name:38}" for name, _ in results))
    for label, cell in rows:
        print(f"  {label:{width}}  " + "  ".join(f"{cell(r):38}" for _, r in results))
    print("  (siege: 1,000 idle keep-alive connections, 50 clients sending headers and 20 "
          "sending bodies a byte a second; target p99 < 100 ms)")
    if len(results) == 2:
        ratios = paired_ratios(*rounds)
        print(f"  {results[0][0]} / {results[1][0]} cycles/s, round by round: median "
              f"{statistics.median(ratios):.2f} (" + ", ".join(f"{r:.2f}" for r in ratios)
              + "); target >= 1.00 (must not lose), aim 600 cycles/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer cycles (CI smoke)")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="PostgreSQL admin URL")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--servers-only", action="store_true",
                        help="only the side-by-side servers on PostgreSQL")
    parser.add_argument("--baseline", default=BASELINE,
                        help="git revision whose server runs beside this tree's")
    parser.add_argument("--no-baseline", dest="baseline", action="store_const", const=None)
    args = parser.parse_args()
    if args.servers_only:
        admin = sa.create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        try:
            bench_servers(args, admin)
        finally:
            admin.dispose()
        return
    t0 = time.perf_counter()
    print(f"accel-api claims benchmark; {os.cpu_count()} CPUs; {loadavg()}")
    results = {}
    with tempfile.TemporaryDirectory() as d:
        url = f"sqlite:///{os.path.join(d, 'bench.sqlite')}"
        migrate.upgrade(url)
        results["sqlite"] = bench_backend("SQLite (embedded)", url, 1, args)
    if not args.no_pg:
        name = f"accel_bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
        except sa.exc.OperationalError as exc:
            print(f"\nPostgreSQL not reachable ({str(exc.orig)[:80]}); skipped")
        else:
            try:
                url = sa.make_url(args.pg_url).set(database=name).render_as_string(False)
                results["postgresql"] = bench_backend(
                    "PostgreSQL", url, 2, args, db_pids=lambda: db_backend_pids(admin, name))
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(
                        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            bench_servers(args, admin)
        admin.dispose()
    print(f"\n=== summary (ours | target | reference); {loadavg()} ===")
    for backend, r in results.items():
        print(f"  {backend:10} bind median {r['bind_median']:.2f} ms @100 ARQs, "
              f"{r['bind_median_100k']:.2f} ms @100k (<= 10 | Cyborg 100 ms @20, "
              f"513 ms @320)")
        print(f"  {'':10} 100k/100 {r['flat']:.2f} (<= 1.5 | Cyborg 5.1 at 320/20)")
        print(f"  {'':10} {r['concurrent_rate']:.0f} cycles/s with 16 clients (median of "
              f"{len(r['rates'])} rounds: {', '.join(f'{x:.0f}' for x in r['rates'])}), "
              f"{r['bound']}/{r['cycles']} bound"
              + (" (>= 300 on PostgreSQL, 2 workers)" if backend == "postgresql" else ""))
    print(f"\nwhole run: {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
