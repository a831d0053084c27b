"""Accelerator requests: create them from a device profile, read them, delete them.

Create is one ``INSERT ... SELECT`` from the (cached) profile for a single-unit profile:
atomic by itself, so it runs without BEGIN/COMMIT where the database allows. Delete
frees the handles the ARQs held in the same transaction (on PostgreSQL: the same
statement, ``postgresql.delete_arqs``).
"""

import logging
import uuid

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from accel_api import errors, partitions, states
from accel_api.claims import handles, postgresql, profiles
from accel_api.claims import statements as st
from accel_api.claims.records import Arq, group_units
from accel_api.db import models as m

LOG = logging.getLogger(__name__)


def _planned(profile, project_id, group_id):
    """The ARQ rows a profile asks for: one per unit of each group (of one if given)."""
    if group_id is not None and group_id >= len(profile.groups):
        raise errors.BadRequest(f"device profile {profile.name} has no group {group_id}")
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
    return rows


def _arqs(rows, project_id):
    return [Arq(uuid=r["uuid"], state=r["state"], project_id=project_id,
                device_profile_name=r["device_profile_name"],
                device_profile_group_id=r["device_profile_group_id"],
                group_unit=r["group_unit"]) for r in rows]


def _refuse_for_nova(profile, project_id):
    """ARQs are Nova's path: a profile asking for a form Nova cannot attach is refused."""
    reason = partitions.nova_refusal(profile.groups)
    if reason:
        # Logged too: Nova 34 keeps only the status of a refused ARQ creation in the
        # server's fault ("Invalid response from Cyborg: <Response [400]>"), so this line
        # is where an operator finds why the server went to ERROR.
        LOG.warning("refused accelerator requests of device profile %s (project %s): %s",
                    profile.name, project_id, reason)
        raise errors.BadRequest(f"device profile {profile.name} cannot be used through Nova: "
                                f"{reason}")


def create_arqs(db, profile_name, project_id, group_id=None):
    """One ARQ per requested unit of each group of the profile (of one group if given)."""
    cache = profiles.cache_of(db)
    profile = cache.get(profile_name)
    if profile is not None:
        _refuse_for_nova(profile, project_id)
        rows = _planned(profile, project_id, group_id)
        if len(rows) == 1:
            row = rows[0]
            params = {"arq_uuid": row["uuid"], "project_id": project_id,
                      "group_id": row["device_profile_group_id"], "unit": row["group_unit"],
                      "now": row["created_at"], "profile_id": profile.id,
                      "profile_uuid": profile.uuid}
            try:
                inserted = db.run_single(_insert_arq, db.dialect, params)
            except sa_exc.IntegrityError:  # the profile went while the row was written
                inserted = 0
            if inserted == 1:
                return _arqs(rows, project_id)
            cache.forget(profile_name)  # deleted or re-created since: read it again

    def _create(conn):
        found = cache.read(conn, profile_name)
        if found is None:
            raise errors.NotFound(f"Device Profile with name={profile_name} not found")
        _refuse_for_nova(found, project_id)
        rows = _planned(found, project_id, group_id)
        if rows:
            conn.execute(sa.insert(st.ARQ), rows)
        return _arqs(rows, project_id)

    return db.run_core(_create)


def _insert_arq(conn, dialect, params):
    """``INSERT_ARQ_OF_PROFILE``: how many rows it wrote (0: that profile is gone)."""
    if dialect == "postgresql":
        return len(postgresql.INSERT_ARQ_OF_PROFILE.rows(conn, params))
    return conn.execute(st.INSERT_ARQ_OF_PROFILE, params).rowcount


def get_arq(db, arq_uuid):
    """The ARQ with this uuid as an ``Arq`` (None when there is none); one SELECT."""
    params = {"arq_uuid": arq_uuid}
    with db.reading() as conn:
        if db.dialect == "postgresql":
            row = postgresql.GET_ARQ.first(conn, params)
        else:
            row = conn.execute(st.GET_ARQ, params).first()
    return None if row is None else Arq.from_row(row)


def _check_all_found(uuids, rows):
    missing = set(uuids) - {r.uuid for r in rows}
    if missing:
        raise errors.NotFound(f"Accelerator Requests not found: {', '.join(sorted(missing))}")


def delete_arqs(db, uuids=None, instance_uuid=None, project_id=None, partitioner=None):
    """Delete ARQs by uuid list (all must exist) or by instance (idempotent); GPU
    partitions made at bind are removed first, by the host's agent."""
    done = 0
    if db.dialect == "postgresql" and (uuids is None or len(uuids) == 1):
        # One statement deletes and frees: nothing to roll back when a uuid is missing.
        # ARQs holding a partition are left to the portable path below.
        count, lost, partitioned = db.run_single(
            postgresql.delete_arqs, arq_uuid=uuids[0] if uuids else None,
            instance_uuid=instance_uuid, project_id=project_id, now=m.utcnow())
        if lost:
            db.run_core(handles.remove_lost_on, lost)
        if not partitioned:
            if uuids and not count:
                raise errors.NotFound(f"Accelerator Requests not found: {uuids[0]}")
            return count
        done = count
    partitioner = partitioner or partitions.Partitioner()

    def _release(conn, rows):
        for row in rows:
            partitioner.remove(conn, row.hostname, row.partition)
        handles.release(conn, db, [r.attach_handle_id for r in rows])

    def _delete(conn):
        if db.delete_returning and uuids is not None and project_id is None:
            # One statement: the DELETE locks and removes; a missing uuid rolls it back.
            rows = conn.execute(st.DELETE_ARQS_BY_UUID, {"uuids": list(uuids)}).all()
            _check_all_found(uuids, rows)
            _release(conn, rows)
            return len(rows)
        if uuids is not None and project_id is None:
            rows = conn.execute(st.LOCK_ARQS_BY_UUID, {"uuids": list(uuids)}).all()
        else:
            query = st.ARQS_BY_UUID if uuids is not None else sa.select(
                *st.ARQS_BY_UUID.selected_columns).where(
                    st.ARQ.c.kind == "arq", st.ARQ.c.instance_uuid == instance_uuid)
            if project_id is not None:
                query = query.where(st.ARQ.c.project_id == project_id)
            params = {"uuids": list(uuids)} if uuids is not None else {}
            rows = conn.execute(query.with_for_update(), params).all()
        if uuids is not None:
            _check_all_found(uuids, rows)
        if rows:
            # The rows go first: a lost handle is then deleted with nothing pointing at it.
            conn.execute(st.DELETE_ARQS, {"ids": [r.id for r in rows]})
            _release(conn, rows)
        return len(rows)

    return done + db.run_core(_delete)

