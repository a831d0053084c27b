"""Claims: create ARQs, bind/unbind them, and the one-call claim; all atomic.

A bind, in one transaction:

1. locks the ARQ row (``FOR UPDATE``), reading its profile's groups with it, and
   checks it is bindable;
2. finds the deployable by ``device_rp_uuid`` (unique index), with whether the instance
   already holds this unit of the profile group, and checks that the deployable's host
   is ``hostname``, that the device is enabled and present;
3. takes one free attach handle: ``UPDATE ... SET in_use = true WHERE id = (SELECT ...
   FOR UPDATE SKIP LOCKED LIMIT 1) AND in_use = false RETURNING ...`` where the database
   has ``UPDATE ... RETURNING`` (PostgreSQL; SQLite, whose transaction holds the write
   lock from ``BEGIN IMMEDIATE``), else ``SELECT ... FOR UPDATE SKIP LOCKED`` then
   ``UPDATE ... WHERE id = :id AND in_use = false`` (MariaDB);
4. asks the Programmer (``accel_api.programming``) to program it if the group says so;
5. marks the ARQ ``Bound`` with the handle; the unique constraints on
   ``attach_handle_id`` and on (instance, profile, group, unit) back this up.

Every lookup is by primary key or a unique/indexed column: binding cost does not
depend on how many ARQs exist.
"""

import dataclasses
import logging
import uuid

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from accel_api import errors, programming, states
from accel_api.db import models as m

LOG = logging.getLogger(__name__)
BIND_FIELDS = ("hostname", "device_rp_uuid", "instance_uuid")

# The hot path (create, bind, get, unbind, delete) runs Core statements built once
# here: no ORM unit of work, no per-request statement construction or compilation.
ARQ = m.AcceleratorRequest.__table__
AH = m.AttachHandle.__table__
DEP = m.Deployable.__table__
DEV = m.Device.__table__
HOST = m.Host.__table__
DP = m.DeviceProfile.__table__


@dataclasses.dataclass
class Arq:
    """An ARQ (or claim) as the API shows it, read with Core statements."""

    uuid: str
    state: str
    project_id: str | None
    device_profile_name: str | None
    device_profile_group_id: int
    group_unit: int = 0
    hostname: str | None = None
    device_rp_uuid: str | None = None
    instance_uuid: str | None = None
    attach_handle_id: int | None = None
    attach_handle_type: str | None = None
    attach_handle_address: str | None = None

    @classmethod
    def from_row(cls, row):
        return cls(**{f.name: row._mapping[f.name] for f in dataclasses.fields(cls)})


#: ARQ columns plus its handle's type and address: what ``Arq`` and the API view need.
ARQ_VIEW = (sa.select(ARQ.c.uuid, ARQ.c.state, ARQ.c.project_id, ARQ.c.device_profile_name,
                      ARQ.c.device_profile_group_id, ARQ.c.group_unit, ARQ.c.hostname,
                      ARQ.c.device_rp_uuid, ARQ.c.instance_uuid, ARQ.c.attach_handle_id,
                      AH.c.type.label("attach_handle_type"),
                      AH.c.address.label("attach_handle_address"))
            .select_from(ARQ.outerjoin(AH, ARQ.c.attach_handle_id == AH.c.id)))
_GET_ARQ = ARQ_VIEW.where(ARQ.c.uuid == sa.bindparam("arq_uuid"), ARQ.c.kind == "arq")
_LOCK_ARQ = (sa.select(ARQ.c.id, ARQ.c.uuid, ARQ.c.state, ARQ.c.project_id,
                       ARQ.c.device_profile_id, ARQ.c.device_profile_name,
                       ARQ.c.device_profile_group_id, ARQ.c.group_unit,
                       ARQ.c.attach_handle_id)
             .where(ARQ.c.uuid == sa.bindparam("arq_uuid"), ARQ.c.kind == sa.bindparam("kind"))
             .with_for_update())
_INSTANCE_GROUP_TAKEN = (
    sa.select(ARQ.c.uuid)
    .where(ARQ.c.instance_uuid == sa.bindparam("instance_uuid"), ARQ.c.kind == "arq",
           ARQ.c.device_profile_name == sa.bindparam("profile_name"),
           ARQ.c.device_profile_group_id == sa.bindparam("group_id"),
           ARQ.c.group_unit == sa.bindparam("unit")).limit(1))
