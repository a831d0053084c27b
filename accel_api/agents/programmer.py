"""The ``agent`` programmer: a bind programs the deployable through the host's agent.

Called by ``claims.bind`` (issue 4's extension point) after a handle is taken and
before the ARQ becomes ``Bound``, inside the bind transaction: the request is checked
(``jobs.plan``: visible bitstream, matching PR interface), the agent programs and
verifies, and the verified function is recorded on the deployable in the same
transaction, with a ``succeeded`` job row. Any failure raises ``ProgrammingRefused``
with the reason: the bind rolls back (the handle is released) and the ARQ ends
``BindFailed``. The agent fetches the bitstream with plain reads, which never wait
for the bind's write lock.

Nova's bind (``request.may_defer``, with ``[claims] asynchronous_programming``) only
checks and records the job (``running``) in the bind transaction and returns its uuid:
the ARQ is ``BindStarted`` and ``claims.async_binds`` drives the job (``drive_recorded``).
"""

import logging
import time

import sqlalchemy as sa

from accel_api import errors, jobs, programming

LOG = logging.getLogger(__name__)


class AgentProgrammer(programming.Programmer):
    def __init__(self, conf=None):
        self.conf = conf

    def acts_on(self, accel):
        return programming.wants_programming(accel)

    def prepare(self, request):
        if not request.wants_programming:
            return
        if self.conf is None or request.session is None:
            raise programming.ProgrammingRefused(
                "the agent programmer needs the API's configuration and the bind session")
        session = request.session
        try:
            p = jobs.plan(session, request.deployable_uuid, request.project_id, False,
                          bitstream_id=request.accel.get("accel:bitstream_id"),
                          function_id=request.accel.get("accel:function_id"),
                          check_holder=False)
        except errors.ApiError as exc:
            raise programming.ProgrammingRefused(f"cannot program: {exc.message}") from None
        if p.bitstream["function_id"] and _loaded(session, p):
            LOG.info("ARQ %s: deployable %s already runs function %s; not reprogrammed",
                     request.arq_uuid, p.deployable_uuid, p.bitstream["function_id"])
            return
        job = jobs.new_job(session, p, request.project_id, request.arq_uuid,
                           self.conf.programming.job_timeout)
        job.state, job.started_at = jobs.RUNNING, jobs.utcnow()
        if request.may_defer and self.conf.claims.asynchronous_programming:
            session.flush()
            return job.uuid
        deadline = time.monotonic() + self.conf.programming.job_timeout
        outcome = jobs.drive_outcome(self.conf, p, job.uuid, deadline)
        state, reason, fid = outcome.state, outcome.reason, outcome.function_id
        if state != jobs.SUCCEEDED:
            LOG.warning("ARQ %s: programming %s with bitstream %s failed: %s",
                        request.arq_uuid, p.deployable_uuid, p.bitstream["uuid"], reason)
            raise programming.ProgrammingRefused(
                f"programming deployable {p.deployable_uuid} with bitstream "
                f"{p.bitstream['uuid']} failed: {reason}")
        job.state, job.function_id, job.finished_at = jobs.SUCCEEDED, fid, jobs.utcnow()
        jobs.finish(session, p.deployable_id, p.vendor_id, p.bitstream["uuid"], fid)
        session.flush()
        return None


def drive_recorded(db, conf, job_uuid):
    """Drive a job recorded by a deferred bind to its end on the agent (idempotent by
    job id: a process taking over re-attaches to the job the agent already runs); the
    ``Outcome`` and the plan (None when the plan itself failed). Writes nothing."""
    from accel_api.db import models as m

    def _plan(session):
        job = session.scalar(sa.select(m.ProgrammingJob).where(
            m.ProgrammingJob.uuid == job_uuid))
        if job is None:
            raise errors.NotFound(f"programming job {job_uuid} not found")
        deadline_at = job.deadline_at
        return jobs.plan(session, job.deployable_uuid, job.project_id, False,
                         bitstream_id=job.bitstream_uuid, check_holder=False), deadline_at

    try:
        p, deadline_at = db.run(_plan)
    except errors.ApiError as exc:
        return jobs.Outcome(jobs.FAILED, f"cannot program: {exc.message}"), None
    left = (deadline_at - jobs.utcnow()).total_seconds() if deadline_at else \
        conf.programming.job_timeout
    return jobs.drive_outcome(conf, p, job_uuid, time.monotonic() + max(left, 0)), p


def _loaded(session, p):
    """True when the region already runs the bitstream's function, as last reported by
    its host (inventory traits come from the device's AFU id) or verified by a job."""
    from accel_api.db import models as m
    from accel_contract import naming

    dep = session.get(m.Deployable, p.deployable_id)
    if dep is None:
        return False
    wanted = naming.function_traits(p.vendor_id, p.bitstream["function_id"])[0]
    return wanted in (dep.traits or [])
