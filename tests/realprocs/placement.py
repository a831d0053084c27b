"""A real Placement (``openstack-placement`` from PyPI) on loopback: SQLite, noauth2.

``placement-manage db sync`` creates the schema, then ``placement.wsgi.init_application``
is served under cheroot (the ``placement-api`` script is gone from the package).
Requests carry ``X-Auth-Token: admin`` (noauth2 makes that token an admin).
"""

import os
import subprocess
import sys

from tests.realprocs import base

MICROVERSION = "placement 1.39"
HEADERS = {"X-Auth-Token": "admin", "OpenStack-API-Version": MICROVERSION,
           "Accept": "application/json"}


class Placement:
    def __init__(self, workdir):
        self.workdir = str(workdir)
        self.port = base.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self, timeout=60):
        os.makedirs(self.workdir, exist_ok=True)
        conf = os.path.join(self.workdir, "placement.conf")
        with open(conf, "w") as f:
            f.write("[DEFAULT]\nuse_stderr = true\ndebug = false\n"
                    "[api]\nauth_strategy = noauth2\n"
                    "[placement_database]\n"
                    f"connection = sqlite:///{self.workdir}/placement.sqlite\n")
        subprocess.run([base.venv_bin("placement-manage"), "--config-file", conf, "db", "sync"],
                       check=True, capture_output=True, timeout=120)
        env = dict(os.environ, OS_PLACEMENT_CONFIG_DIR=self.workdir)
        argv = [sys.executable, "-m", "tests.realprocs.wsgi_serve",
                "placement.wsgi:init_application", "--factory", "127.0.0.1", str(self.port)]
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        self.process = base.Process(argv, os.path.join(self.workdir, "placement.log"),
                                    env=env, cwd=root)
        base.wait_http(self.url + "/", self.process, timeout=timeout, headers=HEADERS)
        return self

    def get(self, path, **params):
        import requests

        return requests.get(self.url + path, headers=HEADERS, params=params, timeout=10)

    def stop(self):
        if self.process is not None:
            self.process.stop(timeout=3)
            self.process = None