_DEPLOYABLE_BY_RP = (
    sa.select(DEP.c.id, DEP.c.uuid, DEP.c.rp_uuid, DEP.c.resource_class, DEP.c.lost,
              DEV.c.address.label("device_address"), DEV.c.status.label("device_status"),
              DEV.c.lost.label("device_lost"), HOST.c.hostname)
    .select_from(DEP.join(DEV, DEP.c.device_id == DEV.c.id)
                 .join(HOST, DEV.c.host_id == HOST.c.id))
    .where(DEP.c.rp_uuid == sa.bindparam("rp_uuid")))
#: The bind's first two reads in two statements: the ARQ (locked) with its profile's
#: groups (a subquery in the select list: the profile row is not locked), and the
#: deployable with whether the instance already holds this profile group unit.
_LOCK_ARQ_FOR_BIND = (
    sa.select(*_LOCK_ARQ.selected_columns,
              sa.select(DP.c.groups).where(DP.c.id == ARQ.c.device_profile_id)
              .scalar_subquery().label("profile_groups"))
    .where(ARQ.c.uuid == sa.bindparam("arq_uuid"), ARQ.c.kind == "arq")
    .with_for_update())
_DEPLOYABLE_FOR_BIND = _DEPLOYABLE_BY_RP.add_columns(
    _INSTANCE_GROUP_TAKEN.scalar_subquery().label("taken"))
_PROFILE_BY_NAME = sa.select(DP.c.id, DP.c.name, DP.c.groups).where(
    DP.c.name == sa.bindparam("name"))
_FREE_HANDLE = (sa.select(AH.c.id)
                .where(AH.c.deployable_id.in_(sa.bindparam("deployable_ids", expanding=True)),
                       AH.c.in_use.is_(False), AH.c.lost.is_(False))
                .order_by(AH.c.id).limit(1))
_HANDLE_COLUMNS = (AH.c.id, AH.c.deployable_id, AH.c.type, AH.c.address)
#: One statement takes a handle where the database has UPDATE ... RETURNING
#: (PostgreSQL, SQLite >= 3.35): the row lock (or SQLite's write lock) and the
#: ``in_use = false`` recheck make it atomic.
_TAKE_HANDLE = {
    lock: sa.update(AH).where(
        AH.c.id == (_FREE_HANDLE.with_for_update(skip_locked=skip) if lock else _FREE_HANDLE)
        .scalar_subquery(), AH.c.in_use.is_(False))
    .values(in_use=True).returning(*_HANDLE_COLUMNS)
    for lock, skip in (("skip_locked", True), ("wait", False), (None, False))
}
_MARK_IN_USE = (sa.update(AH).where(AH.c.id == sa.bindparam("handle_id"),
                                    AH.c.in_use.is_(False)).values(in_use=True))
_HANDLE_BY_ID = sa.select(*_HANDLE_COLUMNS).where(AH.c.id == sa.bindparam("handle_id"))
_FREE_HANDLES = (sa.update(AH).where(AH.c.id.in_(sa.bindparam("handle_ids", expanding=True)))
                 .values(in_use=False))
_LOST_HANDLES = sa.select(AH.c.id).where(
    AH.c.id.in_(sa.bindparam("handle_ids", expanding=True)), AH.c.lost.is_(True))
_ARQS_BY_UUID = (sa.select(ARQ.c.id, ARQ.c.uuid, ARQ.c.attach_handle_id)
                 .where(ARQ.c.kind == "arq",
                        ARQ.c.uuid.in_(sa.bindparam("uuids", expanding=True))))
_LOCK_ARQS_BY_UUID = _ARQS_BY_UUID.with_for_update()
_DELETE_ARQS = sa.delete(ARQ).where(ARQ.c.id.in_(sa.bindparam("ids", expanding=True)))
_DELETE_ARQS_BY_UUID = (
    sa.delete(ARQ).where(ARQ.c.kind == "arq",
                         ARQ.c.uuid.in_(sa.bindparam("uuids", expanding=True)))
    .returning(ARQ.c.id, ARQ.c.uuid, ARQ.c.attach_handle_id))
