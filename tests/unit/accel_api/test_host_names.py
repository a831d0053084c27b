"""In-process: the inventory import refuses host names that cannot identify one host,
and a host's view says where its providers are in Placement (null when not reported)."""

import json
import tempfile
import unittest
import urllib.parse

from webob import Request

from accel_api.api.app import load_conf, make_app
from accel_api.db import engine, migrate
from tests.accel_api_helpers import inventory


def _call(app, method, path, body=None):
    req = Request.blank(path, method=method)
    if body is not None:
        req.body = json.dumps(body).encode()
        req.content_type = "application/json"
    return req.get_response(app)


class HostNamesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._dir = tempfile.TemporaryDirectory()
        conf = load_conf(args=[])
        conf.set_override("state_dir", cls._dir.name)
        migrate.upgrade(engine.default_url(cls._dir.name))
        cls.app = make_app(conf)

    @classmethod
    def tearDownClass(cls):
        cls._dir.cleanup()

    def test_loopback_and_placeholder_names_are_refused_and_nothing_is_stored(self):
        for name in ("localhost", "localhost.localdomain", "127.0.0.1", "::1", "LOCALHOST",
                     "ip6-localhost", "(none)", "0.0.0.0"):
            with self.subTest(name=name):
                path = f"/v2/hosts/{urllib.parse.quote(name, safe='')}/inventory"
                resp = _call(self.app, "PUT", path, inventory(name))
                self.assertEqual(resp.status_int, 400, resp.text)
                fault = json.loads(resp.json["error_message"])["faultstring"]
                self.assertRegex(fault, "loopback|placeholder|unspecified")
        hosts = _call(self.app, "GET", "/v2/hosts").json["hosts"]
        self.assertFalse([h for h in hosts if h["hostname"] in ("localhost", "::1")])

    def test_a_host_without_placement_reporting_shows_no_placement_state(self):
        resp = _call(self.app, "PUT", "/v2/hosts/compute-7/inventory", inventory("compute-7"))
        self.assertEqual(resp.status_int, 200, resp.text)
        self.assertNotIn("placement", resp.json)
        host = _call(self.app, "GET", "/v2/hosts/compute-7").json
        self.assertIsNone(host["placement"])
