"""The JSON-RPC manager: the methods accel_api calls (``start_job``, ``get_job``, ``ping``).

ironic-lib's JSON-RPC server exposes every public method of this object; each takes
the ``context`` the client sends. Work runs in a background thread so that a call
answers at once and accel_api polls ``get_job``.
"""

import logging
import threading

from ipa_fpga.agent import jobs, partitions, program
from ipa_fpga.agent.errors import InvalidJob, PartitionFailed

LOG = logging.getLogger(__name__)
JOB_KEYS = {"job_id", "deployable_id", "device_id", "bitstream_uuid", "download_url",
            "sha256", "size", "interface_id", "function_id"}


class AgentManager:
    def __init__(self, conf, session, on_change=None):
        self._conf = conf
        self._session = session
        self._store = jobs.JobStore(f"{conf.agent.state_dir}/jobs")
        self._store.recover()
        program.sweep_downloads(self._downloads)
        self._busy = {}
        self._busy_lock = threading.Lock()
        self._partition_lock = threading.Lock()
        self._on_change = on_change

    @property
    def _downloads(self):
        return f"{self._conf.agent.state_dir}/downloads"

    def ping(self, context=None):
        return {"hostname": self._conf.agent.hostname, "root": self._conf.agent.root}

    def create_partition(self, context=None, partition=None):
        """Make a GPU partition for a claim or bind (``ipa_fpga.agent.partitions``).

        No report follows: accel-api records what was made in the claim's own
        transaction (a report racing it could list the new partition as a free one)."""
        return self._partition(partitions.create, partition, report=False)

    def remove_partition(self, context=None, partition=None):
        return self._partition(partitions.remove, partition)

    def _partition(self, action, partition, report=True):
        conf = self._conf.agent
        with self._partition_lock:  # one change at a time: the driver recounts after each
            try:
                result = action(conf.root, conf.hostname, partition)
            except partitions.PartitionError as exc:
                raise PartitionFailed(reason=str(exc)) from None
        LOG.info("partition %s: %s", action.__name__, result)
        if report and self._on_change is not None:
            self._on_change()
        return result

    def get_job(self, context=None, job_id=None):
        try:
            record = self._store.get(job_id)
        except ValueError as exc:
            raise InvalidJob(reason=str(exc)) from None
        if record is None:
            return {"job_id": job_id, "state": "unknown"}
        return jobs.public(record)

    def start_job(self, context=None, job=None):
        """Start a job, or answer the state of the job with that id (retries are safe)."""
        if not isinstance(job, dict) or set(job) != JOB_KEYS:
            raise InvalidJob(reason=f"a job has exactly the keys {sorted(JOB_KEYS)}")
        base = str(self._conf.accel_api.endpoint_override or "").rstrip("/") + "/"
        if not str(job["download_url"]).startswith(base) or base == "/":
            # Our credentials go with the download: only to the accel_api we report to.
            raise InvalidJob(reason=f"download_url must be under {base}")
        record = dict(job, state="queued", reason=None, function_id=None,
                      started_at=jobs.now(), finished_at=None)
        record.pop("download_url")
        try:
            record, created = self._store.create(job["job_id"], record)
        except ValueError as exc:
            raise InvalidJob(reason=str(exc)) from None
        if created:
            with self._busy_lock:
                other = self._busy.get(job["deployable_id"])
                if other is not None:
                    record = self._store.update(
                        job["job_id"], state="failed", finished_at=jobs.now(),
                        reason=f"region {job['deployable_id']} is being programmed by job "
                               f"{other}")
                    return jobs.public(record)
                self._busy[job["deployable_id"]] = job["job_id"]
            record = self._store.update(job["job_id"], state="running")
            threading.Thread(target=self._run, args=(job,), name=f"job-{job['job_id']}",
                             daemon=True).start()
        return jobs.public(record)

    def _run(self, job):
        conf = self._conf.agent
        staged = None
        try:
            staged = program.download(self._session, job["download_url"], job["sha256"],
                                      job["size"], self._downloads,
                                      conf.max_bitstream_size, conf.download_timeout)
            function_id = program.program(conf.root, conf.hostname, job, staged.path)
            self._store.update(job["job_id"], state="succeeded", function_id=function_id,
                               finished_at=jobs.now())
            LOG.info("job %s: %s now runs function %s", job["job_id"], job["deployable_id"],
                     function_id)
        except program.JobFailed as exc:
            self._fail(job, str(exc), exc.code)
        except Exception as exc:
            LOG.exception("job %s crashed", job["job_id"])
            self._fail(job, f"unexpected error: {type(exc).__name__}: {exc}", program.UNKNOWN)
        finally:
            if staged is not None:
                staged.close()
            with self._busy_lock:
                self._busy.pop(job["deployable_id"], None)
            if self._on_change is not None:
                self._on_change()

    def _fail(self, job, reason, code):
        LOG.warning("job %s failed (%s): %s", job["job_id"], code, reason)
        self._store.update(job["job_id"], state="failed", reason=reason, code=code,
                           finished_at=jobs.now())
