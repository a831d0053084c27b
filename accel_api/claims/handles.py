"""Taking and freeing attach handles: the only place a handle's ``in_use`` changes.

Taking is atomic on every database: ``UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP
LOCKED LIMIT 1) AND in_use = false RETURNING`` where ``UPDATE ... RETURNING`` exists
(PostgreSQL; SQLite, whose transaction holds the write lock), else ``SELECT ... FOR
UPDATE SKIP LOCKED`` then a guarded ``UPDATE`` (MariaDB). The unique constraint on
``accelerator_requests.attach_handle_id`` backs it up.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from accel_api.claims import statements as st
from accel_api.db import models as m


def take(conn, db, deployable_ids):
    """Mark one free handle of these deployables in use; None when all are taken.

    Returns the handle's (id, deployable_id, type, address) row. The first attempt
    skips handles other transactions hold; the second waits for them (one may roll
    back and free its handle).
    """
    params = {"deployable_ids": list(deployable_ids)}
    locks = ("skip_locked", "wait") if db.row_locks else (None,)
    if db.update_returning:
        for lock in locks:
            handle = conn.execute(st.TAKE_HANDLE[lock], params).first()
            if handle is not None:
                return handle
        return None
    # MariaDB/MySQL: no UPDATE ... RETURNING, and no subquery on the updated table.
    for lock in locks:
        query = st.FREE_HANDLE if lock is None else st.FREE_HANDLE.with_for_update(
            skip_locked=lock == "skip_locked")
        for _ in range(db.retries):
            handle_id = conn.execute(query, params).scalar()
            if handle_id is None:
                break
            if conn.execute(st.MARK_IN_USE, {"handle_id": handle_id}).rowcount == 1:
                return conn.execute(st.HANDLE_BY_ID, {"handle_id": handle_id}).first()
    return None


def release(conn, db, handle_ids):
    """Free these handles; those lost meanwhile are removed now (``remove_lost``)."""
    handle_ids = [h for h in handle_ids if h is not None]
    if not handle_ids:
        return
    params = {"handle_ids": handle_ids}
    if db.update_returning:
        lost = [r.id for r in conn.execute(st.FREE_HANDLES_RETURNING, params) if r.lost]
    else:
        conn.execute(st.FREE_HANDLES, params)
        lost = conn.execute(st.LOST_HANDLES, params).scalars().all()
    if lost:  # rare: an ORM session on this connection, inside its transaction
        remove_lost_on(conn, lost)


def remove_lost_on(conn, handle_ids):
    """``remove_lost`` for each handle, in ``conn``'s transaction."""
    with Session(bind=conn) as session:
        for handle_id in handle_ids:
            remove_lost(session, handle_id)
        session.flush()


def release_one(session, handle_id):
    """Free a handle (ORM form, for the one-call claim's release)."""
    if handle_id is None:
        return
    session.execute(sa.update(m.AttachHandle).where(m.AttachHandle.id == handle_id)
                    .values(in_use=False).execution_options(synchronize_session=False))
    remove_lost(session, handle_id)


def remove_lost(session, handle_id):
    """A handle that vanished from the inventory while held is removed once freed,
    with its deployable and device when they vanished too and nothing else holds them."""
    handle = session.get(m.AttachHandle, handle_id, populate_existing=True)
    if handle is None or not handle.lost or handle.in_use:
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
