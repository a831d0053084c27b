"""A real Nova (the ``nova`` package from PyPI) on loopback, with a real Keystone.

nova-api (``nova.wsgi.osapi_compute:application`` under cheroot, nova's own
``api-paste.ini``: keystonemiddleware's auth_token in the pipeline, as deployed),
nova-conductor, nova-scheduler and one nova-compute per host with the fake driver (its
nodename is ``[DEFAULT] host``). Messaging is a RabbitMQ vhost and user of this run's
own (``RabbitVhost``); the API database and cells 0 and 1 are PostgreSQL databases of
this run's own (``pg_databases``: three Nova processes on SQLite files lock each other
out). Compute hosts are mapped into cell1 by ``discover_hosts()`` once their compute
nodes exist (the scheduler's periodic discovery is no help here: its first run comes
after a random ``periodic_fuzzy_delay`` of up to a minute, and with nova 34 on
oslo.service's threading backend the scheduler's periodic loop stops after that run,
"A dynamic interval looping call should supply either an interval or
periodic_interval_max", so hosts made later would never be mapped).

Nova talks to the accelerator service as in production: the user's token wrapped with
Nova's service token (``[service_user] send_service_user_token``), accel-api found in
the Keystone catalog (service type ``accelerator``); Placement too is found in the
catalog and authenticated with the ``nova`` user.
"""

import contextlib
import http.server
import json
import os
import secrets
import subprocess
import sys
import threading
import uuid

import sqlalchemy as sa

from tests.realprocs import base

PG_ADMIN_URL = os.environ.get("ACCEL_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOVA_PASSWORD = "nova-pw"
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class RabbitVhost:
    """A RabbitMQ vhost and user of this run's own on the local broker (the broker itself
    is never restarted). ``url`` (the oslo.messaging transport URL) is known before
    ``create()``, so Nova's schema steps need not wait for the broker."""

    def __init__(self):
        self.name = f"accel-nova-{uuid.uuid4().hex[:10]}"
        self._password = secrets.token_hex(12)
        self.url = f"rabbit://{self.name}:{self._password}@127.0.0.1:5672/{self.name}"

    @staticmethod
    def _ctl(*args):
        subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)

    def create(self):
        self._ctl("add_vhost", self.name)
        self._ctl("add_user", self.name, self._password)
        self._ctl("set_permissions", "-p", self.name, self.name, ".*", ".*", ".*")
        return self

    def delete(self):
        """Both removed (whichever exists: also after a create that failed halfway)."""
        for args in (("delete_user", self.name), ("delete_vhost", self.name)):
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self._ctl(*args)


@contextlib.contextmanager
def pg_databases(*roles):
    """Empty PostgreSQL databases, one per role (Nova's api, cell0, cell1; Placement's),
    uniquely named; dropped afterwards
    (their sessions ended first). Yields {role: oslo.db URL}: psycopg2, as nova is
    tested with (with psycopg 3, which SQLAlchemy now picks for postgresql://, nova's
    compute nodes fail: psycopg 3 returns inet columns as ipaddress objects)."""
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    tag = uuid.uuid4().hex[:10]
    names = {role: f"nova_{role}_{tag}" for role in roles}
    made = []
    admin = sa.make_url(PG_ADMIN_URL)
    try:
        with engine.connect() as conn:
            for name in names.values():
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
                made.append(name)
        yield {role: admin.set(drivername="postgresql+psycopg2", database=name)
               .render_as_string(hide_password=False) for role, name in names.items()}
    finally:
        with engine.connect() as conn:
            for name in made:
                conn.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        engine.dispose()


class NeutronStub:
    """Neutron is not one of the packages this project runs (no SmartNIC path is tested
    through Nova here), so no real one can be started: servers boot with
    ``"networks": "none"``, and Nova's only calls are the listings of its delete path
    (ports, networks) and of the extensions, answered empty. Anything else is a 404 the
    test sees (a failed delete, an ERROR server)."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?")[0].rstrip("/")
                body = {"/v2.0/ports": {"ports": []},
                        "/v2.0/networks": {"networks": []},
                        "/v2.0/extensions": {"extensions": []}}.get(path)
                data = json.dumps(body if body is not None else {"error": path}).encode()
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Nova:
    """``databases``: {"api", "cell0", "cell1"} URLs; ``keystone``: a started Keystone
    (the ``nova`` user is made here); ``glance_url``; ``transport_url``; ``neutron_url``."""

    def __init__(self, workdir, keystone, databases, transport_url, glance_url, neutron_url,
                 arq_binding_timeout=60):
        self.workdir = str(workdir)
        self.keystone = keystone
        self.databases = databases
        self.transport_url = transport_url
        self.glance_url = glance_url
        self.neutron_url = neutron_url
        self.arq_binding_timeout = arq_binding_timeout
        self.port = base.free_port()
        self.url = f"http://127.0.0.1:{self.port}/v2.1"
        self.procs = {}

    # -- configuration -----------------------------------------------------------------

    def write_config(self):
        w = self.workdir
        ks = self.keystone
        os.makedirs(os.path.join(w, "locks"), exist_ok=True)
        venv = os.path.dirname(os.path.dirname(sys.executable))
        paste = os.path.join(venv, "etc", "nova", "api-paste.ini")
        if not os.path.exists(paste):
            raise RuntimeError(f"nova's api-paste.ini is not at {paste} (is nova installed?)")
        self.paste = paste
        nova_auth = ks.auth_options("nova", NOVA_PASSWORD)
        common = f"""[DEFAULT]
