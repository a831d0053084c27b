"""Job records of this agent: idempotent by job id, persisted, one job per region at a time.

A record is a small JSON file per job id (written to a temp file then renamed), so a
retried ``start_job`` answers the same job, and a job this agent was running when it
died is reported ``failed`` ("agent restarted during the job") after a restart instead
of staying ``running`` forever.
"""

import datetime as dt
import json
import logging
import os
import re
import threading

LOG = logging.getLogger(__name__)
_JOB_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def now():
    return dt.datetime.now(dt.UTC).isoformat()


class JobStore:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, mode=0o700, exist_ok=True)
        self._lock = threading.Lock()

    def _path(self, job_id):
        if not isinstance(job_id, str) or not _JOB_ID.match(job_id):
            raise ValueError(f"job id {str(job_id)[:64]!r} is not a lower-case uuid")
        return os.path.join(self.directory, f"{job_id}.json")

    def get(self, job_id):
        try:
            with open(self._path(job_id)) as f:
                return json.load(f)
        except FileNotFoundError:
            return None

    def put(self, record):
        path = self._path(record["job_id"])
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(record, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def create(self, job_id, record):
        """Store ``record`` unless the job exists; returns (record, created)."""
        with self._lock:
            existing = self.get(job_id)
            if existing is not None:
                return existing, False
            self.put(record)
            return record, True

    def update(self, job_id, **changes):
        with self._lock:
            record = self.get(job_id) or {"job_id": job_id}
            record.update(changes)
            self.put(record)
            return record

    def recover(self):
        """Jobs left running by a previous life of this agent end failed now."""
        for name in os.listdir(self.directory):
            if not name.endswith(".json"):
                continue
            job_id = name[:-5]
            try:
                record = self.get(job_id)
            except (ValueError, json.JSONDecodeError):
                continue
            if record and record.get("state") in ("queued", "running"):
                self.update(job_id, state="failed", finished_at=now(),
                            reason="agent restarted during the job; the region may hold "
                                   "the old or no function until programmed again")
                LOG.warning("job %s was running when the agent stopped: marked failed", job_id)


def public(record):
    """What the RPC answers about a job (never the download URL's credentials)."""
    keys = ("job_id", "state", "reason", "code", "function_id", "deployable_id",
            "started_at", "finished_at")
    return {k: record.get(k) for k in keys}
