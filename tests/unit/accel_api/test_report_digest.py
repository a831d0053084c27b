"""An unchanged report (only collected_at moved) is recognised and costs one UPDATE; a
change made to the host's rows outside an import makes the next report a full import."""

import copy
import tempfile

from tests.accel_api_helpers import inprocess_app, inventory
from tests.accel_api_helpers import wsgi_call as _call
from tests.unit import base


class ReportDigestTest(base.TestCase):
    def setUp(self):
        super().setUp()
        self._dir = tempfile.TemporaryDirectory()
        self.addCleanup(self._dir.cleanup)
        self.app, _ = inprocess_app(self._dir.name)
        self.doc = inventory("compute-9", devices=2)
        self.doc["collected_at"] = "2026-12-01T00:00:00Z"
        self.assertEqual(self.put(self.doc)["unchanged"], False)

    def put(self, doc):
        resp = _call(self.app, "PUT", "/v2/hosts/compute-9/inventory", doc)
        self.assertEqual(resp.status_int, 200, resp.text)
        return resp.json

    def test_only_collected_at_moved_is_unchanged_and_recorded(self):
        later = dict(self.doc, collected_at="2026-12-01T00:05:00Z")
        summary = self.put(later)
        self.assertIs(summary["unchanged"], True)
        self.assertEqual(summary["devices"], {"added": 0, "updated": 0, "removed": 0,
                                              "lost": 0})
        host = _call(self.app, "GET", "/v2/hosts/compute-9").json
        self.assertEqual(host["collected_at"], "2026-12-01T00:05:00Z")

    def test_any_other_change_is_imported(self):
        changed = copy.deepcopy(self.doc)
        changed["devices"][0]["deployables"][0]["traits"].append("CUSTOM_NEW")
        summary = self.put(changed)
        self.assertIs(summary["unchanged"], False)
        self.assertEqual(summary["deployables"]["updated"], 1)

    def test_an_odd_timestamp_takes_the_validating_path(self):
        bad = dict(self.doc, collected_at=12)
        resp = _call(self.app, "PUT", "/v2/hosts/compute-9/inventory", bad)
        self.assertEqual(resp.status_int, 400, resp.text)

    def test_a_deleted_inventory_attribute_comes_back_with_the_next_report(self):
        attrs = _call(self.app, "GET", "/v2/attributes").json["attributes"]
        region = next(a for a in attrs if a["key"] == "region_id")
        self.assertEqual(_call(self.app, "DELETE",
                               f"/v2/attributes/{region['uuid']}").status_int, 204)
        summary = self.put(dict(self.doc, collected_at="2026-12-01T00:10:00Z"))
        self.assertIs(summary["unchanged"], False)
        keys = [(a["deployable_id"], a["key"])
                for a in _call(self.app, "GET", "/v2/attributes").json["attributes"]]
        self.assertIn((region["deployable_id"], "region_id"), keys)
