"""The claim path's portable Core statements, built once at import.

No ORM unit of work and no per-request statement construction on the hot path: each
request runs statements from here (SQLAlchemy caches their compiled form), and
``postgresql.py`` holds the single-statement forms PostgreSQL allows.
"""

import sqlalchemy as sa

from accel_api import states
from accel_api.db import models as m

ARQ = m.AcceleratorRequest.__table__
AH = m.AttachHandle.__table__
DEP = m.Deployable.__table__
DEV = m.Device.__table__
HOST = m.Host.__table__
DP = m.DeviceProfile.__table__

#: ARQ columns plus its handle's type and address: what ``Arq`` and the API view need,
#: in the order of ``records.Arq``'s fields (``Arq.from_row`` relies on it; a test checks).
ARQ_VIEW = (sa.select(ARQ.c.uuid, ARQ.c.state, ARQ.c.project_id, ARQ.c.device_profile_name,
                      ARQ.c.device_profile_group_id, ARQ.c.group_unit, ARQ.c.hostname,
                      ARQ.c.device_rp_uuid, ARQ.c.instance_uuid, ARQ.c.attach_handle_id,
                      AH.c.type.label("attach_handle_type"),
                      AH.c.address.label("attach_handle_address"),
                      AH.c.uuid.label("attach_handle_uuid"),
                      AH.c.instance.label("attach_handle_instance"),
                      AH.c.partition_type.label("attach_handle_partition_type"),
                      AH.c.physical_network.label("attach_handle_physical_network"))
            .select_from(ARQ.outerjoin(AH, ARQ.c.attach_handle_id == AH.c.id)))
GET_ARQ = ARQ_VIEW.where(ARQ.c.uuid == sa.bindparam("arq_uuid"), ARQ.c.kind == "arq")

# -- create -----------------------------------------------------------------------------

PROFILE_BY_NAME = sa.select(DP.c.id, DP.c.uuid, DP.c.name, DP.c.groups).where(
    DP.c.name == sa.bindparam("name"))
#: One ARQ row from a profile known by (id, uuid): no row is inserted when that profile
#: is gone, so a cached profile can never create an ARQ of a deleted one.
INSERT_ARQ_OF_PROFILE = sa.insert(ARQ).from_select(
    ["uuid", "kind", "state", "project_id", "device_profile_id", "device_profile_name",
     "device_profile_group_id", "group_unit", "created_at"],
    sa.select(sa.bindparam("arq_uuid", type_=sa.String), sa.literal("arq"),
              sa.literal(states.INITIAL), sa.bindparam("project_id", type_=sa.String),
              DP.c.id, DP.c.name, sa.bindparam("group_id", type_=sa.Integer),
              sa.bindparam("unit", type_=sa.Integer), sa.bindparam("now", type_=sa.DateTime))
    .where(DP.c.id == sa.bindparam("profile_id"), DP.c.uuid == sa.bindparam("profile_uuid"))
).execution_options(preserve_rowcount=True)  # rowcount 0: that profile is gone

# -- bind -------------------------------------------------------------------------------

LOCK_ARQ = (sa.select(ARQ.c.id, ARQ.c.uuid, ARQ.c.state, ARQ.c.project_id,
                      ARQ.c.device_profile_id, ARQ.c.device_profile_name,
                      ARQ.c.device_profile_group_id, ARQ.c.group_unit,
                      ARQ.c.attach_handle_id, ARQ.c.partition, ARQ.c.hostname)
            .where(ARQ.c.uuid == sa.bindparam("arq_uuid"), ARQ.c.kind == sa.bindparam("kind"))
            .with_for_update())
INSTANCE_GROUP_TAKEN = (
    sa.select(ARQ.c.uuid)
    .where(ARQ.c.instance_uuid == sa.bindparam("instance_uuid"), ARQ.c.kind == "arq",
           ARQ.c.device_profile_name == sa.bindparam("profile_name"),
           ARQ.c.device_profile_group_id == sa.bindparam("group_id"),
           ARQ.c.group_unit == sa.bindparam("unit")).limit(1))
DEPLOYABLE_BY_RP = (
    sa.select(DEP.c.id, DEP.c.uuid, DEP.c.rp_uuid, DEP.c.resource_class, DEP.c.lost,
              DEP.c.kind,
              DEV.c.address.label("device_address"), DEV.c.status.label("device_status"),
              DEV.c.lost.label("device_lost"), HOST.c.hostname)
    .select_from(DEP.join(DEV, DEP.c.device_id == DEV.c.id)
                 .join(HOST, DEV.c.host_id == HOST.c.id))
    .where(DEP.c.rp_uuid == sa.bindparam("rp_uuid")))
