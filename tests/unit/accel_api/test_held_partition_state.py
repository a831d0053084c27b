"""A held VF's vGPU type is its bind's: a report collected before the agent set it
(imported in full because the bind forgot the host's report digest) does not take it
back; once the VF is free, reports say what it holds again."""

import sqlalchemy as sa

from accel_api import inventory_import
from accel_api.db import models as m
from tests.accel_api_helpers import inventory, sqlite_database
from tests.unit import base


def _vf_doc():
    doc = inventory("h1", devices=1, handles_per_device=2)
    for handle in doc["devices"][0]["deployables"][0]["attach_handles"]:
        handle["partition_form"] = "vgpu_vf"
    return doc


class HeldPartitionStateTest(base.TestCase):
    def setUp(self):
        super().setUp()
        self.db = sqlite_database(self.tmp_dir())
        self.addCleanup(self.db.dispose)
        self.doc = _vf_doc()
        inventory_import.import_inventory(self.db, "h1", self.doc)
        with self.db.transaction() as session:
            self.handle_id = session.scalar(sa.select(m.AttachHandle.id).order_by(
                m.AttachHandle.id).limit(1))

    def _handle(self):
        with self.db.transaction() as session:
            return session.get(m.AttachHandle, self.handle_id)

    def _bind_sets_type(self, in_use=True):
        # What binding.py does for a VF: the handle held, its type the one the agent set,
        # the host's next report imported in full.
        with self.db.transaction() as session:
            session.execute(sa.update(m.AttachHandle).where(
                m.AttachHandle.id == self.handle_id).values(in_use=in_use,
                                                           partition_type="1151"))
            inventory_import.forget_report(session, handle_id=self.handle_id)

    def test_a_stale_report_keeps_a_held_vfs_type(self):
        self._bind_sets_type()
        inventory_import.import_inventory(self.db, "h1", self.doc)  # collected before
        self.assertEqual(self._handle().partition_type, "1151")

    def test_a_free_vf_takes_the_reported_type(self):
        self._bind_sets_type(in_use=False)
        inventory_import.import_inventory(self.db, "h1", self.doc)
        self.assertIsNone(self._handle().partition_type)
