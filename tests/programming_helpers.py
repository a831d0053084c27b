"""Helpers of the programming part's tests, demo and benchmark: a whole stack on loopback.

``Stack`` starts, each as its own process: a fixture sysfs root for a bundled host
with accel_hosts' kernel simulator behind it, the real ``accel-api`` (http_basic users
in two projects), and the real ``accel-agent`` on that root with JSON-RPC behind
http_basic; it waits until the agent has reported and registered.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time

import requests

import accel_hosts
from accel_hosts import kernel_sim, sysfs
from ipa_fpga.program import gbs

BIN = os.path.dirname(sys.executable)
#: The agent of host H authenticates as "accel-agent@H" ([agent_auth] user_prefix): the
#: accel_agent role, and only H's endpoint and inventory (``agent_user``).
USERS = {"admin": "admin-pw", "nova": "nova-pw", "accel-agent@host-a": "agent-pw",
         "accel-agent@host-b": "agent-b-pw", "alice": "alice-pw", "bob": "bob-pw"}


def agent_user(hostname):
    """The accel-api user of host ``hostname``'s agent, with its password."""
    user = f"accel-agent@{hostname}"
    return user, USERS.get(user, f"agent-{hostname}-pw")
#: accel-api derives each host's JSON-RPC password from this ([agent_rpc]).
RPC_SECRET = "test-rpc-secret-0123456789abcdef"
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def bitstream(interface_id, afu_id, size=4096):
    """A GBS the simulated FME accepts for ``interface_id`` and loads as ``afu_id``."""
    payload = kernel_sim.pr_bitstream(interface_id, afu_id, size)
    return gbs.build(interface_id, afu_id, payload)


def _free_port():
    from tests.accel_api_helpers import free_port

    return free_port()


