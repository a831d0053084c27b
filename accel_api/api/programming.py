"""Programming endpoints, the job resource, and agent registration.

* ``PATCH /v2/deployables/{uuid}/program`` — Cyborg's form: body
  ``[{"path": "/bitstream_id", "op": "replace", "value": "<bitstream uuid>"}]``;
  waits for the job and answers the deployable;
* ``POST /fpga/{deployable_uuid}`` — the original FPGA-programming proposal's form,
  body ``{"glance_bitstream_uuid": "<uuid>"}``; waits and answers the job;
* ``POST /v2/programming_jobs`` — ours: answers 202 with the job at once;
  ``GET /v2/programming_jobs[/{uuid}]`` shows state and timestamps.

The programming spec's outcomes (codes 0-3) map to statuses: success (0) -> 200
with the spec's ``msg`` (202 for the job form); unknown failure (1) -> 500 with the
agent's reason; invalid deployable (2: target not found, or not the caller's) -> 404;
invalid bitstream (3: unknown, not uploaded, not usable by the project, or its bytes
cannot be fetched or verified by the agent) -> 400; a bitstream that does not fit the
region (its PR interface, as recorded or as the agent finds in the GBS) -> 409; no
agent reachable -> 503. Errors name the code and carry the agent's reason.
"""

import logging
import threading

import sqlalchemy as sa

from accel_api import errors, inventory_import, jobs
from accel_api.agents import credentials, endpoints
from accel_api.api import deployables, util
from accel_api.api.responses import json_response
from accel_api.db import models as m

LOG = logging.getLogger(__name__)
_UUID = {"type": "string", "minLength": 32, "maxLength": 36}
CYBORG_PROGRAM_SCHEMA = {
    "type": "array", "minItems": 1, "maxItems": 1,
    "items": {"type": "object", "additionalProperties": False,
              "required": ["path", "op", "value"],
              "properties": {"path": {"type": "string", "enum": ["/bitstream_id"]},
                             "op": {"type": "string", "enum": ["replace", "add"]},
                             "value": _UUID}},
}
FPGA_PROGRAM_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["glance_bitstream_uuid"],
    "properties": {"glance_bitstream_uuid": _UUID},
}
JOB_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["deployable_uuid", "bitstream_uuid"],
    "properties": {"deployable_uuid": _UUID, "bitstream_uuid": _UUID},
}
AGENT_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["rpc_host", "rpc_port"],
    "properties": {"rpc_host": {"type": "string", "minLength": 1, "maxLength": 253},
                   "rpc_port": {"type": "integer", "minimum": 1, "maximum": 65535},
                   "version": {"type": ["string", "null"], "maxLength": 64}},
}


def job_view(req, job):
    return {"uuid": job.uuid, "deployable_uuid": job.deployable_uuid,
            "bitstream_uuid": job.bitstream_uuid, "hostname": job.hostname,
            "project_id": job.project_id, "arq_uuid": job.arq_uuid, "state": job.state,
            "reason": job.reason, "function_id": job.function_id,
            "created_at": util.ts(job.created_at), "started_at": util.ts(job.started_at),
            "finished_at": util.ts(job.finished_at), "deadline_at": util.ts(job.deadline_at),
            "links": util.links(req, "programming_jobs", job.uuid)}


def _prepare(req, deployable_uuid, bitstream_uuid):
    """Authorise and check the request; record a queued job. Returns (job, plan)."""
    req.app.enforcer.authorize("accel:deployable:program", req.ctx)
    deployable_uuid = util.check_uuid(deployable_uuid, "deployable uuid")
    if not util.is_uuid(bitstream_uuid):
        raise jobs.InvalidBitstream(f"bitstream {str(bitstream_uuid)[:64]!r} is not a uuid")
    bitstream_uuid = util.check_uuid(bitstream_uuid)
    is_admin = req.app.enforcer.allowed("accel:deployable:program_any", req.ctx)

    def _do(session):
        p = jobs.plan(session, deployable_uuid, req.ctx.project_id, is_admin,
                      bitstream_id=bitstream_uuid)
        if p.rpc_host is None:
            raise jobs.AgentUnavailable(f"no accel-agent registered for host {p.hostname}")
        busy = session.scalar(sa.select(m.ProgrammingJob).where(
            m.ProgrammingJob.deployable_id == p.deployable_id,
            m.ProgrammingJob.state.in_((jobs.QUEUED, jobs.RUNNING))).limit(1))
        if busy is not None and not jobs.expire(session, busy):
            raise errors.Conflict(f"deployable {deployable_uuid} is being programmed by job "
                                  f"{busy.uuid}")
        return jobs.new_job(session, p, req.ctx.project_id,
                            timeout=req.app.conf.programming.job_timeout), p

    return req.db.run(_do)


def _run_and_answer(req, job, p):
    job, outcome = jobs.run(req.db, req.app.conf, job.uuid, p)
    if job.state != jobs.SUCCEEDED:
        raise jobs.failure_error(job.uuid, outcome)
    return job


def program_cyborg(req, uuid):
    doc = util.body(req, CYBORG_PROGRAM_SCHEMA)
    job, p = _prepare(req, uuid, doc[0]["value"])
    _run_and_answer(req, job, p)
    if req.app.enforcer.allowed("accel:deployable:get", req.ctx):
        return deployables.get(req, p.deployable_uuid)
    return json_response(200, {"uuid": p.deployable_uuid, "bitstream_id": job.bitstream_uuid})