#: The ARQ, locked, with its profile's groups (a subquery in the select list: the
#: profile row is not locked).
LOCK_ARQ_FOR_BIND = (
    sa.select(*LOCK_ARQ.selected_columns,
              sa.select(DP.c.groups).where(DP.c.id == ARQ.c.device_profile_id)
              .scalar_subquery().label("profile_groups"))
    .where(ARQ.c.uuid == sa.bindparam("arq_uuid"), ARQ.c.kind == "arq")
    .with_for_update())
#: The deployable with whether the instance already holds this profile group unit.
DEPLOYABLE_FOR_BIND = DEPLOYABLE_BY_RP.add_columns(
    INSTANCE_GROUP_TAKEN.scalar_subquery().label("taken"))
BIND_ARQ = (sa.update(ARQ).where(ARQ.c.id == sa.bindparam("arq_id"))
            .values(state=states.BOUND, hostname=sa.bindparam("hostname"),
                    device_rp_uuid=sa.bindparam("rp_uuid"),
                    instance_uuid=sa.bindparam("instance_uuid"),
                    project_id=sa.bindparam("new_project_id"),
                    attach_handle_id=sa.bindparam("handle_id")))
UNBIND_ARQ = (sa.update(ARQ).where(ARQ.c.id == sa.bindparam("arq_id"))
              .values(state=sa.bindparam("new_state"), hostname=None, device_rp_uuid=None,
                      instance_uuid=None, attach_handle_id=None, partition=sa.null()))
START_BIND = (sa.update(ARQ).where(ARQ.c.id == sa.bindparam("arq_id"))
              .values(state=states.BIND_STARTED))
MARK_BIND_FAILED = (sa.update(ARQ)
                    .where(ARQ.c.uuid.in_(sa.bindparam("uuids", expanding=True)),
                           ARQ.c.state.in_(states.BINDABLE))
                    .values(state=states.BIND_FAILED))

# -- attach handles -----------------------------------------------------------------------

FREE_HANDLE = (sa.select(AH.c.id)
               .where(AH.c.deployable_id.in_(sa.bindparam("deployable_ids", expanding=True)),
                      AH.c.in_use.is_(False), AH.c.lost.is_(False))
               .order_by(AH.c.id).limit(1))
HANDLE_COLUMNS = (AH.c.id, AH.c.deployable_id, AH.c.type, AH.c.address, AH.c.uuid,
                  AH.c.instance, AH.c.partition_form, AH.c.partition_type,
                  AH.c.physical_network)
#: One statement takes a handle where the database has UPDATE ... RETURNING
#: (PostgreSQL, SQLite >= 3.35): the row lock (or SQLite's write lock) and the
#: ``in_use = false`` recheck make it atomic. Keyed by how it treats locked rows.
TAKE_HANDLE = {
    lock: sa.update(AH).where(
        AH.c.id == (FREE_HANDLE.with_for_update(skip_locked=skip) if lock else FREE_HANDLE)
        .scalar_subquery(), AH.c.in_use.is_(False))
    .values(in_use=True).returning(*HANDLE_COLUMNS)
    for lock, skip in (("skip_locked", True), ("wait", False), (None, False))
}
MARK_IN_USE = (sa.update(AH).where(AH.c.id == sa.bindparam("handle_id"),
                                   AH.c.in_use.is_(False)).values(in_use=True))
HANDLE_BY_ID = sa.select(*HANDLE_COLUMNS).where(AH.c.id == sa.bindparam("handle_id"))
FREE_HANDLES = (sa.update(AH).where(AH.c.id.in_(sa.bindparam("handle_ids", expanding=True)))
                .values(in_use=False))
FREE_HANDLES_RETURNING = FREE_HANDLES.returning(AH.c.id, AH.c.lost)
LOST_HANDLES = sa.select(AH.c.id).where(
    AH.c.id.in_(sa.bindparam("handle_ids", expanding=True)), AH.c.lost.is_(True))

# -- delete ------------------------------------------------------------------------------

ARQS_BY_UUID = (sa.select(ARQ.c.id, ARQ.c.uuid, ARQ.c.attach_handle_id, ARQ.c.partition,
                          ARQ.c.hostname)
                .where(ARQ.c.kind == "arq",
                       ARQ.c.uuid.in_(sa.bindparam("uuids", expanding=True))))
LOCK_ARQS_BY_UUID = ARQS_BY_UUID.with_for_update()
DELETE_ARQS = sa.delete(ARQ).where(ARQ.c.id.in_(sa.bindparam("ids", expanding=True)))
DELETE_ARQS_BY_UUID = (
    sa.delete(ARQ).where(ARQ.c.kind == "arq",
                         ARQ.c.uuid.in_(sa.bindparam("uuids", expanding=True)))
    .returning(ARQ.c.id, ARQ.c.uuid, ARQ.c.attach_handle_id, ARQ.c.partition, ARQ.c.hostname))