_FREE_HANDLES_RETURNING = _FREE_HANDLES.returning(AH.c.id, AH.c.lost)
_BIND_ARQ = (sa.update(ARQ).where(ARQ.c.id == sa.bindparam("arq_id"))
             .values(state=states.BOUND, hostname=sa.bindparam("hostname"),
                     device_rp_uuid=sa.bindparam("rp_uuid"),
                     instance_uuid=sa.bindparam("instance_uuid"),
                     project_id=sa.bindparam("new_project_id"),
                     attach_handle_id=sa.bindparam("handle_id")))
_UNBIND_ARQ = (sa.update(ARQ).where(ARQ.c.id == sa.bindparam("arq_id"))
               .values(state=sa.bindparam("new_state"), hostname=None, device_rp_uuid=None,
                       instance_uuid=None, attach_handle_id=None))


# -- device profile groups ------------------------------------------------------------

def group_units(group):
    """Number of accelerators a profile group asks for (sum of its ``resources:``)."""
    return sum(int(v) for k, v in group.items() if k.startswith("resources:"))


def group_accel(group):
    return {k: v for k, v in group.items() if k.startswith("accel:")}


# -- create ---------------------------------------------------------------------------

def create_arqs(db, profile_name, project_id, group_id=None):
    """One ARQ per requested unit of each group of the profile (of one group if given)."""

    def _create(conn):
        profile = conn.execute(_PROFILE_BY_NAME, {"name": profile_name}).first()
        if profile is None:
            raise errors.NotFound(f"Device Profile with name={profile_name} not found")
        if group_id is not None and group_id >= len(profile.groups):
            raise errors.BadRequest(
                f"device profile {profile_name} has no group {group_id}")
        rows = []
        now = m.utcnow()
        for gid, group in enumerate(profile.groups):
            if group_id is not None and gid != group_id:
                continue
            for unit in range(group_units(group)):
                rows.append({"uuid": str(uuid.uuid4()), "kind": "arq", "state": states.INITIAL,
                             "project_id": project_id, "device_profile_id": profile.id,
                             "device_profile_name": profile.name,
                             "device_profile_group_id": gid, "group_unit": unit,
                             "created_at": now})
        if rows:
            conn.execute(sa.insert(ARQ), rows)
        return [Arq(uuid=r["uuid"], state=r["state"], project_id=project_id,
                    device_profile_name=profile.name, device_profile_group_id=r[
                        "device_profile_group_id"], group_unit=r["group_unit"])
                for r in rows]

    return db.run_core(_create)


def get_arq(db, arq_uuid):
    """The ARQ with this uuid as an ``Arq`` (None when there is none); one SELECT."""
    with db.reading() as conn:
        row = conn.execute(_GET_ARQ, {"arq_uuid": arq_uuid}).first()
    return None if row is None else Arq.from_row(row)


# -- handles --------------------------------------------------------------------------

def _take_handle(session, db, deployable_ids):
    """Mark one free handle of these deployables in use; None when all are taken.

    Returns the handle's (id, deployable_id, type, address) row. The first attempt
    skips handles other transactions hold; the second waits for them (one may roll
    back and free its handle).
    """
    conn = session.connection()
    params = {"deployable_ids": list(deployable_ids)}
    locks = ("skip_locked", "wait") if db.row_locks else (None,)
    if db.update_returning:
        for lock in locks:
            handle = conn.execute(_TAKE_HANDLE[lock], params).first()
            if handle is not None:
                return handle
        return None
    # MariaDB/MySQL: no UPDATE ... RETURNING, and no subquery on the updated table.
    for lock in locks:
        query = _FREE_HANDLE if lock is None else _FREE_HANDLE.with_for_update(
            skip_locked=lock == "skip_locked")
        for _ in range(db.retries):
            handle_id = conn.execute(query, params).scalar()
            if handle_id is None:
                break
            if conn.execute(_MARK_IN_USE, {"handle_id": handle_id}).rowcount == 1:
                return conn.execute(_HANDLE_BY_ID, {"handle_id": handle_id}).first()
    return None


def _release_handles(conn, db, handle_ids):
    """Free these handles; those lost meanwhile are removed now (``_remove_lost``)."""
    handle_ids = [h for h in handle_ids if h is not None]
    if not handle_ids:
        return
    params = {"handle_ids": handle_ids}
    if db.update_returning:
        lost = [r.id for r in conn.execute(_FREE_HANDLES_RETURNING, params) if r.lost]
    else:
        conn.execute(_FREE_HANDLES, params)
        lost = conn.execute(_LOST_HANDLES, params).scalars().all()
    if lost:  # rare: an ORM session on this connection, inside its transaction
        with Session(bind=conn) as session:
            for handle_id in lost:
                _remove_lost(session, handle_id)
            session.flush()


