"""What Placement should hold: the same from a document and from stored rows; digests
that change exactly when what Placement should hold (or where) changes."""

import types

from accel_api.placement import desired
from tests.accel_api_helpers import inventory
from tests.unit import base


def _rows(hostname, doc, disabled=(), lost=()):
    """The rows accel-api stores for ``doc`` (as ``desired.row_columns`` reads them)."""
    rows = []
    for device in doc["devices"]:
        for dep in device["deployables"]:
            rows.append(types.SimpleNamespace(
                id=len(rows), kind=dep["kind"], local_id=dep["id"],
                rp_uuid=desired.identity.deployable_rp_uuid(hostname, dep["id"]),
                resource_class=dep["resource_class"], num_accelerators=dep["num_accelerators"],
                dep_traits=dep["traits"], dep_lost=dep["id"] in lost,
                dev_traits=device.get("traits", []),
                dev_status="disabled" if device["id"] in disabled else "enabled",
                dev_lost=False))
    return rows


class DesiredTest(base.TestCase):
    def setUp(self):
        super().setUp()
        self.doc = inventory("compute-1", devices=3, handles_per_device=2)
        self.target = desired.Target("compute-1", desired.NOVA, "compute-1")

    def test_rows_and_document_agree(self):
        disabled = {"0000:3c:00.0"}
        self.assertEqual(desired.from_document("compute-1", self.doc, disabled),
                         desired.from_rows("compute-1", _rows("compute-1", self.doc, disabled)))

    def test_a_lost_deployable_stays_fully_reserved(self):
        lost = {"0000:3b:00.0/region0"}
        want = desired.from_rows("compute-1", _rows("compute-1", self.doc, lost=lost))
        uuid = desired.identity.deployable_rp_uuid("compute-1", "0000:3b:00.0/region0")
        self.assertEqual(want[uuid].reserved, want[uuid].total)

    def test_digest_follows_content_and_target_only(self):
        want = desired.from_document("compute-1", self.doc)
        same = desired.from_document("compute-1", inventory("compute-1", 3, 2))
        self.assertEqual(desired.digest(self.target, want), desired.digest(self.target, same))
        for changed in (desired.from_document("compute-1", self.doc, {"0000:3b:00.0"}),
                        desired.from_document("compute-1", inventory("compute-1", 2, 2)),
                        desired.from_document("compute-1", inventory(
                            "compute-1", 3, 2, traits=("CUSTOM_FPGA_XILINX",)))):
            with self.subTest():
                self.assertNotEqual(desired.digest(self.target, want),
                                    desired.digest(self.target, changed))
        for other in (desired.Target("compute-1", desired.STANDALONE),
                      desired.Target("compute-1", desired.NOVA, "compute-1.example.org")):
            with self.subTest(target=other):
                self.assertNotEqual(desired.digest(self.target, want),
                                    desired.digest(other, want))

    def test_root_names(self):
        self.assertEqual(self.target.root_name, "compute-1")
        self.assertEqual(desired.Target("c", desired.NOVA, "c.example.org").root_name,
                         "c.example.org")
        self.assertEqual(desired.Target("c", desired.STANDALONE).root_name,
                         "ironic-accel:standalone:c")
