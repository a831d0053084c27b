"""Programming jobs: who may program what, and driving the host's agent to the end.

A job programs one deployable (an FPGA region) with one bitstream. ``check`` decides
whether it may happen (the deployable exists and is programmable; the caller is
admin or its project holds a bound ARQ/claim on it; the bitstream is active and
public or the caller's; the bitstream's PR interface id is the region's), ``drive``
runs it on the agent (idempotent by job id, bounded by a deadline and by how long
the agent may stay unreachable) and returns the outcome; ``finish`` records a
verified function on the deployable (old function traits removed, new ones added).
Nothing about the deployable changes unless the agent verified the new function id.
"""

import dataclasses
import datetime as dt
import logging
import time
import uuid as uuidlib

import sqlalchemy as sa

from accel_api import errors, inventory_import, states
from accel_api.agents import credentials, rpc
from accel_api.db import models as m
from accel_contract import naming

LOG = logging.getLogger(__name__)
QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
FINAL = (SUCCEEDED, FAILED)
#: Inventory attributes that name a region's PR interface id (DFL; XRT).
INTERFACE_ATTRIBUTES = ("pr_interface_id", "interface_uuid")


class ProgrammingFailed(errors.ApiError):
    """The agent ran the job and it failed ("unknown failure" of the programming spec)."""

    status = 500


class AgentUnavailable(errors.ApiError):
    """No agent registered for the host, or it stopped answering."""

    status = 503


class InvalidBitstream(errors.BadRequest):
    """The bitstream cannot be used (unknown, not uploaded, not visible, no interface id,
    or its bytes cannot be fetched: the programming spec's "invalid bitstream")."""


#: The agent's failure codes (ipa_fpga.agent.program), plus ``unreachable`` (the agent
#: did not answer), and the programming spec's number of each.
UNKNOWN, INVALID_DEPLOYABLE, INVALID_BITSTREAM, INCOMPATIBLE, UNREACHABLE = (
    "unknown", "invalid_deployable", "invalid_bitstream", "incompatible", "unreachable")
SPEC_CODES = {SUCCEEDED: 0, UNKNOWN: 1, INVALID_DEPLOYABLE: 2, INVALID_BITSTREAM: 3}
SUCCESS_MSG = "bitstream has been loaded successfully"


@dataclasses.dataclass
class Outcome:
    """How a job ended: ``state``, the agent's ``reason``, the verified ``function_id``
    and the failure ``code`` (None on success)."""

    state: str
    reason: str | None = None
    function_id: str | None = None
    code: str | None = None


def failure_error(job_uuid, outcome):
    """The API error of a failed job: 400 invalid bitstream (its bytes could not be
    fetched or verified), 404 invalid deployable, 409 incompatible, 503 agent
    unreachable, 500 unknown failure; each with the agent's reason."""
    code = outcome.code if outcome.code in SPEC_CODES or outcome.code in (
        INCOMPATIBLE, UNREACHABLE) else UNKNOWN
    number = SPEC_CODES.get(code)
    what = code.replace("_", " ") + (f", code {number}" if number is not None else "")
    message = (f"programming job {job_uuid} failed ({what}): "
               f"{outcome.reason or 'no reason given'}")
    return {INVALID_BITSTREAM: InvalidBitstream, INVALID_DEPLOYABLE: errors.NotFound,
            INCOMPATIBLE: errors.Conflict, UNREACHABLE: AgentUnavailable}.get(
        code, ProgrammingFailed)(message)


def norm_id(value):
    return str(value).lower().replace("-", "").strip() if value else None


def utcnow():
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclasses.dataclass
class Plan:
    """Everything a job needs, read in one transaction."""

    deployable_id: int
    deployable_uuid: str
    local_id: str
    device_address: str
    vendor_id: str
    hostname: str
    bitstream: dict
    rpc_host: str | None
    rpc_port: int | None
    #: The endpoint was registered by the host's own agent (else no credential goes there).
    registered_by_agent: bool = False


