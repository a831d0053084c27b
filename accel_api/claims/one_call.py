"""The one-call claim, for users without Nova (standalone Ironic, Kubernetes, batch).

Host + resource class + traits (+ optional bitstream or vGPU type) -> one free attach
handle of a matching deployable, taken atomically (``handles.take``), recorded as an ARQ
of kind ``claim``; released by its uuid. A GPU partition (an mdev, a MIG instance, a
vendor-VFIO vGPU) is made by the host's agent during the claim and removed at release
(``accel_api.partitions``). An mdev parent holds one vGPU type at a time: handles on a
parent where another type is in use are not taken.
"""

import uuid

import sqlalchemy as sa

from accel_api import errors, partitions, programming, states
from accel_api.claims import handles
from accel_api.claims.binding import NoFreeHandle
from accel_api.db import models as m


def _mixed_parents(session, matching):
    """Deployables whose mdev parent already holds another mdev type in use."""
    deps = {dep.id: dep for dep, _device in matching.values()}
    rows = session.execute(
        sa.select(m.AttachHandle.address, m.AttachHandle.partition_type)
        .join(m.Deployable, m.AttachHandle.deployable_id == m.Deployable.id)
        .where(m.Deployable.device_id.in_({d.device_id for d in deps.values()}),
               m.AttachHandle.in_use.is_(True), m.AttachHandle.partition_form == "mdev")).all()
    busy = {}
    for address, ptype in rows:
        busy.setdefault(address, set()).add(ptype)
    out = set()
    for dep_id, dep in deps.items():
        if dep.kind != "mdev":
            continue
        parent_types = busy.get(dep.local_id.split("/mdev/")[0], set())
        if parent_types - {dep.local_id.split("/mdev/")[-1]}:
            out.add(dep_id)
    return out


def claim(db, project_id, hostname, resource_class, traits, bitstream_id, programmer,
          vgpu_type=None, partitioner=None):
    """Claim one free unit of ``resource_class`` with ``traits`` on ``hostname``."""
    traits = sorted(set(traits or []))
    partitioner = partitioner or partitions.Partitioner()

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
        usable = sorted(set(matching) - _mixed_parents(session, matching))
        handle = handles.take(session.connection(), db, usable) if usable else None
        if handle is None:
            raise NoFreeHandle(
                f"every matching {resource_class} deployable on {hostname} is claimed")
        dep, device = matching[handle.deployable_id]
        made = partitioner.create(session.connection(), hostname, handle,
                                  partitions.wanted_vgpu_type(traits=traits,
                                                              explicit=vgpu_type))
        programmer.prepare(programming.ProgramRequest(
            arq_uuid="", hostname=hostname, deployable_uuid=dep.uuid,
            device_address=device.address, attach_handle_address=handle.address,
            accel={"accel:bitstream_id": bitstream_id} if bitstream_id else {},
            session=session, project_id=project_id))
        row = m.AcceleratorRequest(
            uuid=str(uuid.uuid4()), kind="claim", state=states.BOUND, project_id=project_id,
            hostname=hostname, device_rp_uuid=dep.rp_uuid, attach_handle_id=handle.id,
            resource_class=resource_class, traits=traits, bitstream_id=bitstream_id,
            **({"partition": made} if made is not None else {}))
        row.attach_handle = session.get(m.AttachHandle, handle.id, populate_existing=True)
        session.add(row)
        session.flush()
        return row, dep, device

    try:
        return db.run(_claim)
    except sa.exc.IntegrityError:  # an inventory report renamed or added the same handle
        raise errors.Conflict(f"the inventory of {hostname} changed during the claim; "
                              "nothing was claimed, try again") from None


def release(db, claim_uuid, project_id=None, partitioner=None):
    """Release the claim ``claim_uuid`` (of ``project_id`` when given): 404 otherwise.

    A partition made for it is removed first (by the host's agent)."""
    partitioner = partitioner or partitions.Partitioner()

    def _release(session):
        row = session.scalar(
            sa.select(m.AcceleratorRequest)
            .where(m.AcceleratorRequest.uuid == claim_uuid,
                   m.AcceleratorRequest.kind == "claim")
            .with_for_update().execution_options(populate_existing=True))
        if row is None or (project_id is not None and row.project_id != project_id):
            raise errors.NotFound(f"claim {claim_uuid} not found")
        partitioner.remove(session.connection(), row.hostname, row.partition)
        handle_id = row.attach_handle_id
        row.attach_handle_id = None
        row.attach_handle = None
        session.flush()
        handles.release_one(session, handle_id)
        session.delete(row)

    db.run(_release)