def _release_handle(session, handle_id):
    """Free a handle (ORM form, for the one-call claim's release)."""
    if handle_id is None:
        return
    session.execute(sa.update(m.AttachHandle).where(m.AttachHandle.id == handle_id)
                    .values(in_use=False).execution_options(synchronize_session=False))
    _remove_lost(session, handle_id)


def _remove_lost(session, handle_id):
    """A handle that vanished from the inventory while held is removed once freed,
    with its deployable and device when they vanished too and nothing else holds them."""
    handle = session.get(m.AttachHandle, handle_id, populate_existing=True)
    if handle is None or not handle.lost:
        return
    dep = session.get(m.Deployable, handle.deployable_id)
    session.delete(handle)
    session.flush()
    if dep is None or not dep.lost or session.scalar(
            sa.select(m.AttachHandle.id).where(m.AttachHandle.deployable_id == dep.id).limit(1)):
        return
    device = session.get(m.Device, dep.device_id)
    session.execute(sa.update(m.Deployable).where(m.Deployable.parent_id == dep.id)
                    .values(parent_id=None).execution_options(synchronize_session=False))
    session.execute(sa.update(m.Deployable).where(m.Deployable.root_id == dep.id)
                    .values(root_id=None).execution_options(synchronize_session=False))
    session.execute(sa.delete(m.Attribute).where(m.Attribute.deployable_id == dep.id))
    session.delete(dep)
    session.flush()
    if device is not None and device.lost and session.scalar(
            sa.select(m.Deployable.id).where(m.Deployable.device_id == device.id)
            .limit(1)) is None:
        session.delete(device)


def _lock_arq(session, arq_uuid, kind="arq"):
    return session.scalar(
        sa.select(m.AcceleratorRequest)
        .where(m.AcceleratorRequest.uuid == arq_uuid, m.AcceleratorRequest.kind == kind)
        .with_for_update().execution_options(populate_existing=True))


def attach_handle_info(handle):
    """Cyborg's shape: PCI -> domain/bus/device/function; MDEV -> the mdev uuid."""
    if handle is None:
        return {}
    return handle_info(handle.type, handle.address)


def handle_info(handle_type, address):
    if handle_type is None:
        return {}
    if handle_type == "PCI":
        domain, bus, rest = address.split(":")
        slot, function = rest.split(".")
        return {"domain": domain, "bus": bus, "device": slot, "function": function}
    return {"asked_type": address}


# -- bind / unbind ----------------------------------------------------------------------

def _check_deployable(dep, hostname, rp_uuid):
    if dep is None:
        raise errors.BadRequest(f"no deployable has resource provider {rp_uuid}")
    if dep.hostname != hostname:
        raise errors.BadRequest(
            f"resource provider {rp_uuid} does not belong to host {hostname}")
    if dep.device_status != "enabled" or dep.device_lost or dep.lost:
        raise errors.Conflict(f"device of resource provider {rp_uuid} is disabled or lost")
    return dep


