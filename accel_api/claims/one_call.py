"""The one-call claim, for users without Nova (standalone Ironic, Kubernetes).

Host + resource class + traits (+ optional bitstream) -> one free attach handle of a
matching deployable, taken atomically (``handles.take``), recorded as an ARQ of kind
``claim``; released by its uuid.
"""

import uuid

import sqlalchemy as sa

from accel_api import errors, programming, states
from accel_api.claims import handles
from accel_api.claims.binding import NoFreeHandle
from accel_api.db import models as m


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
        handle = handles.take(session.connection(), db, sorted(matching))
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
    """Release the claim ``claim_uuid`` (of ``project_id`` when given): 404 otherwise."""

    def _release(session):
        row = session.scalar(
            sa.select(m.AcceleratorRequest)
            .where(m.AcceleratorRequest.uuid == claim_uuid,
                   m.AcceleratorRequest.kind == "claim")
            .with_for_update().execution_options(populate_existing=True))
        if row is None or (project_id is not None and row.project_id != project_id):
            raise errors.NotFound(f"claim {claim_uuid} not found")
        handle_id = row.attach_handle_id
        row.attach_handle_id = None
        row.attach_handle = None
        session.flush()
        handles.release_one(session, handle_id)
        session.delete(row)

    db.run(_release)
