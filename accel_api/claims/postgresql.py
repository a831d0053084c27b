"""PostgreSQL: bind, unbind and delete of one ARQ, each in one statement.

A Nova call on the portable path is a transaction of three to five statements: with
BEGIN and COMMIT, five to seven round trips, each costing accel-api and the database a
few hundred microseconds of CPU. PostgreSQL's data-modifying CTEs let each of these
calls be one statement, atomic by itself, so it runs in autocommit: one round trip.
They run on the driver's cursor (``db.driver``), as do the ARQ read and insert.

Every statement locks the ARQ row first (``FOR UPDATE`` in the first CTE, which the
others depend on) and checks in SQL every condition the portable path checks in
Python; when one fails it changes nothing and returns no row, and the caller falls
back to the portable path, which says precisely why (or succeeds: the state may have
changed in between). The unique constraints still back every bind: a violation fails
the whole statement, and the portable path then reports the conflict.
"""

import sqlalchemy as sa

from accel_api import states
from accel_api.claims import statements as st
from accel_api.db.driver import DriverStatement

_BINDABLE = ", ".join(f"'{s}'" for s in states.BINDABLE)

#: Bind one ARQ to a free handle of the deployable whose provider is ``rp_uuid``, on
#: ``hostname``, enabled and present, of a resource class the ARQ's profile group asks
#: for (``resources:<class>`` keys, read from the profile's JSON), when the group has no
#: ``accel:`` key (those may need the programmer), on a plain PCI handle (partitions go the
#: portable way, where the agent makes them). No row: nothing changed.
BIND = sa.text(f"""
WITH arq AS (
    SELECT a.id,
           ARRAY(SELECT substr(kv.key, 11)
                 FROM json_each_text(p.groups -> a.device_profile_group_id) AS kv
                 WHERE kv.key LIKE 'resources:%') AS resource_classes
    FROM accelerator_requests AS a
    JOIN device_profiles AS p ON p.id = a.device_profile_id
    WHERE a.uuid = :arq_uuid AND a.kind = 'arq' AND a.state IN ({_BINDABLE})
      AND NOT EXISTS (SELECT 1
                      FROM json_each_text(p.groups -> a.device_profile_group_id) AS kv
                      WHERE kv.key LIKE 'accel:%')
    FOR UPDATE OF a),
handle AS (
    UPDATE attach_handles SET in_use = true, updated_at = :now
    WHERE id = (
        SELECT ah.id FROM arq, attach_handles AS ah
        JOIN deployables AS d ON d.id = ah.deployable_id
        JOIN devices AS v ON v.id = d.device_id
        JOIN hosts AS h ON h.id = v.host_id
        WHERE d.rp_uuid = :rp_uuid AND h.hostname = :hostname
          AND d.resource_class = ANY(arq.resource_classes)
          AND NOT d.lost AND NOT v.lost AND v.status = 'enabled'
          AND NOT ah.in_use AND NOT ah.lost AND ah.partition_form IS NULL
        ORDER BY ah.id LIMIT 1
        FOR UPDATE OF ah SKIP LOCKED)
      AND NOT in_use
    RETURNING id, uuid, type, address, instance, partition_type, physical_network)
UPDATE accelerator_requests AS a
SET state = '{states.BOUND}', hostname = :hostname, device_rp_uuid = :rp_uuid,
    instance_uuid = :instance_uuid,
    project_id = COALESCE(CAST(:project_id AS VARCHAR), a.project_id),
    attach_handle_id = handle.id, updated_at = :now
FROM arq, handle
WHERE a.id = arq.id
RETURNING a.uuid, a.project_id, a.device_profile_name, a.device_profile_group_id,
          a.group_unit, handle.id, handle.uuid AS handle_uuid, handle.type, handle.address,
          handle.instance, handle.partition_type, handle.physical_network
""")

