"""The agent channel, in-process (http_basic): only host H's agent registers H's endpoint
and gets H's credential; endpoints that reach something else are refused; a job never
sends a credential to an endpoint another principal registered."""

import base64
import json
import os
import socket
import tempfile
import threading
import uuid

from accel_api import jobs
from accel_api.agents import credentials, endpoints
from accel_api.api.app import load_conf
from tests.accel_api_helpers import inprocess_app, inventory, write_htpasswd, wsgi_call
from tests.unit import base

SECRET = "unit-test-rpc-secret"
USERS = {"admin": "a", "nova": "n", "ironic": "i", "accel-agent@host-a": "ha",
         "accel-agent@host-b": "hb"}


def _call(app, method, path, user=None, body=None):
    headers = {}
    if user:
        token = base64.b64encode(f"{user}:{USERS[user]}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    return wsgi_call(app, method, path, body, headers)


def _fault(resp):
    return json.loads(resp.json["error_message"])["faultstring"]


class AgentChannelTest(base.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._dir = tempfile.TemporaryDirectory()
        d = cls._dir.name
        write_htpasswd(os.path.join(d, "htpasswd"), USERS)
        with open(os.path.join(d, "policy.yaml"), "w") as f:
            # An operator who lets admins re-point endpoints: they still get no credential.
            f.write('"accel:host:register_agent": "rule:host_agent or rule:context_is_admin"\n')
        path = os.path.join(d, "accel-api.conf")
        with open(path, "w") as f:
            f.write("[api]\nauth_strategy = http_basic\n"
                    f"[http_basic]\nauth_file = {d}/htpasswd\n"
                    "user_roles = admin:admin,nova:service,ironic:service\n"
                    "user_projects = admin:admin,nova:service,ironic:service\n"
                    "[agent_rpc]\nauth_strategy = http_basic\n"
                    f"credential_secret = {SECRET}\n"
                    f"[oslo_policy]\npolicy_file = {d}/policy.yaml\n")
        cls.app, cls.conf = inprocess_app(d, path)

    @classmethod
    def tearDownClass(cls):
        cls._dir.cleanup()
        super().tearDownClass()

    def register(self, host, user, rpc_host="192.0.2.10", port=8089):
        return _call(self.app, "PUT", f"/v2/hosts/{host}/agent", user,
                     {"rpc_host": rpc_host, "rpc_port": port})

    def test_only_the_hosts_agent_registers_it_and_gets_its_credential(self):
        resp = self.register("host-a", "accel-agent@host-a")
        self.assertEqual(resp.status_int, 200, resp.text)
        self.assertEqual(resp.headers["Cache-Control"], "no-store")
        given = resp.json["rpc_credential"]
        self.assertEqual(given, {"username": "accel-api",
                                 "password": credentials.rpc_password(SECRET, "host-a")})
        for user in ("accel-agent@host-b", "nova", "ironic"):
            with self.subTest(user=user):
                resp = self.register("host-a", user, rpc_host="198.51.100.66")
                self.assertEqual(resp.status_int, 403, resp.text)
        # The endpoint is still the agent's.
        resp = self.register("host-a", "accel-agent@host-a")
        self.assertEqual(resp.json["rpc_host"], "192.0.2.10")

    def test_an_admin_allowed_by_policy_registers_but_gets_no_credential(self):
        resp = self.register("host-c", "admin", rpc_host="192.0.2.77")
        self.assertEqual(resp.status_int, 200, resp.text)
        self.assertNotIn("rpc_credential", resp.json)
        self.assertEqual(resp.json["registered_by"], "admin")

    def test_a_hosts_agent_imports_only_its_own_inventory(self):
        ok = _call(self.app, "PUT", "/v2/hosts/host-a/inventory", "accel-agent@host-a",
                   inventory("host-a"))
        self.assertEqual(ok.status_int, 200, ok.text)
        other = _call(self.app, "PUT", "/v2/hosts/host-b/inventory", "accel-agent@host-a",
                      inventory("host-b"))
        self.assertEqual(other.status_int, 403, other.text)
        # Ironic's service user still pushes inspected nodes.
        pushed = _call(self.app, "PUT", "/v2/hosts/node-7/inventory", "ironic",
                       inventory("node-7"))
        self.assertEqual(pushed.status_int, 200, pushed.text)

    def test_agent_users_get_no_admin_or_service_power(self):
        for path in ("/v2/devices", "/v2/hosts"):
            with self.subTest(path=path):
                self.assertEqual(_call(self.app, "GET", path, "accel-agent@host-a").status_int,
                                 403)

    def test_endpoints_that_reach_something_else_are_refused(self):
        refused = {
            "169.254.169.254": "metadata", "fd00:ec2::254": "metadata",
            "::ffff:169.254.169.254": "metadata", "169.254.10.1": "link-local",
            "fe80::1": "link-local", "0.0.0.0": "unspecified", "::": "unspecified",
            "224.0.0.1": "multicast", "ff02::1": "multicast", "240.0.0.1": "reserved",
            "255.255.255.255": "reserved", "127.0.0.1": "loopback", "::1": "loopback",
            "localhost": "loopback", "a.localhost": "loopback", "bad_name": "RFC 1123",
            "-a.example.org": "RFC 1123", "a..example.org": "RFC 1123",
            "a" * 64 + ".org": "RFC 1123", "1.2.3": "numeric", "host.123": "numeric",
            "0x7f000001": "standard form", "2130706433": "numeric",
        }
        for rpc_host, why in refused.items():
            with self.subTest(rpc_host=rpc_host):
                resp = self.register("host-b", "accel-agent@host-b", rpc_host=rpc_host)
                self.assertEqual(resp.status_int, 400, resp.text)
                self.assertIn(why, _fault(resp))
        for rpc_host in ("compute-1.example.org", "10.0.0.5", "2001:db8::5", "Compute-1."):
            with self.subTest(rpc_host=rpc_host):
                resp = self.register("host-b", "accel-agent@host-b", rpc_host=rpc_host)
                self.assertEqual(resp.status_int, 200, resp.text)

    def test_hostnames_that_resolve_to_forbidden_addresses_are_refused_at_call_time(self):
        with self.assertRaisesRegex(endpoints.RefusedEndpoint, "loopback"):
            endpoints.check_resolved("localhost", 80)
        endpoints.check_resolved("localhost", 80, allow_loopback=True)


class CredentialsTest(base.TestCase):
    def test_every_host_and_secret_gets_its_own_password(self):
        a, b = credentials.rpc_password("s", "host-a"), credentials.rpc_password("s", "host-b")
        self.assertNotEqual(a, b)
        self.assertNotEqual(a, credentials.rpc_password("t", "host-a"))
        self.assertGreaterEqual(len(a), 43)  # 256 bits

    def test_download_signatures_name_host_bitstream_and_expiry(self):
        query = dict(p.split("=") for p in credentials.download_query(
            "s", "host-a", "b1", 60).split("&"))
        ok = credentials.check_download("s", "host-a", "b1", query["expires"], query["sig"])
        self.assertTrue(ok)
        for host, bitstream, secret, expires in (("host-b", "b1", "s", query["expires"]),
                                                 ("host-a", "b2", "s", query["expires"]),
                                                 ("host-a", "b1", "t", query["expires"]),
                                                 ("host-a", "b1", "s", "1")):
            with self.subTest(host=host, bitstream=bitstream, secret=secret):
                self.assertFalse(credentials.check_download(secret, host, bitstream,
                                                            expires, query["sig"]))


class NoCredentialToOthersEndpointsTest(base.TestCase):
    def test_a_job_sends_nothing_to_an_endpoint_the_agent_did_not_register(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.5)
        self.addCleanup(listener.close)
        accepted = []

        def _accept():
            try:
                accepted.append(listener.accept())
            except OSError:
                pass

        thread = threading.Thread(target=_accept)
        thread.start()
        conf = load_conf(args=[])
        conf.set_override("auth_strategy", "http_basic", "agent_rpc")
        conf.set_override("credential_secret", SECRET, "agent_rpc")
        conf.set_override("allow_loopback", True, "agent_rpc")
        plan = jobs.Plan(deployable_id=1, deployable_uuid=str(uuid.uuid4()), local_id="r0",
                         device_address="0000:3b:00.0", vendor_id="0x8086",
                         hostname="host-a", bitstream={"uuid": str(uuid.uuid4()), "size": 1,
                                                       "sha256": "0" * 64,
                                                       "function_id": None,
                                                       "interface_id": None},
                         rpc_host="127.0.0.1", rpc_port=listener.getsockname()[1],
                         registered_by_agent=False)
        outcome = jobs.drive(conf, plan, str(uuid.uuid4()), deadline=1e18)
        thread.join()
        self.assertIsInstance(outcome, jobs.Outcome)  # as every other way drive ends
        self.assertEqual(outcome.state, jobs.FAILED)
        self.assertIn("not registered by that host's agent", outcome.reason)
        self.assertEqual(accepted, [])


class KeystoneAgentPrincipalTest(base.TestCase):
    """With keystone, auth_token vouches for the user's name and domain; the agent host
    follows from them (a forged header never survives)."""

    def _seen(self, environ):
        from accel_api.auth import AGENT_HOST, keystone

        seen = {}

        def app(env, start_response):
            seen["host"] = env.get(AGENT_HOST)
            return []

        conf = load_conf(args=[])

        def authed(env, start_response):  # what auth_token leaves for the app
            env.update(environ)
            return keystone._AgentHost(app, conf)(env, start_response)

        env = {"PATH_INFO": "/v2/hosts/h/agent", AGENT_HOST: "forged-host"}
        keystone._PublicPaths(app, authed)(env, None)
        return seen["host"]

    def test_a_user_of_the_agents_domain_named_after_a_host_is_its_agent(self):
        self.assertEqual(self._seen({"HTTP_X_USER_NAME": "accel-agent@compute-1",
                                     "HTTP_X_USER_DOMAIN_NAME": "Default"}), "compute-1")

    def test_other_domains_and_names_are_no_hosts_agent(self):
        for environ in ({"HTTP_X_USER_NAME": "accel-agent@compute-1",
                         "HTTP_X_USER_DOMAIN_NAME": "tenant-ldap"},
                        {"HTTP_X_USER_NAME": "nova", "HTTP_X_USER_DOMAIN_NAME": "Default"},
                        {"HTTP_X_USER_NAME": "accel-agent@",
                         "HTTP_X_USER_DOMAIN_NAME": "Default"}, {}):
            with self.subTest(environ=environ):
                self.assertIsNone(self._seen(environ))