def program_fpga(req, deployable_uuid):
    doc = util.body(req, FPGA_PROGRAM_SCHEMA)
    job, p = _prepare(req, deployable_uuid, doc["glance_bitstream_uuid"])
    job = _run_and_answer(req, job, p)
    return json_response(200, {"result": "success", "code": 0, "msg": jobs.SUCCESS_MSG,
                               "job": job_view(req, job)})


def create_job(req):
    doc = util.body(req, JOB_SCHEMA)
    job, p = _prepare(req, doc["deployable_uuid"], doc["bitstream_uuid"])
    thread = threading.Thread(target=_background, args=(req.db, req.app.conf, job.uuid, p),
                              name=f"job-{job.uuid}", daemon=True)
    thread.start()
    return json_response(202, job_view(req, job), {"Location": util.links(
        req, "programming_jobs", job.uuid)[0]["href"]})


def _background(db, conf, job_uuid, p):
    try:
        jobs.run(db, conf, job_uuid, p)
    except Exception:  # jobs.run records failures itself; this is the last guard
        LOG.exception("programming job %s could not be recorded", job_uuid)


def _jobs_query(req):
    query = sa.select(m.ProgrammingJob)
    if not req.app.enforcer.allowed("accel:programming_job:get_all_projects", req.ctx):
        query = query.where(m.ProgrammingJob.project_id == req.ctx.project_id)
    return query


def get_job(req, uuid):
    req.app.enforcer.authorize("accel:programming_job:get", req.ctx)
    uuid = util.check_uuid(uuid)

    def _get(session):
        job = session.scalar(_jobs_query(req).where(m.ProgrammingJob.uuid == uuid))
        if job is None:
            raise errors.NotFound(f"Programming job {uuid} not found")
        jobs.expire(session, job)
        return job

    return json_response(200, job_view(req, req.db.run(_get)))


def list_jobs(req):
    req.app.enforcer.authorize("accel:programming_job:get", req.ctx)
    query = _jobs_query(req).order_by(m.ProgrammingJob.id)
    value = util.query(req, "deployable_uuid")
    if value is not None:
        query = query.where(m.ProgrammingJob.deployable_uuid == value)
    value = util.query(req, "state", ("queued", "running", "succeeded", "failed"))
    if value is not None:
        query = query.where(m.ProgrammingJob.state == value)

    def _list(session):
        rows = session.scalars(query).all()
        for row in rows:
            jobs.expire(session, row)
        return rows

    return json_response(200, {"programming_jobs": [job_view(req, j)
                                                    for j in req.db.run(_list)]})


def register_agent(req, hostname):
    """The agent says where its JSON-RPC listens (at start and on every report).

    Only the host's own agent principal may (``accel:host:register_agent``). The answer
    carries the host's JSON-RPC credential (``rpc_credential``) when accel-api calls the
    agents with ``http_basic``: the agent keeps a bcrypt hash of it."""
    req.app.enforcer.authorize("accel:host:register_agent", req.ctx,
                               {"hostname": hostname, "project_id": req.ctx.project_id})
    inventory_import.check_hostname(hostname)
    doc = util.body(req, AGENT_SCHEMA)
    opts = req.app.conf.agent_rpc
    try:
        rpc_host = endpoints.check_rpc_host(doc["rpc_host"], opts.allow_loopback)
    except endpoints.RefusedEndpoint as exc:
        raise errors.BadRequest(str(exc)) from None
    by_agent = req.ctx.agent_host in (hostname, "*")

    def _do(session):
        row = session.scalar(sa.select(m.Agent).where(m.Agent.hostname == hostname)
                             .with_for_update())
        if row is None:
            row = m.Agent(hostname=hostname, rpc_host=rpc_host, rpc_port=doc["rpc_port"])
            session.add(row)
        row.rpc_host, row.rpc_port = rpc_host, doc["rpc_port"]
        row.version, row.last_seen = doc.get("version"), jobs.utcnow()
        row.registered_by, row.registered_by_agent = req.ctx.user_id, by_agent
        session.flush()
        return {"hostname": row.hostname, "rpc_host": row.rpc_host,
                "rpc_port": row.rpc_port, "version": row.version,
                "registered_by": row.registered_by, "last_seen": util.ts(row.last_seen)}

    body = req.db.run(_do)
    if opts.auth_strategy == "http_basic" and by_agent:
        body["rpc_credential"] = {
            "username": opts.username,
            "password": credentials.rpc_password(opts.credential_secret, hostname)}
    return json_response(200, body, {"Cache-Control": "no-store"})


def add_routes(router):
    router.add("PATCH", "/v2/deployables/{uuid}/program", program_cyborg)
    router.add("POST", "/fpga/{deployable_uuid}", program_fpga)
    router.add("GET", "/v2/programming_jobs", list_jobs)
    router.add("POST", "/v2/programming_jobs", create_job)
    router.add("GET", "/v2/programming_jobs/{uuid}", get_job)
    router.add("PUT", "/v2/hosts/{hostname}/agent", register_agent)