def _wait(predicate, timeout, what, procs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}")
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class Stack:
    def __init__(self, workdir, host="host-a", api_conf="", job_timeout=60):
        self.workdir = str(workdir)
        self.host = accel_hosts.load(host)
        self.host_name = host
        self.hostname = host
        self.root = os.path.join(self.workdir, "root")
        self.api_port = _free_port()
        self.rpc_port = _free_port()
        self.url = f"http://127.0.0.1:{self.api_port}"
        self.api_conf = api_conf
        self.job_timeout = job_timeout
        self.procs = {}
        self._logs = []

    # -- processes -------------------------------------------------------------------------

    def _spawn(self, name, argv):
        log = open(os.path.join(self.workdir, f"{name}.log"), "ab")  # noqa: SIM115
        self._logs.append(log)
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                            cwd=TOP, start_new_session=True)
        return self.procs[name]

    def log(self, name, limit=3000):
        with open(os.path.join(self.workdir, f"{name}.log"), "rb") as f:
            return f.read()[-limit:].decode(errors="replace")

    def start(self):
        from tests.accel_api_helpers import write_htpasswd

        os.makedirs(self.workdir, exist_ok=True)
        sysfs.build(self.host, self.root)
        self._spawn("kernel-sim", [sys.executable, "-m", "accel_hosts.kernel_sim", "--host",
                                   self.host_name, "--root", self.root])
        htpasswd = os.path.join(self.workdir, "htpasswd")
        self.users = dict(USERS, **dict([agent_user(self.hostname)]))
        write_htpasswd(htpasswd, self.users)
        # Written by the agent, with the hash of the credential accel-api gives it.
        self.rpc_htpasswd = os.path.join(self.workdir, "agent-state", "json-rpc-htpasswd")
        api_state = os.path.join(self.workdir, "api")
        os.makedirs(api_state, exist_ok=True)
        api_conf = os.path.join(api_state, "accel-api.conf")
        with open(api_conf, "w") as f:
            f.write("[DEFAULT]\ndebug = false\n"
                    "[api]\nauth_strategy = http_basic\ngraceful_shutdown_timeout = 1\n"
                    f"[http_basic]\nauth_file = {htpasswd}\n"
                    "user_projects = admin:admin,nova:service,alice:proj-a,bob:proj-b\n"
                    "user_roles = admin:admin,nova:service,alice:member,bob:member\n"
                    "[agent_rpc]\nauth_strategy = http_basic\nusername = accel-api\n"
                    f"credential_secret = {RPC_SECRET}\nallow_loopback = true\n"
                    f"[programming]\njob_timeout = {self.job_timeout}\n"
                    "agent_unreachable_timeout = 3\npoll_interval = 0.1\n"
                    + self.api_conf)
        self.api_state, self.api_conf_file = api_state, api_conf
        self.start_api()
        self.agent_conf = os.path.join(self.workdir, "agent.conf")
        with open(self.agent_conf, "w") as f:
            f.write("[DEFAULT]\ndebug = false\n"
                    f"[agent]\nroot = {self.root}\nhostname = {self.hostname}\n"
                    f"state_dir = {self.workdir}/agent-state\nreport_interval = 0\n"
                    f"[json_rpc]\nhost_ip = 127.0.0.1\nport = {self.rpc_port}\n"
                    "auth_strategy = http_basic\n"
                    "[accel_api]\nauth_type = http_basic\n"
                    f"username = {agent_user(self.hostname)[0]}\n"
                    f"password = {agent_user(self.hostname)[1]}\n"
                    f"endpoint_override = {self.url}\n")
        self.start_agent()
        return self

    def start_api(self, name="accel-api", port=None, wait=True):
        """Start an accel-api process on the stack's configuration (and state dir);
        another ``name`` is another API process (port: a free one) beside the first, on
        the same database when the configuration names one. Returns its URL (``wait``:
        once it answers; else call ``wait_api(name)``)."""
        if port is None:
            port = self.api_port if name == "accel-api" else _free_port()
        self._spawn(name, [os.path.join(BIN, "accel-api"), "serve", "--port", str(port),
                           "--state-dir", self.api_state, "--config-file",
                           self.api_conf_file])
        url = f"http://127.0.0.1:{port}"
        self.api_urls = dict(getattr(self, "api_urls", {}), **{name: url})
        if wait:
            self.wait_api(name)
        return url

    def wait_api(self, name):
        url = self.api_urls[name]
        _wait(lambda: self._up(url), 60, name, [(name, self.procs[name])])

    def _reports(self):
        try:
            return self.log("accel-agent", 10 ** 7).count(f"of {self.hostname} to accel_api")
        except FileNotFoundError:
            return 0

    def start_agent(self):
        self._reports_before = self._reports()
        self._spawn("accel-agent", [os.path.join(BIN, "accel-agent"), "--config-file",
                                    self.agent_conf])
        _wait(self._agent_registered, 60, "accel-agent to report and register",
              [("accel-agent", self.procs["accel-agent"])])

    def kill_agent(self):
        proc = self.procs.get("accel-agent")
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def _api_up(self):
        return self._up(self.url)

    @staticmethod
    def _up(url):
        try:
            return requests.get(url + "/", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    def _agent_registered(self):
        # The agent logs "reported N device(s)" once both its inventory and its
        # registration (PUT .../agent) were accepted.
        if self._reports() <= self._reports_before:
            return False
        resp = self.session("admin").get(f"{self.url}/v2/hosts/{self.hostname}")
        if resp.status_code != 200 or not os.path.exists(self.rpc_htpasswd) or \
                not os.path.getsize(self.rpc_htpasswd):
            return False
        try:
            with socket_connect(self.rpc_port):
                return True
        except OSError:
            return False

    def stop(self):
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)
        for log in self._logs:
            log.close()

    # -- API helpers -----------------------------------------------------------------------

    def session(self, user):
        s = requests.Session()
        s.auth = (user, self.users[user])
        s.headers["OpenStack-API-Version"] = "accelerator 2.3"
        return s

    def regions(self):
        """{uuid: deployable view} of the FPGA regions of the host."""
        resp = self.session("admin").get(f"{self.url}/v2/deployables",
                                         params={"hostname": self.hostname})
        resp.raise_for_status()
        return {d["uuid"]: d for d in resp.json()["deployables"] if d["kind"] == "region"}

    def upload(self, user, data, interface_id, function_id, name="afu", visibility=None):
        s = self.session(user)
        body = {"name": name, "vendor": "intel", "type": name, "function_id": function_id,
                "interface_id": interface_id, "board": "n3000"}
        if visibility:
            body["visibility"] = visibility
        resp = s.post(f"{self.url}/v2/bitstreams", json=body)
        resp.raise_for_status()
        uuid = resp.json()["uuid"]
        resp = s.put(f"{self.url}/v2/bitstreams/{uuid}/data", data=data,
                     headers={"Content-Type": "application/octet-stream"})
        resp.raise_for_status()
        return resp.json()


@contextlib.contextmanager
def socket_connect(port):
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
        yield sock