#: Unbind one ARQ: clear its binding and free its handle. No row: no such ARQ, or one
#: holding a GPU partition (the portable path has the agent remove it first).
UNBIND = sa.text(f"""
WITH arq AS (
    SELECT id, state, attach_handle_id FROM accelerator_requests
    WHERE uuid = :arq_uuid AND kind = 'arq' AND partition IS NULL
    FOR UPDATE),
freed AS (
    UPDATE attach_handles SET in_use = false, updated_at = :now
    WHERE id = (SELECT attach_handle_id FROM arq)
    RETURNING id, lost)
UPDATE accelerator_requests AS a
SET state = CASE WHEN arq.state = '{states.INITIAL}' THEN '{states.INITIAL}'
                 ELSE '{states.UNBOUND}' END,
    hostname = NULL, device_rp_uuid = NULL, instance_uuid = NULL,
    attach_handle_id = NULL, updated_at = :now
FROM arq
WHERE a.id = arq.id
RETURNING a.uuid, a.state, a.project_id, a.device_profile_name,
          a.device_profile_group_id, a.group_unit,
          (SELECT id FROM freed WHERE lost) AS lost_handle_id
""")


def _delete(where):
    return sa.text(f"""
WITH gone AS (
    DELETE FROM accelerator_requests
    WHERE kind = 'arq' AND partition IS NULL AND {where}
    RETURNING attach_handle_id),
freed AS (
    UPDATE attach_handles SET in_use = false, updated_at = :now
    WHERE id IN (SELECT attach_handle_id FROM gone)
    RETURNING id, lost)
SELECT (SELECT count(*) FROM gone) AS deleted,
       (SELECT array_agg(id) FROM freed WHERE lost) AS lost_handle_ids,
       (SELECT count(*) FROM accelerator_requests
        WHERE kind = 'arq' AND partition IS NOT NULL AND {where}) AS partitioned
""")


#: Delete one ARQ (of one project), or all of an instance, freeing their handles; ARQs
#: holding a GPU partition are left to the portable path.
DELETE = {
    ("uuid", False): _delete("uuid = :arq_uuid"),
    ("uuid", True): _delete("uuid = :arq_uuid AND project_id = :project_id"),
    ("instance", False): _delete("instance_uuid = :instance_uuid"),
    ("instance", True): _delete("instance_uuid = :instance_uuid AND project_id = :project_id"),
}


_BIND = DriverStatement(BIND, (
    "uuid", "project_id", "device_profile_name", "device_profile_group_id", "group_unit",
    "id", "handle_uuid", "type", "address", "instance", "partition_type", "physical_network"))
_UNBIND = DriverStatement(UNBIND, (
    "uuid", "state", "project_id", "device_profile_name", "device_profile_group_id",
    "group_unit", "lost_handle_id"))
_DELETE = {key: DriverStatement(statement, ("deleted", "lost_handle_ids", "partitioned"))
           for key, statement in DELETE.items()}
#: ``statements.GET_ARQ`` and the ARQ insert of ``arqs.create_arqs``, on the cursor too.
GET_ARQ = DriverStatement(st.GET_ARQ, [c.name for c in st.GET_ARQ.selected_columns])
INSERT_ARQ_OF_PROFILE = DriverStatement(
    st.INSERT_ARQ_OF_PROFILE.returning(st.ARQ.c.id), ("id",))


def bind(conn, params):
    """``BIND`` with these parameters: the bound ARQ and its handle, or None."""
    return _BIND.first(conn, params)


def unbind(conn, arq_uuid, now):
    """``UNBIND``: the unbound ARQ's row (with ``lost_handle_id``), None if not found."""
    return _UNBIND.first(conn, {"arq_uuid": arq_uuid, "now": now})


def delete_arqs(conn, arq_uuid=None, instance_uuid=None, project_id=None, now=None):
    """Delete by uuid or by instance: (how many, ids of freed handles that are lost, how
    many matching ARQs hold a partition and were left for the portable path)."""
    key = ("uuid" if arq_uuid is not None else "instance", project_id is not None)
    params = {"arq_uuid": arq_uuid, "instance_uuid": instance_uuid,
              "project_id": project_id, "now": now}
    row = _DELETE[key].first(conn, params)
    return row.deleted, list(row.lost_handle_ids or ()), row.partitioned
