"""One real cloud for the module: Keystone, Placement, Glance, Nova, accel-api, agents.

Every call between services is authenticated by the real Keystone, as deployed: Nova's
API runs keystonemiddleware; Nova calls accel-api (found in the catalog) with the
user's token and its service token, accel-api checks both with its ``keystone``
strategy; accel-api reports to Placement (keystone auth) with a keystoneauth session of
its own user; each accel-agent reports as ``accel-agent@<host>``.

Four hypervisors with nova-compute's fake driver, started so that both start orders
run in one setup:

* ``compute-a`` (fixture ``host-a``, FPGA cards): nova-compute first, its agent once
  the compute node's provider exists;
* ``compute-b`` (fixture ``gpu-vfio``, L40S on NVIDIA's VF framework): the agent first
  (accel-api shows the host waiting for its compute node), then nova-compute;
* ``compute-c`` (fixture ``gpu-mig``, A100 with MIG) and ``compute-d`` (fixture
  ``gpu-mdev``, A16 with mdev types on its VFs), nova-compute first, both in
  ``[gpu_partitions] placement_hosts`` so that their partition pools are in Placement:
  Nova can schedule a MIG or an mdev vGPU profile there and meet accel-api's refusal at
  ARQ creation (the path that must never end in a VM without its GPU).

Setup is batched: databases, the vhost, Keystone, Glance and the ``nova-manage`` steps
overlap; everything made is removed in reverse order, also when setup fails halfway.
"""

import concurrent.futures
import contextlib
import os
import time

import pytest
import requests

from tests.realprocs import base
from tests.realprocs.accel import AccelAgent, AccelApi
from tests.realprocs.glance import Glance
from tests.realprocs.keystone import ADMIN_PASSWORD, Keystone
from tests.realprocs.nova import NeutronStub, Nova, RabbitVhost, pg_databases
from tests.realprocs.placement import Placement

COMPUTE_API = "compute 2.79"
DEMO_PASSWORD = "demo-pw"
#: (hostname, fixture) of the hypervisors.
HOSTS = {"a": ("compute-a", "host-a"), "b": ("compute-b", "gpu-vfio"),
         "c": ("compute-c", "gpu-mig"), "d": ("compute-d", "gpu-mdev")}
#: The hosts whose MDEV/MIG partition pools accel-api reports to Placement.
PARTITION_HOSTS = ("c", "d")
#: Seconds a state may take to be reached on a loaded 2-core CI box (never a sleep: the
#: waits return as soon as the state is there).
SLOW = 180


