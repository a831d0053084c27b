"""Claims: create ARQs, bind/unbind them, and the one-call claim; all atomic.

A bind, in one transaction:

1. locks the ARQ row (``FOR UPDATE``) and checks it is bindable;
2. finds the deployable by ``device_rp_uuid`` (unique index) and checks that the
   deployable's host is ``hostname``, that the device is enabled and present;
3. takes one free attach handle with ``SELECT ... FOR UPDATE SKIP LOCKED`` then
   ``UPDATE ... SET in_use = true WHERE id = :id AND in_use = false`` (on SQLite the
   transaction holds the write lock from ``BEGIN IMMEDIATE``);
4. asks the Programmer (``accel_api.programming``) to program it if the group says so;
5. marks the ARQ ``Bound`` with the handle; the unique constraints on
   ``attach_handle_id`` and on (instance, profile, group, unit) back this up.

Every lookup is by primary key or a unique/indexed column: binding cost does not
depend on how many ARQs exist.
"""

import logging
import uuid

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from accel_api import errors, programming, states
from accel_api.db import models as m

LOG = logging.getLogger(__name__)
BIND_FIELDS = ("hostname", "device_rp_uuid", "instance_uuid")


# -- device profile groups ------------------------------------------------------------

def group_units(group):
    """Number of accelerators a profile group asks for (sum of its ``resources:``)."""
    return sum(int(v) for k, v in group.items() if k.startswith("resources:"))


def group_accel(group):
    return {k: v for k, v in group.items() if k.startswith("accel:")}


# -- create ---------------------------------------------------------------------------

def create_arqs(db, profile_name, project_id, group_id=None):
    """One ARQ per requested unit of each group of the profile (of one group if given)."""

    def _create(session):
        profile = session.scalar(
            sa.select(m.DeviceProfile).where(m.DeviceProfile.name == profile_name))
        if profile is None:
            raise errors.NotFound(f"Device Profile with name={profile_name} not found")
        out = []
        for gid, group in enumerate(profile.groups):
            if group_id is not None and gid != group_id:
                continue
            for unit in range(group_units(group)):
                arq = m.AcceleratorRequest(
                    uuid=str(uuid.uuid4()), kind="arq", state=states.INITIAL,
                    project_id=project_id, device_profile_id=profile.id,
                    device_profile_name=profile.name, device_profile_group_id=gid,
                    group_unit=unit)
                session.add(arq)
                out.append(arq)
        if group_id is not None and group_id >= len(profile.groups):
            raise errors.BadRequest(
                f"device profile {profile_name} has no group {group_id}")
        session.flush()
        return out

    return db.run(_create)


# -- handles --------------------------------------------------------------------------

def _take_handle(session, db, deployable_ids):
    """Mark one free handle of these deployables in use; None when all are taken."""
    base = (sa.select(m.AttachHandle)
            .where(m.AttachHandle.deployable_id.in_(deployable_ids),
                   m.AttachHandle.in_use.is_(False), m.AttachHandle.lost.is_(False))
            .order_by(m.AttachHandle.id).limit(1))
    attempts = [base.with_for_update(skip_locked=True), base.with_for_update()] \
        if db.row_locks else [base]
    for query in attempts:
        for _ in range(db.retries):
            handle = session.scalar(query.execution_options(populate_existing=True))
            if handle is None:
                break
            result = session.execute(
                sa.update(m.AttachHandle)
                .where(m.AttachHandle.id == handle.id, m.AttachHandle.in_use.is_(False))
                .values(in_use=True)
                .execution_options(synchronize_session=False))
            if result.rowcount == 1:
                return handle
    return None


def _release_handle(session, handle_id):
    """Free a handle; one that vanished from the inventory while held is removed now,
    with its deployable and device when they vanished too and nothing else holds them."""
    if handle_id is None:
        return
    session.execute(sa.update(m.AttachHandle).where(m.AttachHandle.id == handle_id)
                    .values(in_use=False).execution_options(synchronize_session=False))
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
    if handle.type == "PCI":
        domain, bus, rest = handle.address.split(":")
        slot, function = rest.split(".")
        return {"domain": domain, "bus": bus, "device": slot, "function": function}
    return {"asked_type": handle.address}


# -- bind / unbind ----------------------------------------------------------------------

