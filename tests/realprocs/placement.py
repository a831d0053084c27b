"""A real Placement (``openstack-placement`` from PyPI) on loopback: SQLite, noauth2
(or Keystone's auth_token when given a real Keystone).

``placement-manage db sync`` creates the schema, then ``placement.wsgi.init_application``
is served under cheroot (the ``placement-api`` script is gone from the package).
Requests carry ``X-Auth-Token: admin`` (noauth2 makes that token an admin).

``compute_node`` makes the calls nova-compute's report client makes for the fake
driver's compute node (provider named after the nodename with the compute node's uuid,
its inventory, the ``COMPUTE_NODE``/``OWNER_NOVA`` and capability traits), so that the
start orders of nova-compute and accel-api can be played against the real Placement;
the real-Nova tests start nova-compute itself.
"""

import os
import subprocess
import sys

from tests.realprocs import base

MICROVERSION = "placement 1.39"
PLACEMENT_PASSWORD = "placement-pw"
HEADERS = {"X-Auth-Token": "admin", "OpenStack-API-Version": MICROVERSION,
           "Accept": "application/json"}


#: Traits nova 34's resource tracker puts on a fake-driver compute node (its capability
#: traits, then COMPUTE_NODE and OWNER_NOVA).
NOVA_FAKE_TRAITS = [
    "COMPUTE_ACCELERATORS", "COMPUTE_ADDRESS_SPACE_EMULATED", "COMPUTE_ADDRESS_SPACE_PASSTHROUGH",
    "COMPUTE_DEVICE_TAGGING", "COMPUTE_IMAGE_TYPE_RAW", "COMPUTE_MEM_BACKING_FILE",
    "COMPUTE_NET_ATTACH_INTERFACE", "COMPUTE_NET_ATTACH_INTERFACE_WITH_TAG",
    "COMPUTE_NODE", "COMPUTE_REMOTE_MANAGED_PORTS", "COMPUTE_SECURITY_STATELESS_FIRMWARE",
    "COMPUTE_TRUSTED_CERTS", "COMPUTE_VOLUME_ATTACH_WITH_TAG", "COMPUTE_VOLUME_EXTEND",
    "COMPUTE_VOLUME_MULTI_ATTACH", "OWNER_NOVA",
]
#: The fake driver's inventory (1000 VCPU, 800000 MB, 600000 GB) with nova's initial
#: allocation ratios and default reserved host memory.
NOVA_FAKE_INVENTORY = {
    "VCPU": {"total": 1000, "reserved": 0, "min_unit": 1, "max_unit": 1000, "step_size": 1,
             "allocation_ratio": 4.0},
    "MEMORY_MB": {"total": 800000, "reserved": 512, "min_unit": 1, "max_unit": 800000,
                  "step_size": 1, "allocation_ratio": 1.0},
    "DISK_GB": {"total": 600000, "reserved": 0, "min_unit": 1, "max_unit": 600000,
                "step_size": 1, "allocation_ratio": 1.0},
}


class Placement:
    """``database``: a SQLAlchemy URL for ``[placement_database]`` (default: SQLite in the
    work directory; SQLite answers concurrent writers 'database is locked', so many
    concurrent reporters need PostgreSQL or MariaDB, as in production)."""

    def __init__(self, workdir, database=None, keystone=None):
        self.workdir = str(workdir)
        self.database = database
        #: A ``tests.realprocs.keystone.Keystone``: Placement then runs keystonemiddleware's
        #: auth_token as user ``placement`` (``make_user()`` once Keystone is up), as
        #: deployed; the helpers below send Keystone's admin token. Without it: noauth2.
        self.keystone = keystone
        self.port = base.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self, timeout=60):
        os.makedirs(self.workdir, exist_ok=True)
        conf = os.path.join(self.workdir, "placement.conf")
        auth = "[api]\nauth_strategy = noauth2\n"
        if self.keystone is not None:
            ks = self.keystone
            auth = ("[api]\nauth_strategy = keystone\n[keystone_authtoken]\n"
                    f"www_authenticate_uri = {ks.url}\n"
                    + ks.auth_options("placement", PLACEMENT_PASSWORD))
        with open(conf, "w") as f:
            f.write("[DEFAULT]\nuse_stderr = true\ndebug = false\n" + auth +
                    "[placement_database]\n"
                    f"connection = {self.database or self._sqlite()}\n")
        subprocess.run([base.venv_bin("placement-manage"), "--config-file", conf, "db", "sync"],
                       check=True, capture_output=True, timeout=120)
        env = dict(os.environ, OS_PLACEMENT_CONFIG_DIR=self.workdir)
        argv = [sys.executable, "-m", "tests.realprocs.wsgi_serve",
                "placement.wsgi:init_application", "--factory", "127.0.0.1", str(self.port)]
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        self.process = base.Process(argv, os.path.join(self.workdir, "placement.log"),
                                    env=env, cwd=root)
        # "/" (version discovery) needs no token, also behind auth_token.
        base.wait_http(self.url + "/", self.process, timeout=timeout, headers=HEADERS)
        return self

    def make_user(self):
        """The ``placement`` user auth_token checks tokens as (Keystone must be up)."""
        if self.keystone is not None:
            self.keystone.ensure_user("placement", PLACEMENT_PASSWORD, "service",
                                      ["admin", "service"])

    def headers(self):
        if self.keystone is None:
            return HEADERS
        return dict(HEADERS, **{"X-Auth-Token": self.keystone.admin_token()})

    def _sqlite(self):
        return f"sqlite:///{self.workdir}/placement.sqlite"

    def get(self, path, **params):
        import requests

        return requests.get(self.url + path, headers=self.headers(), params=params, timeout=10)

    def request(self, method, path, body=None, **params):
        import requests

        return requests.request(method, self.url + path, headers=self.headers(), json=body,
                                params=params, timeout=10)

    def compute_node(self, nodename, uuid):
        """What nova-compute does at start for its compute node ``nodename``: find its
        provider by uuid, else create it (409 when the name is taken: nova-compute then
        fails that periodic run and tries again the next), then set inventory and traits.
        Returns the HTTP status of the create (200), or 200 when it existed."""
        found = self.request("GET", f"/resource_providers/{uuid}")
        if found.status_code == 404:
            made = self.request("POST", "/resource_providers", {"name": nodename, "uuid": uuid})
            if made.status_code != 200:
                return made.status_code
        generation = self.request("GET", f"/resource_providers/{uuid}").json()["generation"]
        resp = self.request("PUT", f"/resource_providers/{uuid}/inventories", {
            "resource_provider_generation": generation, "inventories": NOVA_FAKE_INVENTORY})
        assert resp.status_code == 200, resp.text
        resp = self.request("PUT", f"/resource_providers/{uuid}/traits", {
            "resource_provider_generation": resp.json()["resource_provider_generation"],
            "traits": NOVA_FAKE_TRAITS})
        assert resp.status_code == 200, resp.text
        return 200

    def stop(self):
        if self.process is not None:
            self.process.stop(timeout=3)
            self.process = None