def _bitstream_view(b):
    return {"uuid": b.uuid, "size": b.size, "sha256": b.sha256, "sha512": b.sha512,
            "function_id": b.function_id, "interface_id": b.interface_id, "name": b.name}


def find_bitstream(session, project_id, is_admin, bitstream_id=None, function_id=None,
                   interface_id=None):
    """The bitstream a request names: by uuid, or the newest usable one with a function id."""
    query = sa.select(m.Bitstream).where(m.Bitstream.status == "active")
    if not is_admin:
        query = query.where(sa.or_(m.Bitstream.visibility == "public",
                                   m.Bitstream.project_id == project_id))
    if bitstream_id is not None:
        row = session.scalar(query.where(m.Bitstream.uuid == str(bitstream_id)))
        if row is None:
            raise InvalidBitstream(
                f"bitstream {str(bitstream_id)[:64]} not found, not uploaded yet, or not "
                "usable by this project")
        return row
    wanted = norm_id(function_id)
    rows = session.scalars(query.where(m.Bitstream.function_id == wanted)
                           .order_by(m.Bitstream.id.desc())).all()
    rows = [r for r in rows if interface_id is None or r.interface_id == norm_id(interface_id)]
    if not rows:
        raise InvalidBitstream(f"no usable bitstream provides function {function_id}"
                               + (f" for PR interface {interface_id}" if interface_id else ""))
    return rows[0]


def region_interface(session, deployable_id):
    rows = session.scalars(sa.select(m.Attribute).where(
        m.Attribute.deployable_id == deployable_id,
        m.Attribute.key.in_(INTERFACE_ATTRIBUTES))).all()
    for row in rows:
        if row.value:
            return norm_id(row.value)
    return None


def holds_bound_arq(session, project_id, deployable_id):
    """True when ``project_id`` holds a bound ARQ or claim on a handle of the deployable."""
    return session.scalar(
        sa.select(m.AcceleratorRequest.id)
        .join(m.AttachHandle, m.AcceleratorRequest.attach_handle_id == m.AttachHandle.id)
        .where(m.AttachHandle.deployable_id == deployable_id,
               m.AcceleratorRequest.project_id == project_id,
               m.AcceleratorRequest.state == states.BOUND).limit(1)) is not None


def plan(session, deployable_uuid, ctx_project, is_admin, bitstream_id=None,
         function_id=None, check_holder=True):
    """Check a programming request; raise the programming spec's errors, else a Plan."""
    row = session.execute(
        sa.select(m.Deployable, m.Device, m.Host)
        .join(m.Device, m.Deployable.device_id == m.Device.id)
        .join(m.Host, m.Device.host_id == m.Host.id)
        .where(m.Deployable.uuid == deployable_uuid)).first()
    if row is None:
        raise errors.NotFound(f"Deployable {deployable_uuid} not found")
    dep, device, host = row
    if check_holder and not is_admin and not holds_bound_arq(session, ctx_project, dep.id):
        # Same answer as for a deployable that does not exist: nothing leaks.
        raise errors.NotFound(f"Deployable {deployable_uuid} not found")
    if dep.lost or device.lost:
        raise errors.Conflict(f"deployable {deployable_uuid} vanished from its host")
    if device.status != "enabled":
        raise errors.Conflict(f"device of deployable {deployable_uuid} is disabled")
    if not dep.programmable:
        why = session.scalar(sa.select(m.Attribute.value).where(
            m.Attribute.deployable_id == dep.id,
            m.Attribute.key == "programming_unavailable"))
        raise errors.Conflict(f"deployable {deployable_uuid} ({dep.kind}) is not programmable"
                              + (f": {why}" if why else ""))
    region_iface = region_interface(session, dep.id)
    bitstream = find_bitstream(session, ctx_project, is_admin, bitstream_id, function_id,
                               region_iface if bitstream_id is None else None)
    if not bitstream.interface_id:
        raise InvalidBitstream(f"bitstream {bitstream.uuid} names no PR interface id; it "
                               "cannot be checked against the region")
    if region_iface is None:
        raise errors.Conflict(f"deployable {deployable_uuid} reports no PR interface id; "
                              "cannot check bitstream compatibility")
    if bitstream.interface_id != region_iface:
        raise errors.Conflict(
            f"bitstream {bitstream.uuid} is built for PR interface {bitstream.interface_id}, "
            f"deployable {deployable_uuid} exposes {region_iface}")
    agent = session.scalar(sa.select(m.Agent).where(m.Agent.hostname == host.hostname))
    return Plan(deployable_id=dep.id, deployable_uuid=dep.uuid, local_id=dep.local_id,
                device_address=device.address, vendor_id=device.vendor,
                hostname=host.hostname, bitstream=_bitstream_view(bitstream),
                rpc_host=agent.rpc_host if agent else None,
                rpc_port=agent.rpc_port if agent else None,
                registered_by_agent=bool(agent and agent.registered_by_agent))


