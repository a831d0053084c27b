"""A real Keystone (the ``keystone`` package from PyPI) on loopback: SQLite, fernet tokens.

``keystone-manage db_sync`` and ``bootstrap`` make the schema, the admin and the
identity endpoints (``internal`` too: keystonemiddleware's auth_token looks it up, and
without it every uncached token is a bare 500); the fernet and credential keys are
written as ``fernet_setup``/``credential_setup`` write them (two fewer ~5 s imports).
``keystone.server.wsgi.initialize_public_application()`` is served under cheroot by
``wsgi_serve`` (which leaves keystone's oslo.config no ``sys.argv`` to parse).
Projects, users, roles and the catalog are then made over the v3 API as the install
guides make them (``ensure_*``).
"""

import base64
import os
import subprocess
import sys

import requests

from tests.realprocs import base

ADMIN_PASSWORD = "keystone-admin-pw"
REGION = "RegionOne"


def _keys(folder):
    """What ``keystone-manage fernet_setup`` writes: a 0700 dir, keys ``0`` and ``1``."""
    os.makedirs(folder, mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    for name in ("0", "1"):
        path = os.path.join(folder, name)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            f.write(base64.urlsafe_b64encode(os.urandom(32)))


class Keystone:
    def __init__(self, workdir):
        self.workdir = str(workdir)
        self.port = base.free_port()
        self.url = f"http://127.0.0.1:{self.port}/v3"
        self.process = None
        self._admin_token = None
        self._roles = {}

    def write_config(self):
        w = self.workdir
        os.makedirs(w, exist_ok=True)
        _keys(os.path.join(w, "fernet-keys"))
        _keys(os.path.join(w, "credential-keys"))
        path = os.path.join(w, "keystone.conf")
        with open(path, "w") as f:
            f.write(f"""[DEFAULT]
use_stderr = true
debug = false
[database]
connection = sqlite:///{w}/keystone.sqlite
[token]
provider = fernet
[identity]
# Tests only: bcrypt's 12 rounds cost ~0.3 s a password auth, 4 rounds ~0.07 s.
password_hash_rounds = 4
[fernet_tokens]
key_repository = {w}/fernet-keys
[fernet_receipts]
key_repository = {w}/fernet-keys
[credential]
key_repository = {w}/credential-keys
""")
        return path

    def start(self, timeout=90):
        conf = self.write_config()
        manage = [base.venv_bin("keystone-manage"), "--config-file", conf]
        subprocess.run(manage + ["db_sync"], check=True, capture_output=True, timeout=180)
        subprocess.run(manage + [
            "bootstrap", "--bootstrap-password", ADMIN_PASSWORD,
            "--bootstrap-admin-url", self.url, "--bootstrap-internal-url", self.url,
            "--bootstrap-public-url", self.url, "--bootstrap-region-id", REGION],
            check=True, capture_output=True, timeout=180)
        env = dict(os.environ, OS_KEYSTONE_CONFIG_DIR=self.workdir)
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        argv = [sys.executable, "-m", "tests.realprocs.wsgi_serve",
                "keystone.server.wsgi:initialize_public_application", "--factory",
                "127.0.0.1", str(self.port)]
        self.process = base.Process(argv, os.path.join(self.workdir, "keystone.log"),
                                    env=env, cwd=root)
        base.wait_http(self.url, self.process, timeout=timeout)
        return self

    def stop(self):
        if self.process is not None:
            self.process.stop(timeout=3)
            self.process = None

    # -- tokens and the v3 API ---------------------------------------------------------

    def token(self, user, password, project="admin"):
        """A project-scoped token of ``user`` (Default domain) and its body."""
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
        resp = requests.post(self.url + "/auth/tokens", json=body, timeout=30)
        resp.raise_for_status()
        return resp.headers["X-Subject-Token"], resp.json()["token"]

    def admin_token(self):
        if self._admin_token is None:
            self._admin_token = self.token("admin", ADMIN_PASSWORD)[0]
        return self._admin_token

    def api(self, method, path, body=None, ok=(200, 201, 204), **params):
        resp = requests.request(method, self.url + path, json=body, params=params,
                                headers={"X-Auth-Token": self.admin_token()}, timeout=30)
        if resp.status_code not in ok:
            raise RuntimeError(f"keystone {method} {path}: {resp.status_code} {resp.text}")
        return resp.json() if resp.content else None

    def _find(self, collection, key, **params):
        found = self.api("GET", f"/{collection}", **params)[collection]
        return found[0]["id"] if found else None

    def ensure_project(self, name):
        return self._find("projects", "name", name=name) or self.api(
            "POST", "/projects", {"project": {"name": name, "domain_id": "default"}}
        )["project"]["id"]

    def ensure_role(self, name):
        if name not in self._roles:
            self._roles[name] = self._find("roles", "name", name=name) or self.api(
                "POST", "/roles", {"role": {"name": name}})["role"]["id"]
        return self._roles[name]

    def ensure_user(self, name, password, project, roles):
        """A Default-domain user with ``roles`` on ``project`` (made when missing)."""
        user = self._find("users", "name", name=name, domain_id="default") or self.api(
            "POST", "/users", {"user": {"name": name, "password": password,
                                        "domain_id": "default"}})["user"]["id"]
        project_id = self.ensure_project(project)
        for role in roles:
            self.api("PUT", f"/projects/{project_id}/users/{user}/roles/"
                            f"{self.ensure_role(role)}")
        return user

    def ensure_endpoint(self, service_type, name, url):
        """A catalog service with public and internal endpoints at ``url``."""
        service = self._find("services", "type", type=service_type) or self.api(
            "POST", "/services", {"service": {"type": service_type, "name": name}}
        )["service"]["id"]
        for interface in ("public", "internal"):
            self.api("POST", "/endpoints", {"endpoint": {
                "service_id": service, "interface": interface, "url": url,
                "region_id": REGION}})
        return service

    def auth_options(self, user, password, project="service"):
        """keystoneauth ``password`` options of ``user`` as config lines."""
        return (f"auth_type = password\nauth_url = {self.url}\n"
                f"username = {user}\npassword = {password}\nproject_name = {project}\n"
                "user_domain_name = Default\nproject_domain_name = Default\n"
                f"region_name = {REGION}\n")

