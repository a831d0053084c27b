"""Asynchronous programming binds, as Cyborg does them: 202 at once, then the work.

The states an ARQ goes through::

    Initial/Unbound --PATCH--> BindStarted --job succeeded--> Bound      -> event "completed"
                                           --job failed-----> BindFailed -> event "failed"

The PATCH (``binding.bind``) checks everything, takes the handle, records the
programming job and, in the same transaction, an ``async_binds`` row owned by this
process (``owner``: host:pid:random token) with a lease. After the commit the bind is
handed to this process's ``AsyncBinds`` threads, which drive the job on the host's
agent, then in one transaction end the ARQ ``Bound`` (the verified function recorded on
the deployable) or ``BindFailed`` (the handle released: nothing held), and the row
moves to phase ``notify``; Nova's event (``nova_events``) is sent after that commit, so
that an event never announces a state Nova cannot read yet. The row goes once Nova
took the event (or gave a final answer; or after ``[claims] async_notify_attempts``).

The database is the only shared state. While a process works on a row it renews the
lease every third of ``[claims] async_bind_lease``. Every process looks, at start and
at each tick, for rows whose lease passed (their owner died, was killed, or gave them
back on SIGTERM) and takes them with a guarded ``UPDATE ... WHERE lease_expires_at <
now``: one process wins. The taker re-attaches to the job on the agent (``start_job``
is idempotent by job id), so a bind whose owner died mid-programming is finished, or
ends BindFailed when the agent lost it; either way Nova is told. Ending a bind checks
that the row is still this process's and the ARQ still ``BindStarted`` (an unbind or
delete meanwhile wins: the row goes with its ARQ). Clocks of the API nodes should agree
to well within the lease.
"""

import datetime as dt
import logging
import queue
import threading

import sqlalchemy as sa

from accel_api import jobs, states
from accel_api.claims import handles
from accel_api.db import leases
from accel_api.db import models as m
from accel_api.nova_events import COMPLETED, FAILED

LOG = logging.getLogger(__name__)
PROGRAM, NOTIFY = "program", "notify"
BATCH = 20
AB = m.AsyncBind.__table__
ARQ = m.AcceleratorRequest.__table__


