"""Claims benchmark: accel-api (real server processes) vs Cyborg's measured figures.

Cycles of create -> bind -> get -> unbind -> delete through the HTTP API, sequential and
with 16 concurrent clients, on SQLite (embedded, 1 worker) and PostgreSQL (2 workers);
then bind latency with 100, 10,000 and 100,000 ARQs already in the table (seeded with
bulk inserts). Prints medians, p95 and throughput next to the reference:

* Cyborg, this kind of machine, in-process RPC, SQLite: bind median 100 ms with ~20
  ARQs, 513 ms with ~320 (its bind reads the whole ARQ table).
* Targets: bind median <= 10 ms and flat (100,000 ARQs within 1.5x of 100);
  >= 300 full cycles/s with 16 clients on PostgreSQL across 2 workers.

Usage: python bench/claims.py [--quick] [--pg-url URL] [--no-pg]
"""

import argparse
import concurrent.futures
import os
import statistics
import sys
import tempfile
import time
import uuid

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOP)

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from accel_api import states  # noqa: E402
from accel_api.db import migrate  # noqa: E402
from accel_api.db import models as m  # noqa: E402
from tests.accel_api_helpers import PG_ADMIN_URL, inventory, running_server  # noqa: E402

CYBORG_BIND_MS = {20: 100.0, 320: 513.0}
HOST = "bench-host"
DEVICES, HANDLES = 8, 8  # 64 handles: enough for 16 clients holding one each


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def setup(url):
    s = requests.Session()
    assert s.put(f"{url}/v2/hosts/{HOST}/inventory",
                 json=inventory(HOST, DEVICES, HANDLES)).status_code == 200
    r = s.post(f"{url}/v2/device_profiles",
               json=[{"name": "bench", "groups": [{"resources:FPGA": "1"}]}])
    assert r.status_code in (201, 409), r.text
    return [d["rp_uuid"] for d in s.get(f"{url}/v2/deployables").json()["deployables"]]


def cycle(s, url, rp_uuid, timings):
    t0 = time.perf_counter()
    arq = s.post(f"{url}/v2/accelerator_requests",
                 json={"device_profile_name": "bench"}).json()["arqs"][0]["uuid"]
    t1 = time.perf_counter()
    r = s.patch(f"{url}/v2/accelerator_requests", json={arq: [
        {"path": "/hostname", "op": "add", "value": HOST},
        {"path": "/device_rp_uuid", "op": "add", "value": rp_uuid},
        {"path": "/instance_uuid", "op": "add", "value": str(uuid.uuid4())}]})
    t2 = time.perf_counter()
    bound = r.status_code == 202
    s.get(f"{url}/v2/accelerator_requests/{arq}")
    t3 = time.perf_counter()
    s.patch(f"{url}/v2/accelerator_requests", json={arq: [
        {"path": "/hostname", "op": "remove"}, {"path": "/device_rp_uuid", "op": "remove"},
        {"path": "/instance_uuid", "op": "remove"}]})
    t4 = time.perf_counter()
    s.delete(f"{url}/v2/accelerator_requests", params={"arqs": arq})
    t5 = time.perf_counter()
    for name, value in (("create", t1 - t0), ("bind", t2 - t1), ("get", t3 - t2),
                        ("unbind", t4 - t3), ("delete", t5 - t4), ("cycle", t5 - t0)):
        timings.setdefault(name, []).append(value * 1000)
    return bound


def client(args):
    url, rp_uuid, n = args
    s = requests.Session()
    timings = {}
    ok = sum(cycle(s, url, rp_uuid, timings) for _ in range(n))
    return timings, ok


def run_cycles(url, rps, clients, per_client):
    jobs = [(url, rps[i % len(rps)], per_client) for i in range(clients)]
    merged, ok = {}, 0
    t0 = time.perf_counter()
    if clients == 1:
        results = [client(jobs[0])]
    else:
        with concurrent.futures.ProcessPoolExecutor(clients) as pool:
            results = list(pool.map(client, jobs))
    wall = time.perf_counter() - t0
    for timings, good in results:
        ok += good
        for k, v in timings.items():
            merged.setdefault(k, []).extend(v)
    return merged, ok, clients * per_client / wall


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
    finally:
        engine.dispose()


def bind_latency(url, db_url, rps, sizes, samples):
    out = {}
    s = requests.Session()
    for size in sizes:
        seed_arqs(db_url, size)
        timings = {}
        for i in range(samples):
            cycle(s, url, rps[i % len(rps)], timings)
        out[size] = timings["bind"]
    return out


def show(title, timings, ok, rate, total):
    print(f"\n{title}: {total} cycles, {ok} bound, {rate:.0f} cycles/s")
    print(f"  {'op':8} {'median ms':>10} {'p95 ms':>8}")
    for k in ("create", "bind", "get", "unbind", "delete", "cycle"):
        print(f"  {k:8} {statistics.median(timings[k]):10.2f} {pct(timings[k], 0.95):8.2f}")


def bench_backend(name, db_url, workers, args):
    print(f"\n=== {name}: {workers} worker(s) ===")
    with tempfile.TemporaryDirectory() as state:
        with running_server(state_dir=state, workers=workers, database=db_url,
                            config="[api]\nclient_socket_timeout = 2\nthreads = 32\n"
                                   "[database]\npool_size = 20\n") as url:
            rps = setup(url)
            n_seq = 40 if args.quick else 120
            timings, ok, rate = run_cycles(url, rps, 1, n_seq)
            show("sequential", timings, ok, rate, n_seq)
            per = 8 if args.quick else 25
            timings, ok, rate = run_cycles(url, rps, 16, per)
            show("16 concurrent clients", timings, ok, rate, 16 * per)
            result = {"concurrent_rate": rate}
            sizes = (100, 10_000, 100_000)
            lat = bind_latency(url, db_url, rps, sizes, 20 if args.quick else 40)
            print("\n  bind latency vs ARQs in the table "
                  "(Cyborg/SQLite: 100 ms @ ~20, 513 ms @ ~320)")
            print(f"  {'ARQs':>8} {'median ms':>10} {'p95 ms':>8}")
            for size in sizes:
                print(f"  {size:8d} {statistics.median(lat[size]):10.2f} "
                      f"{pct(lat[size], 0.95):8.2f}")
            flat = statistics.median(lat[100_000]) / statistics.median(lat[100])
            med = statistics.median(lat[100_000])
            print(f"  100k/100 ratio {flat:.2f} (target <= 1.5); "
                  f"vs Cyborg @320: {CYBORG_BIND_MS[320] / med:.0f}x faster at 100k ARQs")
            result.update(bind_median=statistics.median(lat[100]), flat=flat)
            return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer cycles (CI smoke)")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="PostgreSQL admin URL")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args()
    t0 = time.perf_counter()
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
                results["postgresql"] = bench_backend("PostgreSQL", url, 2, args)
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(
                        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()
    print("\n=== summary (target | reference) ===")
    for backend, r in results.items():
        print(f"  {backend:10} bind median {r['bind_median']:.2f} ms (<= 10 | Cyborg 100 ms), "
              f"100k/100 {r['flat']:.2f} (<= 1.5 | Cyborg 5.1 at 320/20), "
              f"{r['concurrent_rate']:.0f} cycles/s with 16 clients"
              + (" (>= 300 on PostgreSQL, 2 workers)" if backend == "postgresql" else ""))
    print(f"\nwhole run: {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
