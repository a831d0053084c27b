"""Nova's bind and unbind of ARQs: a free attach handle taken atomically, or released.

A bind, in one transaction (the portable path):

1. locks the ARQ row (``FOR UPDATE``), reading its profile's groups with it, and
   checks it is bindable;
2. finds the deployable by ``device_rp_uuid`` (unique index), with whether the instance
   already holds this unit of the profile group, and checks that the deployable's host
   is ``hostname``, that the device is enabled and present, and that it offers a
   resource class the group asks for;
3. takes one free attach handle (``handles.take``);
4. asks the Programmer (``accel_api.programming``) to program it if the group says so;
5. marks the ARQ ``Bound`` with the handle; the unique constraints on
   ``attach_handle_id`` and on (instance, profile, group, unit) back this up.

When the programmer defers the programming (Nova's bind through the agent programmer,
``[claims] asynchronous_programming``) the ARQ is ``BindStarted`` instead, with its
handle, and an ``async_binds`` row of this process records it in the same transaction:
``async_binds`` ends it ``Bound`` or ``BindFailed`` and tells Nova. Whatever is refused
up front (no free handle, an incompatible bitstream) still fails the PATCH at once. A
GPU partition made by the agent (a sysfs write, sub-second) stays synchronous.

On PostgreSQL a bind of one ARQ whose group has no ``accel:`` key is instead one
statement (``postgresql.BIND``) in autocommit; anything that statement refuses goes
the portable way, which says why. Every lookup is by primary key or a unique/indexed
column: binding cost does not depend on how many ARQs exist.
"""

import logging

from sqlalchemy import exc as sa_exc

from accel_api import errors, partitions, programming, states
from accel_api.claims import handles, postgresql
from accel_api.claims import statements as st
from accel_api.claims.records import Arq, group_accel, group_resource_classes
from accel_api.db import models as m

LOG = logging.getLogger(__name__)


class NoFreeHandle(errors.Conflict):
    """Every attach handle of the provider is held."""


def _check_deployable(dep, hostname, rp_uuid):
    if dep is None:
        raise errors.BadRequest(f"no deployable has resource provider {rp_uuid}")
    if dep.hostname != hostname:
        raise errors.BadRequest(
            f"resource provider {rp_uuid} does not belong to host {hostname}")
    if dep.device_status != "enabled" or dep.device_lost or dep.lost:
        raise errors.Conflict(f"device of resource provider {rp_uuid} is disabled or lost")
    return dep


def _group_of(arq):
    groups = arq.profile_groups
    if groups is not None and arq.device_profile_group_id < len(groups):
        return groups[arq.device_profile_group_id]
    return None


def _unbound(arq, state, project_id):
    """``arq`` (any row with the ARQ's profile columns) as an ``Arq`` with no binding."""
    return Arq(uuid=arq.uuid, state=state, project_id=project_id,
               device_profile_name=arq.device_profile_name,
               device_profile_group_id=arq.device_profile_group_id, group_unit=arq.group_unit)


def _bound(arq, fields, project_id, handle_id, handle_type, handle_address, handle_uuid,
           instance="", partition_type=None, physical_network=None):
    bound = _unbound(arq, states.BOUND, project_id)
    bound.hostname, bound.device_rp_uuid, bound.instance_uuid = (
        fields["hostname"], fields["device_rp_uuid"], fields["instance_uuid"])
    bound.attach_handle_id, bound.attach_handle_type = handle_id, handle_type
    bound.attach_handle_address, bound.attach_handle_uuid = handle_address, handle_uuid
    bound.attach_handle_instance, bound.attach_handle_partition_type = instance, partition_type
    bound.attach_handle_physical_network = physical_network
    return bound


