"""Shared helpers of accel_api's tests and benchmark: inventories, servers, databases."""

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid

import pytest
import requests
import sqlalchemy as sa

from tests.realprocs.base import free_port  # noqa: F401  (one helper for every test)

PG_ADMIN_URL = os.environ.get("ACCEL_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MYSQL_ADMIN_URL = os.environ.get("ACCEL_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")


def inventory(hostname="host-1", devices=2, handles_per_device=2, resource_class="FPGA",
              traits=("CUSTOM_FPGA_INTEL",), bus_base=0x3B):
    """A valid inventory document: ``devices`` cards, each one region with N VFs as handles."""
    devs = []
    for d in range(devices):
        bus = f"{bus_base + d:02x}"
        addr = f"0000:{bus}:00.0"
        handles = [{"type": "PCI", "address": f"0000:{bus}:{(h // 8):02x}.{h % 8}"}
                   for h in range(handles_per_device)]
        devs.append({
            "id": addr, "type": "FPGA", "vendor": "Intel", "vendor_id": "0x8086",
            "device_id": "0x09c4", "model": "PAC Arria10", "driver": "intel_fpga",
            "functions": [{"address": addr, "vendor_id": "0x8086", "device_id": "0x09c4",
                           "class_code": "0x120000", "role": "accelerator"}],
            "deployables": [{
                "id": f"{addr}/region0", "name": f"{hostname}-{addr}-region0", "kind": "region",
                "parent": None, "root": f"{addr}/region0",
                "num_accelerators": handles_per_device, "resource_class": resource_class,
                "traits": list(traits), "attach_handles": handles,
                "attributes": {"region_id": f"r{d}"},
            }],
        })
    return {"schema_version": "1.0", "host": {"hostname": hostname}, "devices": devs}


def wsgi_call(app, method, path, body=None, headers=None):
    """One request to a WSGI app in-process (JSON body); the WebOb response."""
    import json

    from webob import Request

    req = Request.blank(path, method=method, headers=headers or {})
    if body is not None:
        req.body = json.dumps(body).encode()
        req.content_type = "application/json"
    return req.get_response(app)


def inprocess_app(state_dir, config_file=None):
    """accel-api's app on a migrated SQLite database under ``state_dir``: (app, conf)."""
    from accel_api.api.app import load_conf, make_app
    from accel_api.db import engine, migrate

    conf = load_conf(args=["--config-file", config_file] if config_file else [])
    conf.set_override("state_dir", state_dir)
    migrate.upgrade(engine.default_url(state_dir))
    return make_app(conf), conf


def sqlite_database(folder):
    """A migrated accel_api database in ``folder`` (SQLite); the caller disposes of it."""
    from accel_api.db import migrate
    from accel_api.db.engine import Database

    url = f"sqlite:///{folder}/t.sqlite"
    migrate.upgrade(url)
    return Database(url)


def write_htpasswd(path, users):
    """users: {name: password} -> bcrypt htpasswd file."""
    import bcrypt

    with open(path, "w") as f:
        for name, password in users.items():
            f.write(f"{name}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()}\n")


@contextlib.contextmanager
def running_server(state_dir=None, config=None, workers=1, database=None, args=(),
                   command=None, env=None):
    """Start the real ``accel-api`` console script on a free port; yields the base URL.

    ``command``: another argv to start instead of the console script (bench/claims.py
    runs an earlier tree's ``python -m accel_api.cmd.accel_api``), with ``env``."""
    with contextlib.ExitStack() as stack:
        if state_dir is None:
            state_dir = stack.enter_context(tempfile.TemporaryDirectory())
        port = free_port()
        cmd = list(command or [os.path.join(os.path.dirname(sys.executable), "accel-api")])
        cmd += ["serve", "--port", str(port), "--state-dir", state_dir,
                "--workers", str(workers)]
        path = os.path.join(state_dir, "accel-api.conf")
        with open(path, "w") as f:
            # Short idle timeout: the test's keep-alive clients must not delay shutdown.
            f.write(config or "[api]\nclient_socket_timeout = 2\n")
        cmd += ["--config-file", path]
        if database:
            subprocess.run(cmd[:cmd.index("serve")] + ["dbsync", "--database", database],
                           check=True, env=env)
            cmd += ["--database", database]
        cmd += list(args)
        log = open(os.path.join(state_dir, "accel-api.log"), "w")  # noqa: SIM115
        stack.callback(log.close)
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90  # a loaded 2-core CI box starts slowly
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"accel-api exited: {open(log.name).read()[-2000:]}")
                try:
                    requests.get(url + "/", timeout=1)
                    break
                except requests.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            yield url
        finally:
            stop_process(proc, 15)


def child_pids(pid):
    """The processes whose parent is ``pid`` (from /proc): a server's workers."""
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdecimal():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(entry))
            except OSError:
                continue
    return kids


def process_name(pid):
    """The first word of a process's command line ("" once it is gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return ""


def server_pids():
    """The accel-api servers this test process started (``running_server``'s children)
    and their workers, the serving processes first: killed in that order, nothing
    restarts a worker."""
    servers = [p for p in child_pids(os.getpid()) if process_name(p).startswith("accel-api")]
    return servers + [w for p in servers for w in child_pids(p)]


def stop_process(proc, timeout):
    """SIGTERM, then SIGKILL past ``timeout`` seconds; returns the exit status."""
    proc.terminate()
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


#: The databases accel-api supports, as pytest parameters (``scratch_database`` kinds).
DATABASE_KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql),
                  pytest.param("mysql", marks=pytest.mark.mysql)]


def _require(reason):
    if os.environ.get("ACCEL_REQUIRE_DATABASES") == "1":
        pytest.fail(f"{reason} (ACCEL_REQUIRE_DATABASES=1)")
    pytest.skip(reason)


@contextlib.contextmanager
def scratch_database(kind):
    """A uniquely named, empty database on PostgreSQL or MariaDB; dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as d:
            yield f"sqlite:///{os.path.join(d, 'test.sqlite')}"
        return
    admin_url = PG_ADMIN_URL if kind == "postgresql" else MYSQL_ADMIN_URL
    name = f"accel_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.OperationalError as exc:
        engine.dispose()
        _require(f"{kind} server not reachable at {admin_url}: {str(exc.orig)[:120]}")
    try:
        yield str(sa.make_url(admin_url).set(database=name).render_as_string(False))
    finally:
        with engine.connect() as conn:
            if kind == "postgresql":
                conn.exec_driver_sql(
                    f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        engine.dispose()
