"""A live accel-api for the hostile suite: http_basic with two projects, a service user,
an admin and anonymous clients; seeded data; a raw HTTP client; a dump of all state.

The client is ``http.client``: it sends paths, methods, headers and bodies exactly as
given (requests would re-encode some of them), keeps one connection per principal and
thread, and reconnects when the server closed one.
"""

import base64
import contextlib
import dataclasses
import hashlib
import http.client
import json
import os
import tempfile
import threading
import urllib.parse

import sqlalchemy as sa

from tests.accel_api_helpers import inventory, running_server, write_htpasswd

#: name -> (password, project, roles); "anonymous" sends no Authorization. Host h1's
#: agent: the principal of h1 where the agent channel is per host (the name and the
#: accel_agent role make it so), a service user where it is not.
PRINCIPALS = {
    "admin": ("admin-pw", "admin", "admin"),
    "service": ("service-pw", "service", "service"),
    "alice": ("alice-pw", "project-a", "member"),
    "bob": ("bob-pw", "project-b", "member"),
    "accel-agent@h1": ("agent-pw", "service", "service+accel_agent"),
}
ANONYMOUS = "anonymous"
AGENT = "accel-agent@h1"
MAX_BODY = 64 * 1024
MAX_INVENTORY = 256 * 1024
MAX_BITSTREAM = 1024 * 1024


@dataclasses.dataclass
class Answer:
    status: int
    headers: dict
    body: bytes
    request: str

    def json(self):
        return json.loads(self.body)


class Client:
    """Raw HTTP to the live server as one principal; one connection per thread."""

    def __init__(self, url, principal, password=None):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.principal = principal
        self.auth = None
        if principal != ANONYMOUS:
            secret = password if password is not None else PRINCIPALS[principal][0]
            self.auth = "Basic " + base64.b64encode(f"{principal}:{secret}".encode()).decode()
        self._local = threading.local()

    def _connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            self._local.conn = conn
        return conn

    def _drop(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def request(self, method, path, body=None, headers=None, json_body=None):
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        if self.auth and "Authorization" not in headers:
            headers["Authorization"] = self.auth
        shown = f"{self.principal} {method} {path[:200]}"
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.putrequest(method, path, skip_accept_encoding=True)
                for key, value in headers.items():
                    conn.putheader(key, _wire(value))
                if body is not None and not any(k.lower() == "content-length" for k in headers):
                    conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body)
                resp = conn.getresponse()
                data = resp.read()
                answer = Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()},
                                data, shown)
                if resp.will_close:
                    self._drop()
                return answer
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, http.client.ResponseNotReady):
                # A keep-alive connection the server closed meanwhile: once more, fresh.
                self._drop()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)