def agent_job(job_uuid, p, download_url, signature=None):
    """The job document sent to the agent (no credentials in it; the download URL may
    carry a signature naming the host and the bitstream, see ``credentials``)."""
    url = f"{download_url.rstrip('/')}/v2/bitstreams/{p.bitstream['uuid']}/data"
    if signature:
        url += f"?{signature}"
    return {"job_id": job_uuid, "deployable_id": p.local_id, "device_id": p.device_address,
            "bitstream_uuid": p.bitstream["uuid"],
            "download_url": url,
            "sha256": p.bitstream["sha256"], "size": p.bitstream["size"],
            "interface_id": p.bitstream["interface_id"],
            "function_id": p.bitstream["function_id"]}


def download_url(conf):
    if conf.programming.download_url:
        return conf.programming.download_url
    host = conf.api.host_ip
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{host}:{conf.api.port}"


def drive(conf, p, job_uuid, deadline):
    """Run the job on the agent until it ends; returns its ``Outcome``."""
    if p.rpc_host is None:
        raise AgentUnavailable(f"no accel-agent registered for host {p.hostname}; start "
                               "accel-agent there (it registers itself)")
    if not p.registered_by_agent:
        # Someone else pointed the endpoint: the host's credential never goes there.
        return Outcome(FAILED, f"the agent endpoint of host {p.hostname} was not "
                               "registered by that host's agent; nothing was sent to it "
                               "(the agent registers again at its next report)")
    client = rpc.AgentClient(conf, p.hostname, p.rpc_host, p.rpc_port)
    secret = conf.agent_rpc.credential_secret
    signature = credentials.download_query(
        secret, p.hostname, p.bitstream["uuid"], conf.programming.job_timeout + 60) \
        if secret else None
    job = agent_job(job_uuid, p, download_url(conf), signature)
    unreachable_since = None
    started = False
    while True:
        now = time.monotonic()
        if now > deadline:
            return Outcome(FAILED, f"job did not finish within {conf.programming.job_timeout}s "
                                   f"on {p.hostname}; the agent may have died or hung")
        try:
            status = client.start_job(job) if not started else client.get_job(job_uuid)
            started = True
            unreachable_since = None
        except rpc.AgentUnreachable as exc:
            unreachable_since = unreachable_since or now
            if now - unreachable_since > conf.programming.agent_unreachable_timeout:
                what = "during" if started else "before"
                return Outcome(FAILED, f"agent on {p.hostname} unreachable {what} the job for "
                                       f"{int(now - unreachable_since)}s ({exc})",
                               code=UNREACHABLE)
            time.sleep(conf.programming.poll_interval)
            continue
        except rpc.AgentError as exc:
            return Outcome(FAILED, f"agent on {p.hostname} refused the job: {exc}")
        state = status.get("state")
        if state == "unknown":
            # The agent restarted and lost the job (or never got it): it did not run.
            return Outcome(FAILED, f"agent on {p.hostname} does not know the job (it "
                                   "restarted)")
        if state in FINAL:
            fid = norm_id(status.get("function_id"))
            if state == SUCCEEDED:
                expected = norm_id(p.bitstream["function_id"])
                if not fid or (expected and fid != expected):
                    return Outcome(FAILED, f"agent reported function {fid}, bitstream "
                                           f"provides {expected}: not verified", fid)
                return Outcome(SUCCEEDED, status.get("reason"), fid)
            return Outcome(FAILED, status.get("reason"), fid, status.get("code") or UNKNOWN)
        time.sleep(conf.programming.poll_interval)