class Cloud:
    def __init__(self, workdir):
        self.workdir = str(workdir)
        self.agents = {}
        self._tokens = {}
        self._t0 = time.monotonic()
        self.timeline = []

    def mark(self, what):
        """Seconds since the set-up began at which ``what`` was done (printed with -s)."""
        self.timeline.append((round(time.monotonic() - self._t0, 1), what))

    # -- tokens and sessions -----------------------------------------------------------

    def token(self, who):
        """A cached token: ``admin`` (admin project) or ``demo`` (member of demo)."""
        if who not in self._tokens:
            password = ADMIN_PASSWORD if who == "admin" else DEMO_PASSWORD
            self._tokens[who] = self.keystone.token(who, password, who)[0]
        return self._tokens[who]

    def nova_call(self, who, method, path, body=None, ok=(200, 201, 202, 204)):
        resp = requests.request(method, self.nova.url + path, json=body, timeout=60, headers={
            "X-Auth-Token": self.token(who), "OpenStack-API-Version": COMPUTE_API})
        assert resp.status_code in ok, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json() if resp.content else None

    def accel(self, who="admin"):
        return self.api.session(self.token(who))

    # -- setup -------------------------------------------------------------------------

    def start(self, stack):
        pool = stack.enter_context(concurrent.futures.ThreadPoolExecutor(4))
        self._futures = []
        try:
            return self._start(stack, pool)
        except BaseException:
            # A step still running in the pool could start a process after the stack
            # stopped everything: let each finish first (its process is then stopped).
            concurrent.futures.wait(self._futures)
            raise

    def _start(self, stack, pool):
        w = self.workdir

        def submit(fn):
            self._futures.append(pool.submit(fn))
            return self._futures[-1]
        dbs = stack.enter_context(pg_databases("api", "cell0", "cell1", "placement"))
        vhost = RabbitVhost()
        stack.callback(vhost.delete)
        vhost_made = submit(vhost.create)
        self.keystone = Keystone(os.path.join(w, "keystone"))
        stack.callback(self.keystone.stop)
        keystone_up = submit(self.keystone.start)
        self.glance = Glance(os.path.join(w, "glance"))
        stack.callback(self.glance.stop)
        self.neutron = NeutronStub()
        stack.callback(self.neutron.stop)
        self.nova = Nova(os.path.join(w, "nova"), self.keystone, dbs, vhost.url,
                         self.glance.url, self.neutron.url, arq_binding_timeout=120)
        stack.callback(self.nova.stop)
        os.makedirs(self.nova.workdir, exist_ok=True)
        self.nova.write_config()
        schema = submit(self.nova.create_schema)  # the critical path: first
        # PostgreSQL: on SQLite three nova-computes and accel-api writing at once get
        # "database is locked" (a 500 that delays a compute node by its next periodic run).
        self.placement = Placement(os.path.join(w, "placement"), database=dbs["placement"],
                                   keystone=self.keystone)
        stack.callback(self.placement.stop)
        placement_up = submit(self.placement.start)
        glance_up = submit(self.glance.start)
        for key, (hostname, fixture) in HOSTS.items():
            agent = AccelAgent(os.path.join(w, hostname), fixture, hostname, None)
            stack.callback(agent.stop)
            self.agents[key] = agent.start_kernel()
        keystone_up.result()
        self.mark("keystone")
        ks = self.keystone
        ks.ensure_user("demo", DEMO_PASSWORD, "demo", ["member"])
        self.placement.make_user()
        placement_up.result()
        self.mark("placement")
        ks.ensure_endpoint("placement", "placement", self.placement.url)
        self.api = AccelApi(os.path.join(w, "accel-api"), ks, extra_conf=(
            "[gpu_partitions]\nplacement_hosts = "
            f"{','.join(HOSTS[k][0] for k in PARTITION_HOSTS)}\n"))
        stack.callback(self.api.stop)
        self.api.start()
        self.mark("accel-api")
        for agent in self.agents.values():
            agent.api = self.api
        # compute-b: the agent before nova-compute.
        self.agents["b"].start()
        glance_up.result()
        vhost_made.result()
        schema.result()
        self.mark("nova schema")
        self.nova.start_control_plane()
        self.mark("nova control plane")
        # compute-a's log shows the accelerator-request-bound events it waits for.
        self.nova.start_compute(HOSTS["a"][0], debug=True)
        for key in PARTITION_HOSTS:
            self.nova.start_compute(HOSTS[key][0])
        base.wait_for(lambda: self._registered("b"), SLOW, 0.5, "compute-b's agent")
        self.waiting_seen = base.wait_for(
            lambda: self.host_placement("b")["state"] == "waiting" and
            self.host_placement("b"), SLOW, 0.5, "compute-b waiting for its compute node")
        self.mark("compute-b's agent reported, waiting")
        self.nova.start_compute(HOSTS["b"][0])
        # compute-a, -c and -d: nova-compute first, then the agent.
        for key in ("a", *PARTITION_HOSTS):
            base.wait_for(lambda key=key: self.compute_provider(HOSTS[key][0]), SLOW, 0.5,
                          f"{HOSTS[key][0]}'s compute node provider")
            self.agents[key].start()
        for key in HOSTS:
            base.wait_for(lambda key=key: self._registered(key) and
                          self.host_placement(key)["state"] == "synced", SLOW, 0.5,
                          f"{HOSTS[key][0]} synced under its compute node")
        self.mark("hosts synced")
        # Every compute node exists now (its provider does): map them into cell1.
        self.nova.discover_hosts()
        base.wait_for(self._hypervisors_mapped, SLOW, 0.5, "hypervisors mapped to cell1")
        self.image = self._image()
        self.mark("hypervisors mapped")
        # Registered last, so run first: every process stopped at once (one shared wait).
        stack.callback(base.stop_all, [
            *self.nova.procs.values(), *(p for a in self.agents.values()
                                         for p in a.procs.values()),
            self.api.process, self.placement.process, self.glance.process,
            self.keystone.process])
        return self

    def _registered(self, key):
        self.nova.check_alive()
        return self.agents[key].registered()

    def _hypervisors_mapped(self):
        self.nova.check_alive()
        found = self.nova_call("admin", "GET", "/os-hypervisors")["hypervisors"]
        return {h["hypervisor_hostname"] for h in found} >= {h for h, _ in HOSTS.values()}

    def _image(self):
        """A tiny raw image (the fake driver never reads it). Glance runs without auth:
        ``public`` is refused there, ``shared`` is visible to Nova's callers."""
        g = self.glance.url
        hdr = {"X-Roles": "admin", "X-Project-Id": "admin", "X-User-Id": "admin"}
        resp = requests.post(f"{g}/v2/images", headers=hdr, timeout=30, json={
            "name": "tiny", "disk_format": "raw", "container_format": "bare",
            "visibility": "shared"})
        resp.raise_for_status()
        image = resp.json()["id"]
        resp = requests.put(f"{g}/v2/images/{image}/file", data=b"\0" * 1024, timeout=30,
                            headers=dict(hdr, **{"Content-Type": "application/octet-stream"}))
        resp.raise_for_status()
        return image

    # -- views -------------------------------------------------------------------------

    def host_placement(self, key):
        resp = self.accel().get(f"{self.api.url}/v2/hosts/{HOSTS[key][0]}")
        if resp.status_code != 200:
            return {"state": None}
        return resp.json()["placement"] or {"state": None}

    def compute_provider(self, nodename):
        found = self.placement.get("/resource_providers", name=nodename).json()
        providers = found.get("resource_providers") or []
        return providers[0]["uuid"] if providers else None

    def providers_in_tree(self, root_uuid):
        return self.placement.get("/resource_providers", in_tree=root_uuid).json()[
            "resource_providers"]

    def deployables(self, key):
        resp = self.accel().get(f"{self.api.url}/v2/deployables",
                                params={"hostname": HOSTS[key][0]})
        resp.raise_for_status()
        return resp.json()["deployables"]

    def arqs_of(self, instance):
        resp = self.accel().get(f"{self.api.url}/v2/accelerator_requests",
                                params={"instance": instance})
        resp.raise_for_status()
        return resp.json()["arqs"]

    def handles_in_use(self):
        """Addresses of the attach handles accel-api holds (its own database)."""
        import sqlalchemy as sa

        from accel_api.db import engine

        db = sa.create_engine(engine.default_url(self.api.workdir))
        try:
            with db.connect() as conn:
                return {r[0] for r in conn.exec_driver_sql(
                    "SELECT address FROM attach_handles WHERE in_use")}
        finally:
            db.dispose()

    def allocations(self, consumer):
        return self.placement.get(f"/allocations/{consumer}").json()["allocations"]

    def upload(self, data, interface_id, function_id, name):
        """A bitstream of the demo project, uploaded to accel-api."""
        s = self.accel("demo")
        resp = s.post(f"{self.api.url}/v2/bitstreams", json={
            "name": name, "vendor": "intel", "type": name, "function_id": function_id,
            "interface_id": interface_id, "board": "n3000"})
        assert resp.ok, resp.text
        resp = s.put(f"{self.api.url}/v2/bitstreams/{resp.json()['uuid']}/data", data=data,
                     headers={"Content-Type": "application/octet-stream"})
        assert resp.ok, resp.text
        return resp.json()

    # -- Nova flows --------------------------------------------------------------------

    def device_profile(self, name, group):
        resp = self.accel().post(f"{self.api.url}/v2/device_profiles",
                                 json=[{"name": name, "groups": [group]}])
        assert resp.status_code == 201, resp.text
        return resp.json()

    def flavor(self, profile):
        """A flavor whose extra spec names accel-api's device profile ``profile``."""
        flavor = self.nova_call("admin", "POST", "/flavors", {"flavor": {
            "name": f"f-{profile}", "ram": 64, "vcpus": 1, "disk": 1}})["flavor"]["id"]
        self.nova_call("admin", "POST", f"/flavors/{flavor}/os-extra_specs",
                       {"extra_specs": {"accel:device_profile": profile}})
        return flavor

    def boot(self, flavor, name):
        """The demo user boots a server (no network: no Neutron here); returns its id."""
        return self.nova_call("demo", "POST", "/servers", {"server": {
            "name": name, "flavorRef": flavor, "imageRef": self.image,
            "networks": "none"}})["server"]["id"]

    def server(self, server_id, who="admin"):
        return self.nova_call(who, "GET", f"/servers/{server_id}")["server"]

    def wait_server(self, server_id, states=("ACTIVE", "ERROR")):
        def settled():
            self.nova.check_alive()
            server = self.server(server_id)
            return server if server["status"] in states else None
        return base.wait_for(settled, SLOW, 0.5, f"server {server_id} in {states}")

    def delete(self, server_id):
        self.nova_call("demo", "DELETE", f"/servers/{server_id}")

        def gone():
            self.nova.check_alive()
            resp = requests.get(f"{self.nova.url}/servers/{server_id}", timeout=30, headers={
                "X-Auth-Token": self.token("admin"), "OpenStack-API-Version": COMPUTE_API})
            if resp.status_code == 200 and resp.json()["server"]["status"] == "ERROR":
                raise AssertionError(f"delete failed: {resp.json()['server'].get('fault')}")
            return resp.status_code == 404
        base.wait_for(gone, SLOW, 0.5, f"server {server_id} deleted")

    def instance_actions(self, server_id):
        actions = self.nova_call("admin", "GET", f"/servers/{server_id}/os-instance-actions")
        events = []
        for action in actions["instanceActions"]:
            detail = self.nova_call(
                "admin", "GET",
                f"/servers/{server_id}/os-instance-actions/{action['request_id']}")
            events += detail["instanceAction"].get("events", [])
        return events


def _require_servers():
    """PostgreSQL and RabbitMQ (the local servers): skipped without them, failed in CI
    (``ACCEL_REQUIRE_DATABASES=1``), as the other database tests."""
    import shutil

    import sqlalchemy as sa

    from tests.accel_api_helpers import PG_ADMIN_URL, _require

    if shutil.which("rabbitmqctl") is None:
        _require("rabbitmqctl not found: Nova needs the local RabbitMQ server")
    engine = sa.create_engine(PG_ADMIN_URL)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        _require(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {str(exc.orig)[:120]}")
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    _require_servers()
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        c = Cloud(tmp_path_factory.mktemp("nova-cloud")).start(stack)
        c.setup_seconds = time.monotonic() - started
        print(f"\nreal Nova cloud up in {c.setup_seconds:.0f} s: {c.timeline}")
        yield c
