"""Rows that accel-api processes lease from one another: work that must outlive the
process that started it (an asynchronous bind, an upload to Glance).

A leased table has ``id``, ``owner`` and ``lease_expires_at`` columns. The owner renews
the leases of the rows it works on; a row whose lease passed belongs to a process that
died (or gave it back), and any process may take it with a guarded
``UPDATE ... WHERE lease_expires_at < now``, which exactly one process wins on every
database. Clocks of the API nodes should agree to well within the lease.
"""

import datetime as dt
import os
import secrets
import socket

import sqlalchemy as sa

from accel_api.db import models as m


def new_owner():
    """This process's name as an owner: host, pid and a token that a restarted process
    with the same pid never shares."""
    return f"{socket.gethostname()[:180]}:{os.getpid()}:{secrets.token_hex(6)}"


class Leases:
    """The leases ``owner`` holds on rows of ``table``, each for ``lease`` (a timedelta)."""

    def __init__(self, db, table, owner, lease):
        self.db, self.table, self.owner, self.lease = db, table, owner, lease

    def renew(self, ids):
        """Extend the leases of the rows ``ids`` this owner still holds; how many."""
        if not ids:
            return 0
        t = self.table

        def _renew(conn):
            return conn.execute(
                sa.update(t).where(t.c.id.in_(list(ids)), t.c.owner == self.owner)
                .values(lease_expires_at=m.utcnow() + self.lease)).rowcount

        return self.db.run_core(_renew)

    def take_due(self, limit, *where, columns=()):
        """Take up to ``limit`` rows whose lease passed (oldest first) and that match
        ``where``: [(row, previous owner)], ``row`` holding ``id`` and ``columns``.
        A row another process takes first is left out."""
        t = self.table
        now = m.utcnow()
        with self.db.reading() as conn:
            due = conn.execute(
                sa.select(t.c.id, t.c.owner, *columns)
                .where(t.c.lease_expires_at < now, *where)
                .order_by(t.c.lease_expires_at).limit(limit)).all()
        taken = []
        for row in due:
            def _take(conn, row_id=row.id):
                return conn.execute(
                    sa.update(t).where(t.c.id == row_id, t.c.lease_expires_at < now)
                    .values(owner=self.owner, lease_expires_at=m.utcnow() + self.lease)
                ).rowcount

            if self.db.run_core(_take) == 1:
                taken.append((row, row.owner))
        return taken

    def end(self, row_id=None):
        """End this owner's lease on ``row_id`` (on all its rows when None), so that
        any process may take the row at once; how many."""
        t = self.table
        where = [t.c.owner == self.owner]
        if row_id is not None:
            where.append(t.c.id == row_id)

        def _end(conn):
            return conn.execute(sa.update(t).where(*where).values(
                lease_expires_at=m.utcnow() - dt.timedelta(seconds=1))).rowcount

        return self.db.run_core(_end)