transport_url = {self.transport_url}
compute_driver = fake.FakeDriver
use_stderr = true
debug = false
graceful_shutdown_timeout = 2
state_path = {w}/state
# Seconds nova-compute waits for accelerator-request-bound: docs/programming.rst says at
# least accel-api's [programming] job_timeout + 2 x [claims] async_bind_lease (the
# tests' accel-api: 60 + 2 x 30); a lost event then fails the test, not the CI run.
arq_binding_timeout = {self.arq_binding_timeout}
[api]
auth_strategy = keystone
[wsgi]
api_paste_config = {paste}
[oslo_concurrency]
lock_path = {w}/locks
[oslo_messaging_notifications]
driver = noop
[conductor]
workers = 1
[scheduler]
workers = 1
[keystone_authtoken]
www_authenticate_uri = {ks.url}
{nova_auth}[service_user]
send_service_user_token = true
{nova_auth}[placement]
{nova_auth}[glance]
api_servers = {self.glance_url}
[cyborg]
region_name = RegionOne
[neutron]
auth_type = admin_token
token = unused-by-the-stub
endpoint_override = {self.neutron_url}
[os_vif_ovs]
"""
        with open(os.path.join(w, "nova.conf"), "w") as f:
            f.write(common)
        # Database options for the control plane only (nova-compute gets none).
        with open(os.path.join(w, "nova-db.conf"), "w") as f:
            f.write(f"[api_database]\nconnection = {self.databases['api']}\n"
                    f"[database]\nconnection = {self.databases['cell1']}\n")
        return paste

    def _argv(self, program, *extra):
        w = self.workdir
        return [base.venv_bin(program), "--config-file", f"{w}/nova.conf",
                "--config-file", f"{w}/nova-db.conf", *extra]

    def create_schema(self):
        """The four ``nova-manage`` schema steps, in the order they depend on each other
        (the slow part of a Nova start: ~45-80 s here)."""
        steps = [["api_db", "sync"],
                 ["cell_v2", "map_cell0", "--database_connection", self.databases["cell0"]],
                 ["cell_v2", "create_cell", "--name", "cell1", "--verbose"],
                 ["db", "sync"]]
        log = os.path.join(self.workdir, "nova-manage.log")
        for step in steps:
            with open(log, "ab") as f:
                done = subprocess.run(self._argv("nova-manage", *step), stdout=f,
                                      stderr=subprocess.STDOUT, timeout=300, check=False)
            if done.returncode:
                raise RuntimeError(f"nova-manage {' '.join(step[:2])} failed:\n"
                                   f"{base.file_tail(log, 3000)}")

    def discover_hosts(self):
        """``nova-manage cell_v2 discover_hosts``: map the compute nodes made so far."""
        log = os.path.join(self.workdir, "nova-manage.log")
        with open(log, "ab") as f:
            done = subprocess.run(self._argv("nova-manage", "cell_v2", "discover_hosts",
                                             "--verbose"),
                                  stdout=f, stderr=subprocess.STDOUT, timeout=300, check=False)
        if done.returncode:
            raise RuntimeError(f"nova-manage cell_v2 discover_hosts failed:\n"
                               f"{base.file_tail(log, 3000)}")

    # -- processes ---------------------------------------------------------------------

    def _spawn(self, name, argv, env=None):
        self.procs[name] = base.Process(argv, os.path.join(self.workdir, f"{name}.log"),
                                        env=env, cwd=TOP)
        return self.procs[name]

    def start_control_plane(self, timeout=120):
        """nova-api, nova-conductor, nova-scheduler; returns once nova-api answers."""
        self.write_config()
        self.keystone.ensure_user("nova", NOVA_PASSWORD, "service", ["admin", "service"])
        self.keystone.ensure_endpoint("compute", "nova", self.url)
        self._spawn("nova-conductor", self._argv("nova-conductor"))
        self._spawn("nova-scheduler", self._argv("nova-scheduler"))
        w = self.workdir
        # nova's WSGI app loads its pipeline from the first file (the paste file first);
        # absolute paths override the OS_NOVA_CONFIG_DIR they are joined to.
        env = dict(os.environ,
                   OS_NOVA_CONFIG_FILES=f"{self.paste};{w}/nova.conf;{w}/nova-db.conf")
        api = self._spawn("nova-api", [
            sys.executable, "-m", "tests.realprocs.wsgi_serve",
            "nova.wsgi.osapi_compute:application", "127.0.0.1", str(self.port)], env=env)
        base.wait_http(f"http://127.0.0.1:{self.port}/", api, timeout=timeout)
        return self

    def start_compute(self, host, debug=False):
        """nova-compute for ``host`` (fake driver: nodename = host); returns at once.
        ``debug``: its log shows the external events it waits for and receives."""
        conf = os.path.join(self.workdir, f"compute-{host}.conf")
        with open(conf, "w") as f:
            f.write(f"[DEFAULT]\nhost = {host}\nstate_path = {self.workdir}/state-{host}\n"
                    f"debug = {str(debug).lower()}\n"
                    f"instances_path = {self.workdir}/instances-{host}\n")
        return self._spawn(f"nova-compute-{host}", [
            base.venv_bin("nova-compute"), "--config-file", f"{self.workdir}/nova.conf",
            "--config-file", conf])

    def check_alive(self):
        for name, proc in self.procs.items():
            if not proc.alive:
                raise RuntimeError(f"{name} exited with {proc.proc.returncode}:\n"
                                   f"{proc.log_tail()}")

    def log(self, name, limit=10 ** 7):
        return base.file_tail(os.path.join(self.workdir, f"{name}.log"), limit)

    def stop(self):
        base.stop_all(self.procs.values(), timeout=10)
        self.procs.clear()
