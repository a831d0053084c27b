"""Retries of hosts that are not synced: waiting for the compute node's provider, or
after Placement failed.

Each accel-api worker runs one ``Retrier`` thread (``AccelApi.start_background``). It
looks for ``host_placements`` rows whose ``next_try_at`` has passed and takes one by
moving its ``next_try_at`` forward with a compare-and-set ``UPDATE`` (so of several
workers, or several accel-api nodes on one database, one retries it), then syncs the
host from the database. The sync sets the next try (backoff, see ``report``) or clears
it once the host is synced. Rows survive restarts, so a restarted accel-api picks up
the hosts still waiting.
"""

import datetime as dt
import logging
import threading

import sqlalchemy as sa

from accel_api.db import models as m
from accel_api.placement import report

LOG = logging.getLogger(__name__)
#: How long a taken row stays away from other workers while its sync runs.
LEASE = dt.timedelta(seconds=120)
BATCH = 20


class Retrier(threading.Thread):
    def __init__(self, app, tick=1.0):
        super().__init__(name="placement-retrier", daemon=True)
        self.app = app
        self.tick = tick
        self.stopping = threading.Event()

    def due(self):
        """Hosts due for a retry, each taken by this worker: [hostname]."""
        now = report.utcnow()

        def _take(session):
            rows = session.execute(
                sa.select(m.HostPlacement.id, m.HostPlacement.next_try_at, m.Host.hostname)
                .join(m.Host, m.Host.id == m.HostPlacement.host_id)
                .where(m.HostPlacement.next_try_at <= now)
                .order_by(m.HostPlacement.next_try_at).limit(BATCH)).all()
            taken = []
            for row_id, when, hostname in rows:
                done = session.execute(
                    sa.update(m.HostPlacement)
                    .where(m.HostPlacement.id == row_id, m.HostPlacement.next_try_at == when)
                    .values(next_try_at=now + LEASE)
                    .execution_options(synchronize_session=False))
                if done.rowcount == 1:
                    taken.append(hostname)
            return taken

        return self.app.db.run(_take)

    def run_once(self):
        """Retry every host that is due; returns how many were tried."""
        hosts = self.due()
        for hostname in hosts:
            if self.stopping.is_set():
                break
            try:
                report.sync_host(self.app, hostname)
            except Exception:  # a retry must never end the thread
                LOG.exception("placement retry of %s failed", hostname)
        return len(hosts)

    def run(self):
        while not self.stopping.wait(self.tick):
            try:
                self.run_once()
            except Exception:
                LOG.exception("placement retrier: looking for due hosts failed")

    def stop(self):
        self.stopping.set()