class AsyncBinds:
    """The asynchronous binds of one accel-api process (one per ``AccelApi``)."""

    def __init__(self, conf, db, partitioner=None, notifier=None, owner=None,
                 drive=None):
        self.conf = conf
        self.db = db
        self.partitioner = partitioner
        self.lease = dt.timedelta(seconds=conf.claims.async_bind_lease)
        self.owner = owner or leases.new_owner()
        self.leases = leases.Leases(db, AB, self.owner, self.lease)
        self._notifier = notifier
        self._drive = drive  # tests: the programming step alone
        self._active = set()
        self._lock = threading.Lock()
        self._queue = queue.SimpleQueue()
        self._threads = []
        self.stopping = threading.Event()

    # -- the PATCH side --------------------------------------------------------------

    def record(self, conn, arq_id, job_uuid):
        """In the bind's transaction: this process owns the bind of ARQ ``arq_id``."""
        now = m.utcnow()
        conn.execute(sa.insert(AB).values(
            arq_id=arq_id, job_uuid=job_uuid, phase=PROGRAM, owner=self.owner,
            lease_expires_at=now + self.lease, attempts=0, created_at=now))

    def submit(self, arq_uuids):
        """After the bind committed: work on these ARQs' binds now."""
        self.start()
        with self.db.reading() as conn:
            rows = conn.execute(
                sa.select(AB.c.id).join(ARQ, ARQ.c.id == AB.c.arq_id)
                .where(ARQ.c.uuid.in_(list(arq_uuids)), AB.c.owner == self.owner)).all()
        for (row_id,) in rows:
            self._spawn(row_id)

    # -- threads ---------------------------------------------------------------------

    def start(self):
        """Start the workers and the lease/takeover thread (idempotent); the first tick
        takes over what dead owners left."""
        with self._lock:
            if self._threads or self.stopping.is_set():
                return
            # Daemon threads: an exiting process never waits for a job (its binds are
            # given back, or their leases lapse).
            self._threads = [threading.Thread(target=self._serve, name=f"async-bind-{n}",
                                              daemon=True)
                             for n in range(self.conf.claims.async_bind_workers)]
            self._threads.append(threading.Thread(target=self._loop, daemon=True,
                                                  name="async-bind-leases"))
            for thread in self._threads:
                thread.start()

    def _serve(self):
        while True:
            row_id = self._queue.get()
            if row_id is None:
                return
            self._work(row_id)

    def _loop(self):
        tick = self.lease.total_seconds() / 3
        while not self.stopping.is_set():
            try:
                self.renew()
                self.take_over()
            except Exception:  # the database may be away a moment: next tick
                LOG.exception("asynchronous binds: lease renewal or takeover failed")
            self.stopping.wait(tick)

    def _spawn(self, row_id):
        with self._lock:
            if row_id in self._active or not self._threads or self.stopping.is_set():
                return
            self._active.add(row_id)
        self._queue.put(row_id)

    def _work(self, row_id):
        try:
            self.process(row_id)
        except Exception:
            LOG.exception("asynchronous bind %s failed unexpectedly; its lease lapses and "
                          "it is taken over", row_id)
        finally:
            with self._lock:
                self._active.discard(row_id)

    def stop(self, give_back=True):
        """Graceful exit: stop taking work and give every bind of this process back (its
        lease ends now), so that another process takes them over at once."""
        self.stopping.set()
        if give_back:
            try:
                n = self.give_back()
                if n:
                    LOG.info("gave %d asynchronous bind(s) back for another accel-api", n)
            except Exception:
                LOG.exception("giving asynchronous binds back failed; their leases lapse")
        for _ in range(self.conf.claims.async_bind_workers):
            self._queue.put(None)

    # -- leases ----------------------------------------------------------------------

    def renew(self):
        """Extend the leases of the binds this process is working on; how many."""
        with self._lock:
            ids = list(self._active)
        return self.leases.renew(ids)

    def give_back(self):
        return self.leases.end()

    def take_over(self):
        """Take the binds whose lease passed (a dead owner's, a given-back one, or one
        whose event waits for another try) and work on them; their ids."""
        taken = []
        for row, old_owner in self.leases.take_due(BATCH):
            if old_owner != self.owner:
                LOG.warning("took over asynchronous bind %s from %s (lease passed)",
                            row.id, old_owner)
            taken.append(row.id)
            if not self.stopping.is_set():
                self._spawn(row.id)
        return taken

    # -- the work --------------------------------------------------------------------

    def _load(self, row_id):
        with self.db.reading() as conn:
            return conn.execute(
                sa.select(AB.c.phase, AB.c.job_uuid, AB.c.outcome, AB.c.owner,
                          AB.c.attempts, ARQ.c.uuid, ARQ.c.state, ARQ.c.instance_uuid)
                .join(ARQ, ARQ.c.id == AB.c.arq_id).where(AB.c.id == row_id)).first()

    def process(self, row_id):
        """Drive one bind to its end and tell Nova; what became of it (for tests)."""
        row = self._load(row_id)
        if row is None:
            return "gone"
        if row.owner != self.owner:
            return "not-mine"
        if row.phase == PROGRAM:
            if row.state == states.BIND_STARTED:
                drive = self._drive or _drive_on_agent
                outcome, plan = drive(self.db, self.conf, row.job_uuid)
            else:  # unbound or failed meanwhile: nothing to program for
                outcome, plan = jobs.Outcome(jobs.FAILED, f"the ARQ became {row.state} "
                                             "before its programming started"), None
            ended = self.finish(row_id, outcome, plan)
            if ended is None:
                return "ended-elsewhere"
            instance_uuid, arq_uuid, status = ended
        else:
            instance_uuid, arq_uuid, status = row.instance_uuid, row.uuid, row.outcome
        return self.notify(row_id, instance_uuid, arq_uuid, status, row.attempts)

    def finish(self, row_id, outcome, plan):
        """Record the job's ``outcome`` and end the ARQ Bound or BindFailed by it (one
        transaction); (instance, arq uuid, event status), or None when the bind is not
        this process's any more, or its ARQ left BindStarted meanwhile (unbound)."""

        def _end(session):
            conn = session.connection()
            ab = conn.execute(sa.select(AB.c.arq_id, AB.c.job_uuid).where(
                AB.c.id == row_id, AB.c.owner == self.owner, AB.c.phase == PROGRAM)
                .with_for_update()).first()
            if ab is None:
                return None
            arq = conn.execute(sa.select(ARQ.c.id, ARQ.c.uuid, ARQ.c.state,
                                         ARQ.c.instance_uuid, ARQ.c.hostname,
                                         ARQ.c.attach_handle_id, ARQ.c.partition)
                               .where(ARQ.c.id == ab.arq_id).with_for_update()).first()
            ok = outcome.state == jobs.SUCCEEDED and plan is not None
            job = session.scalar(sa.select(m.ProgrammingJob).where(
                m.ProgrammingJob.uuid == ab.job_uuid).with_for_update())
            if job is not None and job.state not in jobs.FINAL:
                job.state = jobs.SUCCEEDED if ok else jobs.FAILED
                job.reason, job.function_id = outcome.reason or None, outcome.function_id
                job.finished_at = jobs.utcnow()
            if ok:  # the card runs it, whatever became of the ARQ
                jobs.finish(session, plan.deployable_id, plan.vendor_id,
                            plan.bitstream["uuid"], outcome.function_id)
            session.flush()
            if arq is None or arq.state != states.BIND_STARTED:
                conn.execute(sa.delete(AB).where(AB.c.id == row_id))
                return None
            if ok:
                values = {"state": states.BOUND}
            else:
                if arq.partition and self.partitioner is not None:
                    self.partitioner.remove(conn, arq.hostname, arq.partition)
                handles.release(conn, self.db, [arq.attach_handle_id])
                values = {"state": states.BIND_FAILED, "attach_handle_id": None,
                          "partition": sa.null()}
            conn.execute(sa.update(ARQ).where(ARQ.c.id == arq.id).values(**values))
            status = COMPLETED if ok else FAILED
            conn.execute(sa.update(AB).where(AB.c.id == row_id).values(
                phase=NOTIFY, outcome=status, lease_expires_at=m.utcnow() + self.lease))
            return arq.instance_uuid, arq.uuid, status

        ended = self.db.run(_end)
        if ended is not None:
            LOG.log(logging.INFO if ended[2] == COMPLETED else logging.WARNING,
                    "asynchronous bind of ARQ %s: %s%s", ended[1],
                    "Bound" if ended[2] == COMPLETED else "BindFailed",
                    "" if ended[2] == COMPLETED else f" ({outcome.reason})")
        return ended

    def notifier(self):
        if self._notifier is None:
            from accel_api import nova_events

            self._notifier = nova_events.NovaNotifier.from_conf(self.conf) or False
        return self._notifier or None

    def notify(self, row_id, instance_uuid, arq_uuid, status, attempts=0):
        """Send Nova's event; the row goes once delivered (or given up), else its lease
        is shortened so that the next tick (of any process) tries again."""
        notifier = self.notifier()
        if notifier is None or not instance_uuid:
            self._forget(row_id)
            return "no-nova"
        delivery = notifier.bound(instance_uuid, arq_uuid, status)
        if delivery.done:
            self._forget(row_id)
            LOG.info("told Nova: ARQ %s of server %s %s (%s)", arq_uuid, instance_uuid,
                     status, delivery.detail)
            return "notified"
        attempts += 1
        if attempts >= self.conf.claims.async_notify_attempts:
            self._forget(row_id)
            LOG.error("gave up telling Nova that ARQ %s of server %s is %s after %d tries: "
                      "%s (Nova stops waiting after its arq_binding_timeout)", arq_uuid,
                      instance_uuid, status, attempts, delivery.detail)
            return "given-up"
        retry = min(self.lease.total_seconds(), 2 ** attempts)

        def _later(conn):
            conn.execute(sa.update(AB).where(AB.c.id == row_id, AB.c.owner == self.owner)
                         .values(attempts=attempts, lease_expires_at=m.utcnow()
                                 + dt.timedelta(seconds=retry)))

        self.db.run_core(_later)
        LOG.warning("event of ARQ %s not delivered to Nova (%s); try %d again in %ds",
                    arq_uuid, delivery.detail, attempts, retry)
        return "retry"

    def _forget(self, row_id):
        def _delete(conn):
            conn.execute(sa.delete(AB).where(AB.c.id == row_id, AB.c.owner == self.owner))

        self.db.run_core(_delete)


def _drive_on_agent(db, conf, job_uuid):
    from accel_api.agents import programmer

    return programmer.drive_recorded(db, conf, job_uuid)
