"""accel-api and accel-agents as deployed beside Nova: every identity from a real Keystone.

``AccelApi``: the real ``accel-api`` with ``[api] auth_strategy = keystone`` (tokens
checked by keystonemiddleware as user ``accel``), its ``[placement]`` reports and its
``[nova]`` events (``accelerator-request-bound``) through keystoneauth sessions of that
user (Placement and Nova found in the catalog), JSON-RPC to the
agents with per-host credentials (``[agent_rpc] credential_secret``; loopback allowed,
the agents listen on 127.0.0.1). It is registered in the catalog as ``accelerator``,
where Nova finds it.

``AccelAgent``: one host's fixture sysfs root with accel_hosts' kernel simulator behind
it, and the real ``accel-agent`` reporting that host as Keystone user
``accel-agent@<host>`` (role ``accel_agent``: that host's inventory and endpoint only).
"""

import os
import sys

import requests

import accel_hosts
from accel_hosts import sysfs
from tests.realprocs import base

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ACCEL_PASSWORD = "accel-pw"
RPC_SECRET = "nova-test-rpc-secret-0123456789abcdef"


def agent_password(hostname):
    return f"agent-{hostname}-pw"


class AccelApi:
    def __init__(self, workdir, keystone, extra_conf=""):
        self.workdir = str(workdir)
        self.keystone = keystone
        self.extra_conf = extra_conf
        self.port = base.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self, timeout=90):
        ks = self.keystone
        os.makedirs(self.workdir, exist_ok=True)
        ks.ensure_user("accel", ACCEL_PASSWORD, "service", ["admin", "service"])
        ks.ensure_endpoint("accelerator", "accel", self.url + "/v2")
        auth = ks.auth_options("accel", ACCEL_PASSWORD)
        conf = os.path.join(self.workdir, "accel-api.conf")
        with open(conf, "w") as f:
            f.write("[DEFAULT]\ndebug = false\n"
                    "[api]\nauth_strategy = keystone\ngraceful_shutdown_timeout = 1\n"
                    f"[keystone_authtoken]\nwww_authenticate_uri = {ks.url}\n{auth}"
                    # Nova's events of asynchronous binds (Nova found in the catalog).
                    f"[nova]\n{auth}"
                    f"[placement]\n{auth}"
                    # Nova hosts wait for their compute node's provider: look again soon.
                    "compute_node_retry_interval = 1\ncompute_node_retry_max_interval = 2\n"
                    "[agent_rpc]\nauth_strategy = http_basic\nusername = accel-api\n"
                    f"credential_secret = {RPC_SECRET}\nallow_loopback = true\n"
                    "[programming]\njob_timeout = 60\nagent_unreachable_timeout = 5\n"
                    "poll_interval = 0.1\n" + self.extra_conf)
        self.process = base.Process(
            [base.venv_bin("accel-api"), "serve", "--port", str(self.port), "--state-dir",
             self.workdir, "--config-file", conf],
            os.path.join(self.workdir, "accel-api.log"), cwd=TOP)
        base.wait_http(self.url + "/", self.process, timeout=timeout)
        return self

    def session(self, token):
        s = requests.Session()
        s.headers.update({"X-Auth-Token": token, "OpenStack-API-Version": "accelerator 2.3"})
        return s

    def stop(self):
        if self.process is not None:
            self.process.stop(timeout=10)
            self.process = None


class AccelAgent:
    """``fixture``: a bundled host of accel_hosts; ``hostname``: nova-compute's host."""

    def __init__(self, workdir, fixture, hostname, api):
        self.workdir = str(workdir)
        self.fixture = fixture
        self.hostname = hostname
        self.api = api
        self.root = os.path.join(self.workdir, "root")
        self.rpc_port = base.free_port()
        self.procs = {}

    def start_kernel(self):
        """The fixture sysfs and the kernel simulator that answers its writes."""
        os.makedirs(self.workdir, exist_ok=True)
        sysfs.build(accel_hosts.load(self.fixture), self.root)
        self.procs["kernel-sim"] = base.Process(
            [sys.executable, "-m", "accel_hosts.kernel_sim", "--host", self.fixture,
             "--root", self.root], os.path.join(self.workdir, "kernel-sim.log"), cwd=TOP)
        return self

    def start(self):
        """accel-agent (returns at once; ``reported`` says when it has registered)."""
        ks = self.api.keystone
        user = f"accel-agent@{self.hostname}"
        ks.ensure_user(user, agent_password(self.hostname), "service", ["accel_agent"])
        conf = os.path.join(self.workdir, "agent.conf")
        with open(conf, "w") as f:
            f.write("[DEFAULT]\ndebug = false\n"
                    f"[agent]\nroot = {self.root}\nhostname = {self.hostname}\n"
                    f"state_dir = {self.workdir}/agent-state\nreport_interval = 0\n"
                    f"[json_rpc]\nhost_ip = 127.0.0.1\nport = {self.rpc_port}\n"
                    "auth_strategy = http_basic\n"
                    "[accel_api]\n"
                    + ks.auth_options(user, agent_password(self.hostname))
                    + f"endpoint_override = {self.api.url}\n")
        self.procs["accel-agent"] = base.Process(
            [base.venv_bin("accel-agent"), "--config-file", conf],
            os.path.join(self.workdir, "accel-agent.log"), cwd=TOP)
        return self

    def registered(self):
        """The agent reported its host and registered its JSON-RPC endpoint."""
        self.check_alive()
        log = base.file_tail(os.path.join(self.workdir, "accel-agent.log"), 10 ** 7)
        htpasswd = os.path.join(self.workdir, "agent-state", "json-rpc-htpasswd")
        return (f"of {self.hostname} to accel_api" in log and os.path.exists(htpasswd)
                and os.path.getsize(htpasswd) > 0)

    def check_alive(self):
        for name, proc in self.procs.items():
            if not proc.alive:
                raise RuntimeError(f"{name} of {self.hostname} exited with "
                                   f"{proc.proc.returncode}:\n{proc.log_tail()}")

    def stop(self):
        base.stop_all(self.procs.values(), timeout=10)
        self.procs.clear()
