"""In-process: the inventory import refuses host names that cannot identify one host,
and a host's view says where its providers are in Placement (null when not reported)."""

import json
import tempfile
import urllib.parse

from tests.accel_api_helpers import inprocess_app, inventory
from tests.accel_api_helpers import wsgi_call as _call
from tests.unit import base


class HostNamesTest(base.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._dir = tempfile.TemporaryDirectory()
        cls.app, _ = inprocess_app(cls._dir.name)

    @classmethod
    def tearDownClass(cls):
        cls._dir.cleanup()
        super().tearDownClass()

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
