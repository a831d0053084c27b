"""Uploads in flight to a store whose half-written bytes live outside accel-api (Glance).

A process killed between ``POST /v2/images`` and the end of ``PUT /v2/images/{id}/file``
leaves an image in ``queued`` or ``saving`` state that no bitstream points to; one
killed after the upload but before the record is marked ``active`` leaves an active
one. Nothing in Glance tells such an image from a live upload of another accel-api
process (there may be several workers and API nodes on one database), so uploads are
recorded in the database before Glance is asked for the image:

* ``begin`` inserts a ``bitstream_uploads`` row: the image id, chosen by accel-api (so
  the row names the image before it exists), the upload's marker (a UUID the image
  carries as its ``accel_upload_id`` property), the process doing it (``owner``:
  host:pid:token) and a lease that process renews every third of ``[bitstreams]
  upload_lease`` while the upload runs (``renew``, on this module's thread);
* the row goes in the transaction that marks the bitstream ``active`` (``finish``,
  guarded by ``owner``): from then on the image is the record's location; or once the
  image of a failed upload is deleted (``discard``); an image that could not be deleted
  keeps its row, with its lease ended, for the sweep to try again;
* a row whose lease passed is an upload whose process died, or an image left to delete.
  Every process looks for them at start and every third of the lease (``sweep``), takes
  one with a guarded ``UPDATE ... WHERE lease_expires_at < now`` (one process wins) and
  deletes its image, but only when the image carries that upload's marker and no
  bitstream has it as its location; then the row goes.

An image without the marker (made by anyone else, or by an accel-api before this
existed) is never touched: the sweep only ever looks at the images its rows name. A
process whose lease was taken (it was presumed dead: its database away for longer than
the lease) sees ``finish`` fail and does not mark the record active; the client uploads
again. Clocks of the API nodes should agree to well within the lease.
"""

import dataclasses
import datetime as dt
import logging
import threading
import time
import uuid

import sqlalchemy as sa

from accel_api.bitstreams import store
from accel_api.db import leases
from accel_api.db import models as m

LOG = logging.getLogger(__name__)
BATCH = 20
BU = m.BitstreamUpload.__table__
BITSTREAMS = m.Bitstream.__table__


@dataclasses.dataclass
class Pending:
    """One upload of this process: its row, the location and the marker."""

    id: int
    upload_id: str
    location: str


class PendingUploads:
    """The recorded uploads of one accel-api process, for one store."""

    def __init__(self, conf, db, bitstream_store, owner=None):
        self.db = db
        self.store = bitstream_store
        self.lease = dt.timedelta(seconds=conf.bitstreams.upload_lease)
        self.owner = owner or leases.new_owner()
        self.leases = leases.Leases(db, BU, self.owner, self.lease)
        self._active = set()
        self._lock = threading.Lock()
        self._thread = None
        self.stopping = threading.Event()

    # -- an upload -------------------------------------------------------------------

    def begin(self, bitstream_uuid):
        """Record an upload of ``bitstream_uuid`` by this process, before the store is
        written to; the lease is renewed from now on."""
        self.start()
        now = m.utcnow()
        upload_id, location = str(uuid.uuid4()), self.store.new_location()

        def _insert(conn):
            return conn.execute(sa.insert(BU).values(
                upload_id=upload_id, bitstream_uuid=bitstream_uuid, backend=self.store.name,
                location=location, owner=self.owner, lease_expires_at=now + self.lease,
                created_at=now)).inserted_primary_key[0]

        pending = Pending(self.db.run_core(_insert), upload_id, location)
        with self._lock:
            self._active.add(pending.id)
        return pending

    def finish(self, session, pending):
        """In the transaction that marks the bitstream active: the upload's row goes.
        False when it is no longer this process's (its lease passed and a sweep took it:
        the image is being removed, the record must not point to it)."""
        self.forget(pending)
        return session.execute(sa.delete(BU).where(
            BU.c.id == pending.id, BU.c.owner == self.owner)).rowcount == 1

    def discard(self, pending):
        """A failed upload: remove its image now and its row; when the store cannot,
        the lease ends now and the sweep tries again."""
        self.forget(pending)
        try:
            self._remove(pending.id, pending.location, pending.upload_id)
        except Exception as exc:  # the database or the store: the sweep tries again
            LOG.warning("the image of a failed upload (%s) is left to the sweep: %s",
                        pending.location, exc)
            self._end_lease(pending.id)

    def forget(self, pending):
        """This process stops renewing the upload's lease (idempotent)."""
        with self._lock:
            self._active.discard(pending.id)

    # -- leases and the sweep ----------------------------------------------------------

    def start(self):
        """The lease and sweep thread (idempotent); its first tick sweeps at once."""
        with self._lock:
            if self._thread is not None or self.stopping.is_set():
                return
            self._thread = threading.Thread(target=self._loop, daemon=True,
                                            name="bitstream-uploads")
            self._thread.start()

    def stop(self):
        """Graceful exit: the thread ends once the uploads still running are done (it
        renews their leases until then: the server lets their requests finish)."""
        self.stopping.set()

    def _loop(self):
        tick = self.lease.total_seconds() / 3
        while not self.stopping.is_set() or self._active:
            try:
                self.renew()
                self.sweep()
            except Exception:  # the database or Glance may be away a moment: next tick
                LOG.exception("bitstream uploads: lease renewal or sweep failed")
            if self.stopping.wait(tick):
                time.sleep(tick)  # stopping: renewing what still runs, at the same pace

    def renew(self):
        """Extend the leases of this process's uploads; how many."""
        with self._lock:
            ids = list(self._active)
        return self.leases.renew(ids)

    def sweep(self):
        """Remove the images of the uploads whose lease passed; how many were removed."""
        removed = 0
        for row, old_owner in self.leases.take_due(
                BATCH, BU.c.backend == self.store.name,
                columns=(BU.c.location, BU.c.upload_id)):
            try:
                if self._remove(row.id, row.location, row.upload_id):
                    removed += 1
                    LOG.info("removed Glance image %s of an interrupted upload (its "
                             "process %s is gone)", row.location, old_owner)
            except store.StoreError as exc:
                LOG.warning("could not remove image %s of an interrupted upload yet, "
                            "tried again later: %s", row.location, exc)
                self._end_lease(row.id)
        return removed

    def _remove(self, row_id, location, upload_id):
        """The image goes unless a bitstream points to it, then the row (this process's
        now); True when an image was removed."""
        with self.db.reading() as conn:
            used = conn.execute(sa.select(BITSTREAMS.c.id).where(
                BITSTREAMS.c.location == location).limit(1)).first()
        removed = False
        if used is None:
            removed = self.store.remove_upload(location, upload_id)

        def _delete(conn):
            conn.execute(sa.delete(BU).where(BU.c.id == row_id, BU.c.owner == self.owner))

        self.db.run_core(_delete)
        return removed

    def _end_lease(self, row_id):
        try:
            self.leases.end(row_id)
        except Exception:  # its lease lapses anyway
            LOG.exception("ending the lease of upload row %s failed", row_id)