def _bind_one(session, db, arq_uuid, fields, programmer, partitioner, binds=None):
    conn = session.connection()
    arq = conn.execute(st.LOCK_ARQ_FOR_BIND, {"arq_uuid": arq_uuid}).first()
    if arq is None:
        raise errors.NotFound(f"Accelerator Request {arq_uuid} not found")
    if arq.state not in states.BINDABLE:
        raise errors.Conflict(
            f"Accelerator Request {arq_uuid} is {arq.state}; only "
            f"{'/'.join(states.BINDABLE)} requests can be bound")
    group_unit = {
        "instance_uuid": fields["instance_uuid"], "profile_name": arq.device_profile_name,
        "group_id": arq.device_profile_group_id, "unit": arq.group_unit}
    dep = conn.execute(st.DEPLOYABLE_FOR_BIND,
                       dict(group_unit, rp_uuid=fields["device_rp_uuid"])).first()
    taken = dep.taken if dep is not None else conn.execute(
        st.INSTANCE_GROUP_TAKEN, group_unit).scalar()
    if taken is not None:
        raise errors.Conflict(
            f"instance {fields['instance_uuid']} is already bound to group "
            f"{arq.device_profile_group_id} of device profile {arq.device_profile_name}")
    dep = _check_deployable(dep, fields["hostname"], fields["device_rp_uuid"])
    if dep.kind in ("mdev", "mig"):  # never handed to Nova: it would boot without it
        raise partitions.PartitionRefused(
            f"resource provider {dep.rp_uuid} offers {dep.kind.upper()} partitions "
            f"({dep.resource_class}): Nova's libvirt driver attaches PCI devices only, so "
            "the instance would boot without its accelerator; claim them with POST /v2/claims")
    group = _group_of(arq)
    if group is not None:
        rc_wanted = group_resource_classes(group)
        if dep.resource_class not in rc_wanted:
            raise errors.BadRequest(
                f"resource provider {dep.rp_uuid} offers {dep.resource_class}, the "
                f"profile group asks for {', '.join(rc_wanted)}")
        accel = group_accel(group)
    else:
        accel = {}
    handle = handles.take(conn, db, [dep.id])
    if handle is None:
        raise NoFreeHandle(f"no free attach handle on resource provider {dep.rp_uuid}")
    refusal = partitions.bind_refusal(handle)
    if refusal:
        raise partitions.PartitionRefused(refusal)
    made = partitioner.create(conn, fields["hostname"], handle,
                              partitions.wanted_vgpu_type(group or {}))
    project_id = fields.get("project_id") or arq.project_id
    job_uuid = programmer.prepare(programming.ProgramRequest(
        arq_uuid=arq.uuid, hostname=fields["hostname"], deployable_uuid=dep.uuid,
        device_address=dep.device_address, attach_handle_address=handle.address,
        accel=accel, session=session, project_id=project_id, may_defer=binds is not None))
    conn.execute(st.BIND_ARQ, {
        "arq_id": arq.id, "hostname": fields["hostname"],
        "rp_uuid": fields["device_rp_uuid"], "instance_uuid": fields["instance_uuid"],
        "new_project_id": project_id, "handle_id": handle.id})
    if made is not None:
        partitions.set_partition(conn, arq.id, made)
    bound = _bound(arq, fields, project_id, handle.id, handle.type, handle.address,
                   handle.uuid, handle.instance,
                   str(made["type"]) if made else handle.partition_type,
                   handle.physical_network)
    if job_uuid and binds is not None:
        conn.execute(st.START_BIND, {"arq_id": arq.id})
        binds.record(conn, arq.id, job_uuid)
        bound.state = states.BIND_STARTED
    return bound


def _bind_in_one_statement(db, arq_uuid, fields):
    """PostgreSQL, one ARQ: the bound ``Arq``, or None to go the portable way."""
    params = {"arq_uuid": arq_uuid, "hostname": fields["hostname"],
              "rp_uuid": fields["device_rp_uuid"], "instance_uuid": fields["instance_uuid"],
              "project_id": fields.get("project_id"), "now": m.utcnow()}
    try:
        row = db.run_single(postgresql.bind, params)
    except sa_exc.IntegrityError:  # the instance holds this group unit: said below
        return None
    if row is None:
        return None
    return _bound(row, fields, row.project_id, row.id, row.type, row.address, row.handle_uuid,
                  row.instance, row.partition_type, row.physical_network)


def bind(db, bindings, programmer, partitioner=None, binds=None):
    """Bind ``{arq_uuid: {hostname, device_rp_uuid, instance_uuid[, project_id]}}``.

    All or nothing: a failure rolls the whole batch back; an ARQ that failed for want
    of a free handle (or a refused programming or partition) is then marked ``BindFailed``.
    ``binds`` (``async_binds.AsyncBinds``): programming may be deferred to it (the ARQs
    it takes come back ``BindStarted``; the caller submits them after this returns).
    """
    partitioner = partitioner or partitions.Partitioner()
    if db.dialect == "postgresql" and len(bindings) == 1 and not programmer.acts_on({}):
        ((arq_uuid, fields),) = bindings.items()
        bound = _bind_in_one_statement(db, arq_uuid, fields)
        if bound is not None:
            return [bound]
    failed = []

    def _bind(session):
        out = []
        for arq_uuid, fields in bindings.items():
            try:
                out.append(_bind_one(session, db, arq_uuid, fields, programmer, partitioner,
                                     binds))
            except errors.Conflict as exc:
                if not isinstance(exc, NoFreeHandle | programming.ProgrammingRefused
                                  | partitions.PartitionRefused):
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
            db.run_core(_mark_failed, failed)
        raise


def _mark_failed(conn, uuids):
    conn.execute(st.MARK_BIND_FAILED, {"uuids": list(uuids)})


def unbind(db, uuids, partitioner=None):
    """Release the handles and clear the binding of these ARQs (idempotent); a GPU
    partition made at bind is removed first, by the host's agent."""
    if db.dialect == "postgresql" and len(uuids) == 1:
        row = db.run_single(postgresql.unbind, uuids[0], m.utcnow())
        if row is not None:  # None: not found, or it holds a partition (said below)
            if row.lost_handle_id is not None:
                db.run_core(handles.remove_lost_on, [row.lost_handle_id])
            return [_unbound(row, row.state, row.project_id)]
    partitioner = partitioner or partitions.Partitioner()

    def _unbind(conn):
        out = []
        for arq_uuid in uuids:
            arq = conn.execute(st.LOCK_ARQ, {"arq_uuid": arq_uuid, "kind": "arq"}).first()
            if arq is None:
                raise errors.NotFound(f"Accelerator Request {arq_uuid} not found")
            state = states.UNBOUND if arq.state != states.INITIAL else states.INITIAL
            partitioner.remove(conn, arq.hostname, arq.partition)
            conn.execute(st.UNBIND_ARQ, {"arq_id": arq.id, "new_state": state})
            handles.release(conn, db, [arq.attach_handle_id])
            out.append(_unbound(arq, state, arq.project_id))
        return out

    return db.run_core(_unbind)
