"""The shared lease mechanism (``accel_api.db.leases``) on rows of a real table."""

import datetime as dt
import uuid

import sqlalchemy as sa

from accel_api.db import leases
from accel_api.db import models as m
from tests.accel_api_helpers import sqlite_database
from tests.unit import base

BU = m.BitstreamUpload.__table__
LEASE = dt.timedelta(seconds=60)


class LeasesTest(base.TestCase):
    def setUp(self):
        super().setUp()
        self.db = sqlite_database(self.tmp_dir())
        self.addCleanup(self.db.engine.dispose)

    def _row(self, owner, expires_in, backend="glance"):
        def _insert(conn):
            return conn.execute(sa.insert(BU).values(
                upload_id=str(uuid.uuid4()), bitstream_uuid=str(uuid.uuid4()),
                backend=backend, location=f"img-{uuid.uuid4().hex[:8]}", owner=owner,
                lease_expires_at=m.utcnow() + dt.timedelta(seconds=expires_in))
            ).inserted_primary_key[0]

        return self.db.run_core(_insert)

    def _owner(self, row_id):
        with self.db.reading() as conn:
            return conn.scalar(sa.select(BU.c.owner).where(BU.c.id == row_id))

    def test_owners_are_unique_per_process_start(self):
        self.assertNotEqual(leases.new_owner(), leases.new_owner())

    def test_renew_extends_only_the_owners_own_rows(self):
        a = leases.Leases(self.db, BU, "a", LEASE)
        mine, theirs = self._row("a", -5), self._row("b", -5)
        self.assertEqual(a.renew([mine, theirs]), 1)
        self.assertEqual(a.renew([]), 0)
        taken = leases.Leases(self.db, BU, "c", LEASE).take_due(10)
        self.assertEqual([row.id for row, _ in taken], [theirs])

    def test_a_due_row_is_taken_once_with_its_columns_and_filter(self):
        live = self._row("a", 30)
        dead = self._row("gone", -30)
        other_store = self._row("gone", -30, backend="local")
        b, c = (leases.Leases(self.db, BU, name, LEASE) for name in ("b", "c"))
        taken = b.take_due(10, BU.c.backend == "glance", columns=(BU.c.location,))
        self.assertEqual([(row.id, old) for row, old in taken], [(dead, "gone")])
        self.assertTrue(taken[0][0].location.startswith("img-"))
        self.assertEqual(self._owner(dead), "b")
        self.assertEqual(c.take_due(10, BU.c.backend == "glance"), [])  # b holds it now
        self.assertEqual(self._owner(live), "a")
        self.assertEqual(self._owner(other_store), "gone")

    def test_an_ended_lease_can_be_taken_at_once(self):
        a = leases.Leases(self.db, BU, "a", LEASE)
        first, second = self._row("a", 60), self._row("a", 60)
        self.assertEqual(a.end(first), 1)
        taken = leases.Leases(self.db, BU, "b", LEASE).take_due(10)
        self.assertEqual([row.id for row, _ in taken], [first])
        self.assertEqual(a.end(), 1)  # all of a's rows: only ``second`` is left to it
        self.assertEqual(self._owner(second), "a")
        taken = leases.Leases(self.db, BU, "b", LEASE).take_due(10)
        self.assertEqual([row.id for row, _ in taken], [second])