def _bind_one(session, db, arq_uuid, fields, programmer):
    conn = session.connection()
    arq = conn.execute(_LOCK_ARQ_FOR_BIND, {"arq_uuid": arq_uuid}).first()
    if arq is None:
        raise errors.NotFound(f"Accelerator Request {arq_uuid} not found")
    if arq.state not in states.BINDABLE:
        raise errors.Conflict(
            f"Accelerator Request {arq_uuid} is {arq.state}; only "
            f"{'/'.join(states.BINDABLE)} requests can be bound")
    group_unit = {
        "instance_uuid": fields["instance_uuid"], "profile_name": arq.device_profile_name,
        "group_id": arq.device_profile_group_id, "unit": arq.group_unit}
    dep = conn.execute(_DEPLOYABLE_FOR_BIND,
                       dict(group_unit, rp_uuid=fields["device_rp_uuid"])).first()
    taken = dep.taken if dep is not None else conn.execute(
        _INSTANCE_GROUP_TAKEN, group_unit).scalar()
    if taken is not None:
        raise errors.Conflict(
            f"instance {fields['instance_uuid']} is already bound to group "
            f"{arq.device_profile_group_id} of device profile {arq.device_profile_name}")
    dep = _check_deployable(dep, fields["hostname"], fields["device_rp_uuid"])
    groups = arq.profile_groups
    if groups is not None and arq.device_profile_group_id < len(groups):
        group = groups[arq.device_profile_group_id]
        rc_wanted = [k.split(":", 1)[1] for k in group if k.startswith("resources:")]
        if dep.resource_class not in rc_wanted:
            raise errors.BadRequest(
                f"resource provider {dep.rp_uuid} offers {dep.resource_class}, the "
                f"profile group asks for {', '.join(rc_wanted)}")
        accel = group_accel(group)
    else:
        accel = {}
    handle = _take_handle(session, db, [dep.id])
    if handle is None:
        raise NoFreeHandle(f"no free attach handle on resource provider {dep.rp_uuid}")
    programmer.prepare(programming.ProgramRequest(
        arq_uuid=arq.uuid, hostname=fields["hostname"], deployable_uuid=dep.uuid,
        device_address=dep.device_address, attach_handle_address=handle.address,
        accel=accel, session=session,
        project_id=fields.get("project_id") or arq.project_id))
    project_id = fields.get("project_id") or arq.project_id
    conn.execute(_BIND_ARQ, {
        "arq_id": arq.id, "hostname": fields["hostname"],
        "rp_uuid": fields["device_rp_uuid"], "instance_uuid": fields["instance_uuid"],
        "new_project_id": project_id, "handle_id": handle.id})
    return Arq(uuid=arq.uuid, state=states.BOUND, project_id=project_id,
               device_profile_name=arq.device_profile_name,
               device_profile_group_id=arq.device_profile_group_id, group_unit=arq.group_unit,
               hostname=fields["hostname"], device_rp_uuid=fields["device_rp_uuid"],
               instance_uuid=fields["instance_uuid"], attach_handle_id=handle.id,
               attach_handle_type=handle.type, attach_handle_address=handle.address)


class NoFreeHandle(errors.Conflict):
    """Every attach handle of the provider is held."""


def bind(db, bindings, programmer):
    """Bind ``{arq_uuid: {hostname, device_rp_uuid, instance_uuid[, project_id]}}``.

    All or nothing: a failure rolls the whole batch back; an ARQ that failed for want
    of a free handle (or a refused programming) is then marked ``BindFailed``.
    """
    failed = []

    def _bind(session):
        out = []
        for arq_uuid, fields in bindings.items():
            try:
                out.append(_bind_one(session, db, arq_uuid, fields, programmer))
            except errors.Conflict as exc:
                if not isinstance(exc, NoFreeHandle | programming.ProgrammingRefused):
                    raise
                failed.append(arq_uuid)
                raise
        return out

    try:
        return db.run(_bind)
    except sa_exc.IntegrityError:
        raise errors.Conflict("a concurrent bind took this instance group or handle; "
                              "nothing was bound") from None
    except errors.Conflict:
        if failed:
            db.run(_mark_failed, failed)
        raise


def _mark_failed(session, uuids):
    session.execute(sa.update(m.AcceleratorRequest)
                    .where(m.AcceleratorRequest.uuid.in_(uuids),
                           m.AcceleratorRequest.state.in_(states.BINDABLE))
                    .values(state=states.BIND_FAILED)
                    .execution_options(synchronize_session=False))


def unbind(db, uuids):
    """Release the handles and clear the binding of these ARQs (idempotent)."""

    def _unbind(conn):
        out = []
        for arq_uuid in uuids:
            arq = conn.execute(_LOCK_ARQ, {"arq_uuid": arq_uuid, "kind": "arq"}).first()
            if arq is None:
                raise errors.NotFound(f"Accelerator Request {arq_uuid} not found")
            state = states.UNBOUND if arq.state != states.INITIAL else states.INITIAL
            conn.execute(_UNBIND_ARQ, {"arq_id": arq.id, "new_state": state})
            _release_handles(conn, db, [arq.attach_handle_id])
            out.append(Arq(uuid=arq.uuid, state=state, project_id=arq.project_id,
                           device_profile_name=arq.device_profile_name,
                           device_profile_group_id=arq.device_profile_group_id,
                           group_unit=arq.group_unit))
        return out

    return db.run_core(_unbind)