def _deployable_for(session, hostname, rp_uuid):
    row = session.execute(
        sa.select(m.Deployable, m.Device, m.Host)
        .join(m.Device, m.Deployable.device_id == m.Device.id)
        .join(m.Host, m.Device.host_id == m.Host.id)
        .where(m.Deployable.rp_uuid == rp_uuid)).first()
    if row is None:
        raise errors.BadRequest(f"no deployable has resource provider {rp_uuid}")
    dep, device, host = row
    if host.hostname != hostname:
        raise errors.BadRequest(
            f"resource provider {rp_uuid} does not belong to host {hostname}")
    if device.status != "enabled" or device.lost or dep.lost:
        raise errors.Conflict(f"device of resource provider {rp_uuid} is disabled or lost")
    return dep, device


def _bind_one(session, db, arq_uuid, fields, programmer):
    arq = _lock_arq(session, arq_uuid)
    if arq is None:
        raise errors.NotFound(f"Accelerator Request {arq_uuid} not found")
    if arq.state not in states.BINDABLE:
        raise errors.Conflict(
            f"Accelerator Request {arq_uuid} is {arq.state}; only "
            f"{'/'.join(states.BINDABLE)} requests can be bound")
    others = session.scalar(
        sa.select(m.AcceleratorRequest.uuid)
        .where(m.AcceleratorRequest.instance_uuid == fields["instance_uuid"],
               m.AcceleratorRequest.kind == "arq",
               m.AcceleratorRequest.device_profile_name == arq.device_profile_name,
               m.AcceleratorRequest.device_profile_group_id == arq.device_profile_group_id,
               m.AcceleratorRequest.group_unit == arq.group_unit).limit(1))
    if others is not None:
        raise errors.Conflict(
            f"instance {fields['instance_uuid']} is already bound to group "
            f"{arq.device_profile_group_id} of device profile {arq.device_profile_name}")
    dep, device = _deployable_for(session, fields["hostname"], fields["device_rp_uuid"])
    profile = session.get(m.DeviceProfile, arq.device_profile_id) \
        if arq.device_profile_id else None
    if profile is not None and arq.device_profile_group_id < len(profile.groups):
        group = profile.groups[arq.device_profile_group_id]
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
        device_address=device.address, attach_handle_address=handle.address, accel=accel,
        session=session, project_id=fields.get("project_id") or arq.project_id))
    arq.state = states.BOUND
    arq.hostname = fields["hostname"]
    arq.device_rp_uuid = fields["device_rp_uuid"]
    arq.instance_uuid = fields["instance_uuid"]
    if fields.get("project_id"):
        arq.project_id = fields["project_id"]
    arq.attach_handle_id = handle.id
    arq.attach_handle = handle
    session.flush()
    return arq


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

    def _unbind(session):
        out = []
        for arq_uuid in uuids:
            arq = _lock_arq(session, arq_uuid)
            if arq is None:
                raise errors.NotFound(f"Accelerator Request {arq_uuid} not found")
            handle_id = arq.attach_handle_id
            arq.attach_handle_id = None
            arq.attach_handle = None
            session.flush()
            _release_handle(session, handle_id)
            arq.hostname = arq.device_rp_uuid = arq.instance_uuid = None
            arq.state = states.UNBOUND if arq.state != states.INITIAL else states.INITIAL
            out.append(arq)
        session.flush()
        return out

    return db.run(_unbind)


def delete_arqs(db, uuids=None, instance_uuid=None, project_id=None):
    """Delete ARQs by uuid list (all must exist) or by instance (idempotent)."""

    def _delete(session):
        query = sa.select(m.AcceleratorRequest).where(m.AcceleratorRequest.kind == "arq")
        if uuids is not None:
            query = query.where(m.AcceleratorRequest.uuid.in_(uuids))
        else:
            query = query.where(m.AcceleratorRequest.instance_uuid == instance_uuid)
        if project_id is not None:
            query = query.where(m.AcceleratorRequest.project_id == project_id)
        rows = session.scalars(query.with_for_update()).all()
        if uuids is not None:
            missing = set(uuids) - {r.uuid for r in rows}
            if missing:
                raise errors.NotFound(
                    f"Accelerator Requests not found: {', '.join(sorted(missing))}")
        for arq in rows:
            arq.state = states.DELETING
            handle_id = arq.attach_handle_id
            arq.attach_handle_id = None
            arq.attach_handle = None
            session.flush()
            _release_handle(session, handle_id)
            session.delete(arq)
        return len(rows)

    return db.run(_delete)


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
        row.attach_handle = handle
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