def drive_outcome(conf, p, job_uuid, deadline):
    """``drive``, with an API error (no agent registered for the host) as a failed
    ``Outcome`` rather than raised."""
    try:
        return drive(conf, p, job_uuid, deadline)
    except AgentUnavailable as exc:
        return Outcome(FAILED, exc.message, code=UNREACHABLE)
    except errors.ApiError as exc:
        return Outcome(FAILED, exc.message)


def finish(session, deployable_id, vendor_id, bitstream_uuid, function_id):
    """Record a verified function: bitstream id and function traits follow the device."""
    dep = session.get(m.Deployable, deployable_id, with_for_update=True)
    if dep is None:
        return
    traits = [t for t in (dep.traits or []) if not naming.is_function_trait(t)]
    traits += [t for t in naming.function_traits(vendor_id, function_id) if t not in traits]
    dep.traits = traits
    dep.bitstream_id = bitstream_uuid
    inventory_import.forget_report(session, deployable_id)


def new_job(session, p, project_id, arq_uuid=None, timeout=900):
    now = utcnow()
    job = m.ProgrammingJob(
        uuid=str(uuidlib.uuid4()), deployable_id=p.deployable_id,
        deployable_uuid=p.deployable_uuid, hostname=p.hostname,
        bitstream_uuid=p.bitstream["uuid"], project_id=project_id, arq_uuid=arq_uuid,
        state=QUEUED, deadline_at=now + dt.timedelta(seconds=timeout))
    session.add(job)
    session.flush()
    return job


def run(db, conf, job_uuid, p):
    """Drive a recorded job to its end and record it (own transactions); returns
    (job row, ``Outcome``)."""

    def _start(session):
        job = session.scalar(sa.select(m.ProgrammingJob).where(
            m.ProgrammingJob.uuid == job_uuid).with_for_update())
        job.state, job.started_at = RUNNING, utcnow()

    db.run(_start)
    deadline = time.monotonic() + conf.programming.job_timeout
    try:
        outcome = drive_outcome(conf, p, job_uuid, deadline)
    except Exception as exc:  # recorded, never left running
        LOG.exception("programming job %s crashed", job_uuid)
        outcome = Outcome(FAILED, f"unexpected error: {type(exc).__name__}")
    state, reason, fid = outcome.state, outcome.reason, outcome.function_id

    def _end(session):
        job = session.scalar(sa.select(m.ProgrammingJob).where(
            m.ProgrammingJob.uuid == job_uuid).with_for_update())
        job.state, job.reason, job.function_id = state, (reason or None), fid
        job.finished_at = utcnow()
        if state == SUCCEEDED:
            finish(session, p.deployable_id, p.vendor_id, p.bitstream["uuid"], fid)
        return job

    job = db.run(_end)
    LOG.info("programming job %s on %s: %s%s", job_uuid, p.hostname, state,
             f" ({reason})" if reason else "")
    return job, outcome


def expire(session, job):
    """A job past its deadline that nobody finished (accel-api restarted) fails now."""
    if job.state not in FINAL and job.deadline_at and job.deadline_at < utcnow():
        job.state = FAILED
        job.reason = "job passed its deadline without an outcome (accel-api restarted?)"
        job.finished_at = utcnow()
        return True
    return False