def _wire(value):
    """A header value as bytes: latin-1 where it fits (as HTTP/1.1 has it), else UTF-8."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def _config(state, htpasswd, database):
    projects = ",".join(f"{u}:{p}" for u, (_, p, _) in PRINCIPALS.items())
    roles = ",".join(f"{u}:{r}" for u, (_, _, r) in PRINCIPALS.items())
    return (f"[api]\nclient_socket_timeout = 5\nauth_strategy = http_basic\n"
            f"max_request_body_size = {MAX_BODY}\nmax_inventory_size = {MAX_INVENTORY}\n"
            f"[http_basic]\nauth_file = {htpasswd}\nuser_projects = {projects}\n"
            f"user_roles = {roles}\ndefault_project = nobody\ndefault_roles = reader\n"
            f"[bitstreams]\nlocal_dir = {os.path.join(state, 'bitstreams')}\n"
            f"max_size = {MAX_BITSTREAM}\nchunk_size = 4096\n"
            # The seeded agent of h1 listens (not) on loopback, as in every local test.
            "[agent_rpc]\nallow_loopback = true\n")


@dataclasses.dataclass
class LiveApi:
    """The server, one client per principal, the seeded ids, the database URL."""

    url: str
    database: str
    state: str
    clients: dict
    ids: dict

    def client(self, principal):
        return self.clients[principal]


@contextlib.contextmanager
def live_api(database):
    """A migrated accel-api on ``database`` (a scratch URL), seeded; yields LiveApi."""
    with tempfile.TemporaryDirectory() as state:
        htpasswd = os.path.join(state, "htpasswd")
        write_htpasswd(htpasswd, {u: pw for u, (pw, _, _) in PRINCIPALS.items()})
        with running_server(state_dir=state, config=_config(state, htpasswd, database),
                            database=database) as url:
            clients = {name: Client(url, name) for name in [*PRINCIPALS, ANONYMOUS]}
            api = LiveApi(url, database, state, clients, {})
            seed(api)
            yield api


def _ok(answer, *statuses):
    assert answer.status in statuses, (answer.request, answer.status, answer.body[:500])
    return answer.json() if answer.body else None


def upload(client, ident, data):
    return client.request("PUT", f"/v2/bitstreams/{ident}/data", body=data,
                          headers={"Content-Type": "application/octet-stream"})


def seed(api):
    """Two hosts, profiles, each project's ARQ, claim and bitstreams, an attribute."""
    admin, service = api.client("admin"), api.client("service")
    alice, bob = api.client("alice"), api.client("bob")
    doc = inventory("h1", 2, 2)
    for i, device in enumerate(doc["devices"]):
        device["deployables"][0]["attributes"]["pr_interface_id"] = f"{i + 1:032x}"
    _ok(service.request("PUT", "/v2/hosts/h1/inventory", json_body=doc), 200)
    _ok(service.request("PUT", "/v2/hosts/h2/inventory",
                        json_body=inventory("h2", 1, 1, bus_base=0x5E)), 200)
    _ok(admin.request("POST", "/v2/device_profiles",
                      json_body=[{"name": "dp", "groups": [{"resources:FPGA": "1"}]}]), 201)
    _ok(admin.request("POST", "/v2/device_profiles",
                      json_body=[{"name": "dp2", "groups": [{"resources:FPGA": "1"}]}]), 201)
    deployables = _ok(admin.get("/v2/deployables?hostname=h1"), 200)["deployables"]
    devices = _ok(admin.get("/v2/devices"), 200)["devices"]
    ids = api.ids
    ids["deployable"] = deployables[0]["uuid"]
    ids["deployable_id"] = deployables[0]["device_id"]
    ids["rp_uuid"] = deployables[0]["rp_uuid"]
    ids["device"] = devices[0]["uuid"]
    ids["attribute"] = _ok(admin.request("POST", "/v2/attributes", json_body={
        "deployable_id": deployables[0]["device_id"], "key": "seeded",
        "value": "v"}), 201)["uuid"]
    ids["arq_alice"] = _ok(alice.request("POST", "/v2/accelerator_requests", json_body={
        "device_profile_name": "dp"}), 201)["arqs"][0]["uuid"]
    ids["arq_bob"] = _ok(bob.request("POST", "/v2/accelerator_requests", json_body={
        "device_profile_name": "dp"}), 201)["arqs"][0]["uuid"]
    ids["claim_alice"] = _ok(alice.request("POST", "/v2/claims", json_body={
        "hostname": "h2", "resource_class": "FPGA"}), 201)["uuid"]
    for owner in ("alice", "bob"):
        client = api.client(owner)
        created = _ok(client.request("POST", "/v2/bitstreams", json_body={
            "name": f"{owner}-gzip", "vendor": "intel", "function_id": f"{7:032x}",
            "interface_id": f"{1:032x}"}), 201)
        ids[f"bitstream_{owner}"] = created["uuid"]
        _ok(upload(client, created["uuid"], f"{owner} bytes".encode() * 100), 200)
        ids[f"uploading_{owner}"] = _ok(client.request("POST", "/v2/bitstreams", json_body={
            "name": f"{owner}-pending"}), 201)["uuid"]
    _ok(api.client(AGENT).request("PUT", "/v2/hosts/h1/agent", json_body={
        "rpc_host": "127.0.0.1", "rpc_port": _closed_port()}), 200)


def _closed_port():
    """A port nothing listens on (an agent that is down), from the tests' own range: no
    client socket takes it as its local port meanwhile."""
    from tests.realprocs.base import free_port

    return free_port()


def dump(api):
    """Every row of every table, and every file of the bitstream store: what a refused
    request must leave exactly as it was."""
    engine = sa.create_engine(api.database)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        out = {}
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                out[table.name] = [tuple(r) for r in conn.execute(
                    sa.select(table).order_by(*order))]
    finally:
        engine.dispose()
    store = os.path.join(api.state, "bitstreams")
    files = {}
    for top, _, names in os.walk(store):
        for name in names:
            path = os.path.join(top, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, store)] = hashlib.sha256(f.read()).hexdigest()
    out["<bitstream store>"] = sorted(files.items())
    return out
