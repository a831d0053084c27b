"""accel-agent's job records and RPC manager: idempotency by job id, restarts, checks."""

import uuid

from oslo_config import cfg

from ipa_fpga.agent import conf as agent_conf
from ipa_fpga.agent import jobs, manager
from tests.unit import base


def _job(**over):
    job = {"job_id": str(uuid.uuid4()), "deployable_id": "0000:3f:00.0/region0",
           "device_id": "0000:3f:00.0", "bitstream_uuid": str(uuid.uuid4()),
           "download_url": "http://127.0.0.1:1/v2/bitstreams/x/data", "sha256": "0" * 64,
           "size": 10, "interface_id": "a" * 32, "function_id": "b" * 32}
    job.update(over)
    return job


class _NoSession:
    """Every download fails: connection refused (no accel_api at port 1)."""

    def get(self, url, **kwargs):
        raise ConnectionRefusedError("refused")


class TestAgentJobs(base.TestCase):
    def setUp(self):
        super().setUp()
        tmp_path = self.tmp_dir()
        c = cfg.ConfigOpts()
        agent_conf.register_opts(c)
        c([], default_config_files=[])
        c.set_override("state_dir", str(tmp_path / "state"), "agent")
        c.set_override("root", str(tmp_path / "root"), "agent")
        c.set_override("endpoint_override", "http://127.0.0.1:1", "accel_api")
        self.conf = c

    def test_start_is_idempotent_and_failures_have_reasons(self):
        mgr = manager.AgentManager(self.conf, _NoSession())
        job = _job()
        first = mgr.start_job(job=job)
        self.assertIn(first["state"], ("running", "failed"))
        import time

        deadline = time.monotonic() + 5
        while mgr.get_job(job_id=job["job_id"])["state"] == "running":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.01)
        done = mgr.get_job(job_id=job["job_id"])
        self.assertEqual(done["state"], "failed")
        self.assertIn("cannot fetch the bitstream", done["reason"])
        # A retry of the same job answers the recorded outcome; it does not run again.
        self.assertEqual(mgr.start_job(job=job), done)
        self.assertEqual(mgr.get_job(job_id=str(uuid.uuid4()))["state"], "unknown")

    def test_invalid_jobs_are_refused(self):
        mgr = manager.AgentManager(self.conf, _NoSession())
        with self.assertRaises(manager.InvalidJob):
            mgr.start_job(job={"job_id": "x"})
        with self.assertRaisesRegex(manager.InvalidJob, "must be under"):
            mgr.start_job(job=_job(download_url="http://evil.example/steal"))
        with self.assertRaisesRegex(manager.InvalidJob, "uuid"):
            mgr.start_job(job=_job(job_id="../../etc/passwd"))

    def test_jobs_running_at_a_crash_end_failed_after_restart(self):
        store = jobs.JobStore(f"{self.conf.agent.state_dir}/jobs")
        job_id = str(uuid.uuid4())
        store.put({"job_id": job_id, "state": "running"})
        manager.AgentManager(self.conf, _NoSession())  # a new life of the agent
        record = store.get(job_id)
        self.assertEqual(record["state"], "failed")
        self.assertIn("restarted", record["reason"])