def _check_all_found(uuids, rows):
    missing = set(uuids) - {r.uuid for r in rows}
    if missing:
        raise errors.NotFound(f"Accelerator Requests not found: {', '.join(sorted(missing))}")


def delete_arqs(db, uuids=None, instance_uuid=None, project_id=None):
    """Delete ARQs by uuid list (all must exist) or by instance (idempotent)."""

    def _delete(conn):
        if db.delete_returning and uuids is not None and project_id is None:
            # One statement: the DELETE locks and removes; a missing uuid rolls it back.
            rows = conn.execute(_DELETE_ARQS_BY_UUID, {"uuids": list(uuids)}).all()
            _check_all_found(uuids, rows)
            _release_handles(conn, db, [r.attach_handle_id for r in rows])
            return len(rows)
        if uuids is not None and project_id is None:
            rows = conn.execute(_LOCK_ARQS_BY_UUID, {"uuids": list(uuids)}).all()
        else:
            query = _ARQS_BY_UUID if uuids is not None else sa.select(
                ARQ.c.id, ARQ.c.uuid, ARQ.c.attach_handle_id).where(
                    ARQ.c.kind == "arq", ARQ.c.instance_uuid == instance_uuid)
            if project_id is not None:
                query = query.where(ARQ.c.project_id == project_id)
            params = {"uuids": list(uuids)} if uuids is not None else {}
            rows = conn.execute(query.with_for_update(), params).all()
        if uuids is not None:
            _check_all_found(uuids, rows)
        if rows:
            # The rows go first: a lost handle is then deleted with nothing pointing at it.
            conn.execute(_DELETE_ARQS, {"ids": [r.id for r in rows]})
            _release_handles(conn, db, [r.attach_handle_id for r in rows])
        return len(rows)

    return db.run_core(_delete)


# -- one-call claim (no Nova) ------------------------------------------------------------

def claim(db, project_id, hostname, resource_class, traits, bitstream_id, programmer):
    """Claim one free unit of ``resource_class`` with ``traits`` on ``hostname``."""
    traits = sorted(set(traits or []))

    def _claim(session):
        rows = session.execute(
            sa.select(m.Deployable, m.Device)
            .join(m.Device, m.Deployable.device_id == m.Device.id)
            .join(m.Host, m.Device.host_id == m.Host.id)
            .where(m.Host.hostname == hostname,
                   m.Deployable.resource_class == resource_class,
                   m.Deployable.lost.is_(False), m.Device.lost.is_(False),
                   m.Device.status == "enabled")).all()
        if not rows:
            raise errors.Conflict(
                f"host {hostname} has no enabled deployable of class {resource_class}")
        matching = {dep.id: (dep, device) for dep, device in rows
                    if set(traits) <= set(dep.traits or []) | set(device.traits or [])}
        if not matching:
            raise errors.Conflict(
                f"no {resource_class} deployable on {hostname} has traits {traits}")
        handle = _take_handle(session, db, sorted(matching))
        if handle is None:
            raise NoFreeHandle(
                f"every matching {resource_class} deployable on {hostname} is claimed")
        dep, device = matching[handle.deployable_id]
        programmer.prepare(programming.ProgramRequest(
            arq_uuid="", hostname=hostname, deployable_uuid=dep.uuid,
            device_address=device.address, attach_handle_address=handle.address,
            accel={"accel:bitstream_id": bitstream_id} if bitstream_id else {},
            session=session, project_id=project_id))
        row = m.AcceleratorRequest(
            uuid=str(uuid.uuid4()), kind="claim", state=states.BOUND, project_id=project_id,
            hostname=hostname, device_rp_uuid=dep.rp_uuid, attach_handle_id=handle.id,
            resource_class=resource_class, traits=traits, bitstream_id=bitstream_id)
        row.attach_handle = session.get(m.AttachHandle, handle.id)
        session.add(row)
        session.flush()
        return row, dep, device

    return db.run(_claim)


def release(db, claim_uuid, project_id=None):
    def _release(session):
        row = _lock_arq(session, claim_uuid, kind="claim")
        if row is None or (project_id is not None and row.project_id != project_id):
            raise errors.NotFound(f"claim {claim_uuid} not found")
        handle_id = row.attach_handle_id
        row.attach_handle_id = None
        row.attach_handle = None
        session.flush()
        _release_handle(session, handle_id)
        session.delete(row)

    db.run(_release)
