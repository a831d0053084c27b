"""Every way a claim call can go ends the same on SQLite, PostgreSQL and MariaDB.

On PostgreSQL, bind, unbind and delete of one ARQ are single statements
(``claims.postgresql``) and create reuses a cached profile (``claims.profiles``); the
other databases, and every case those statements refuse, take the portable
transaction. These tests run each outcome on all three databases: same result, same
error, and nothing changed by a refused call.
"""

import uuid

import pytest
import sqlalchemy as sa

from accel_api import claims, errors, inventory_import, programming, states
from accel_api.db import driver, migrate
from accel_api.db import models as m
from accel_api.db.engine import Database
from tests.accel_api_helpers import inventory, scratch_database

pytestmark = pytest.mark.functional


def _add_profile(db, name, groups):
    db.run(lambda s: s.add(m.DeviceProfile(uuid=str(uuid.uuid4()), name=name, groups=groups)))


def _drop_profile(db, name):
    db.run(lambda s: s.execute(sa.delete(m.DeviceProfile).where(m.DeviceProfile.name == name)))


@pytest.fixture
def host(db):
    """host-1: two FPGA devices with two handles each; host-2: one GPU with one."""
    inventory_import.import_inventory(db, "host-1", inventory("host-1", 2, 2))
    inventory_import.import_inventory(
        db, "host-2", inventory("host-2", 1, 1, resource_class="PGPU", bus_base=0x5E))
    _add_profile(db, "fpga", [{"resources:FPGA": "1", "trait:CUSTOM_FPGA_INTEL": "required"}])
    with db.transaction() as session:
        rows = session.execute(
            sa.select(m.Deployable.rp_uuid, m.Deployable.resource_class, m.Device.id)
            .join(m.Device, m.Deployable.device_id == m.Device.id)
            .order_by(m.Deployable.id)).all()
    return {"fpga": [r.rp_uuid for r in rows if r.resource_class == "FPGA"],
            "gpu": [r.rp_uuid for r in rows if r.resource_class == "PGPU"],
            "fpga_device_ids": [r.id for r in rows if r.resource_class == "FPGA"]}


def _fields(rp_uuid, hostname="host-1", instance=None, **extra):
    return dict({"hostname": hostname, "device_rp_uuid": rp_uuid,
                 "instance_uuid": instance or str(uuid.uuid4())}, **extra)


def _snapshot(db):
    """Everything a refused bind must leave as it was."""
    with db.transaction() as session:
        arqs = session.execute(sa.select(
            m.AcceleratorRequest.uuid, m.AcceleratorRequest.state,
            m.AcceleratorRequest.attach_handle_id, m.AcceleratorRequest.instance_uuid)
            .order_by(m.AcceleratorRequest.id)).all()
        handles = session.execute(sa.select(m.AttachHandle.id, m.AttachHandle.in_use)
                                  .order_by(m.AttachHandle.id)).all()
    return [tuple(r) for r in arqs], [tuple(r) for r in handles]


NONE = programming.NoProgrammer()


def test_bind_unbind_and_delete_of_one_arq(db, host):
    arq = claims.create_arqs(db, "fpga", "p1")[0]
    assert (arq.state, arq.project_id, arq.device_profile_name) == (
        states.INITIAL, "p1", "fpga")
    instance = str(uuid.uuid4())
    (bound,) = claims.bind(db, {arq.uuid: _fields(host["fpga"][1], instance=instance,
                                                  project_id="p2")}, NONE)
    assert bound.state == states.BOUND and bound.project_id == "p2"
    assert bound.attach_handle_type == "PCI" and bound.attach_handle_address == "0000:3c:00.0"
    with db.transaction() as session:  # Cyborg's attach_handle_uuid: the handle's uuid
        assert bound.attach_handle_uuid == session.scalar(
            sa.select(m.AttachHandle.uuid).where(m.AttachHandle.id == bound.attach_handle_id))
    assert claims.get_arq(db, arq.uuid) == bound
    (unbound,) = claims.unbind(db, [arq.uuid])
    assert unbound.state == states.UNBOUND and unbound.project_id == "p2"
    got = claims.get_arq(db, arq.uuid)
    assert got.state == states.UNBOUND and got.attach_handle_id is None
    assert got.hostname is got.instance_uuid is got.device_rp_uuid is None
    assert _snapshot(db)[1] == [(h, False) for h, _ in _snapshot(db)[1]]
    (again,) = claims.bind(db, {arq.uuid: _fields(host["fpga"][0])}, NONE)  # Unbound binds
    assert again.state == states.BOUND and again.project_id == "p2"
    assert claims.delete_arqs(db, uuids=[arq.uuid]) == 1
    assert claims.get_arq(db, arq.uuid) is None
    assert not any(in_use for _, in_use in _snapshot(db)[1])
    with pytest.raises(errors.NotFound, match=arq.uuid):
        claims.unbind(db, [arq.uuid])


def _disable_first_fpga(db, host):
    db.run(lambda s: s.execute(sa.update(m.Device).where(
        m.Device.id == host["fpga_device_ids"][0]).values(status="disabled")))


REFUSALS = {
    # name: (how the binding differs, what is raised, the message)
    "unknown ARQ": (lambda h, a: (str(uuid.uuid4()), _fields(h["fpga"][0])),
                    errors.NotFound, "not found"),
    "unknown provider": (lambda h, a: (a, _fields(str(uuid.uuid4()))),
                         errors.BadRequest, "no deployable has resource provider"),
    "provider of another host": (lambda h, a: (a, _fields(h["fpga"][0], "host-2")),
                                 errors.BadRequest, "does not belong to host host-2"),
    "resource class not asked": (lambda h, a: (a, _fields(h["gpu"][0], "host-2")),
                                 errors.BadRequest, "offers PGPU"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_refused_bind_says_why_and_changes_nothing(db, host, case):
    arq = claims.create_arqs(db, "fpga", "p1")[0].uuid
    how, error, message = REFUSALS[case]
    arq_uuid, fields = how(host, arq)
    before = _snapshot(db)
    with pytest.raises(error, match=message):
        claims.bind(db, {arq_uuid: fields}, NONE)
    assert _snapshot(db) == before


def test_a_disabled_device_is_refused(db, host):
    arq = claims.create_arqs(db, "fpga", "p1")[0].uuid
    _disable_first_fpga(db, host)
    before = _snapshot(db)
    with pytest.raises(errors.Conflict, match="disabled or lost"):
        claims.bind(db, {arq: _fields(host["fpga"][0])}, NONE)
    assert _snapshot(db) == before


def test_a_bound_arq_and_an_instance_holding_the_unit_are_conflicts(db, host):
    first, second = (claims.create_arqs(db, "fpga", "p1")[0].uuid for _ in range(2))
    instance = str(uuid.uuid4())
    claims.bind(db, {first: _fields(host["fpga"][0], instance=instance)}, NONE)
    before = _snapshot(db)
    with pytest.raises(errors.Conflict, match="only Initial/Unbound"):
        claims.bind(db, {first: _fields(host["fpga"][1])}, NONE)
    with pytest.raises(errors.Conflict, match=f"instance {instance} is already bound"):
        claims.bind(db, {second: _fields(host["fpga"][1], instance=instance)}, NONE)
    assert _snapshot(db) == before


def test_no_free_handle_marks_the_arq_bind_failed(db, host):
    arqs = [claims.create_arqs(db, "fpga", "p1")[0].uuid for _ in range(3)]
    for arq in arqs[:2]:
        claims.bind(db, {arq: _fields(host["fpga"][0])}, NONE)
    with pytest.raises(claims.NoFreeHandle, match="no free attach handle"):
        claims.bind(db, {arqs[2]: _fields(host["fpga"][0])}, NONE)
    failed = claims.get_arq(db, arqs[2])
    assert failed.state == states.BIND_FAILED and failed.attach_handle_id is None


def test_a_batch_is_all_or_nothing(db, host):
    arqs = [claims.create_arqs(db, "fpga", "p1")[0].uuid for _ in range(2)]
    before = _snapshot(db)
    with pytest.raises(errors.BadRequest, match="does not belong"):
        claims.bind(db, {arqs[0]: _fields(host["fpga"][0]),
                         arqs[1]: _fields(host["fpga"][1], "host-2")}, NONE)
    assert _snapshot(db) == before
    bound = claims.bind(db, {arqs[0]: _fields(host["fpga"][0]),
                             arqs[1]: _fields(host["fpga"][1])}, NONE)
    assert [a.state for a in bound] == [states.BOUND] * 2
    assert {a.state for a in claims.unbind(db, arqs)} == {states.UNBOUND}


class Recorder(programming.Programmer):
    """A third-party programmer: it does not say what it acts on, so it is always asked."""

    def __init__(self):
        self.asked = []

    def prepare(self, request):
        self.asked.append(request.accel)


def test_programmers_are_asked_whenever_they_may_act(db, host):
    _add_profile(db, "gzip", [{"resources:FPGA": "1", "accel:bitstream_id": "b0c1"}])
    recorder = Recorder()
    plain = claims.create_arqs(db, "fpga", "p1")[0].uuid
    claims.bind(db, {plain: _fields(host["fpga"][0])}, recorder)
    programmed = claims.create_arqs(db, "gzip", "p1")[0].uuid
    claims.bind(db, {programmed: _fields(host["fpga"][0])}, recorder)
    assert recorder.asked == [{}, {"accel:bitstream_id": "b0c1"}]
    # The built-in programmer acts on accel: keys only: it refuses this one, clearly.
    other = claims.create_arqs(db, "gzip", "p1")[0].uuid
    with pytest.raises(programming.ProgrammingRefused, match="no programmer configured"):
        claims.bind(db, {other: _fields(host["fpga"][1])}, NONE)
    assert claims.get_arq(db, other).state == states.BIND_FAILED


def test_a_profile_recreated_under_its_name_by_another_worker(db, db_url, host):
    first = claims.create_arqs(db, "fpga", "p1")  # this worker now remembers "fpga"
    assert len(first) == 1
    other = Database(db_url)  # another worker, same database
    try:
        _drop_profile(other, "fpga")
        with pytest.raises(errors.NotFound, match="name=fpga"):
            claims.create_arqs(db, "fpga", "p1")
        _add_profile(other, "fpga", [{"resources:FPGA": "2"}, {"resources:FPGA": "1"}])
        claims.create_arqs(db, "fpga", "p1")  # remembered again, as the new profile
        _drop_profile(other, "fpga")
        _add_profile(other, "fpga", [{"resources:FPGA": "1"}])
        again = claims.create_arqs(db, "fpga", "p1")
    finally:
        other.dispose()
    assert [(a.device_profile_group_id, a.group_unit) for a in again] == [(0, 0)]
    with db.transaction() as session:
        newest = session.scalar(sa.select(m.DeviceProfile.id).where(
            m.DeviceProfile.name == "fpga"))
        row = session.scalar(sa.select(m.AcceleratorRequest).where(
            m.AcceleratorRequest.uuid == again[0].uuid))
        assert row.device_profile_id == newest


def test_group_choice_and_units(db, host):
    _add_profile(db, "two-groups", [{"resources:FPGA": "2"}, {"resources:PGPU": "1"}])
    arqs = claims.create_arqs(db, "two-groups", "p1")
    assert [(a.device_profile_group_id, a.group_unit) for a in arqs] == [(0, 0), (0, 1), (1, 0)]
    (gpu,) = claims.create_arqs(db, "two-groups", "p1", group_id=1)
    assert gpu.device_profile_group_id == 1
    with pytest.raises(errors.BadRequest, match="has no group 2"):
        claims.create_arqs(db, "two-groups", "p1", group_id=2)
    instance = str(uuid.uuid4())
    bound = claims.bind(db, {arqs[0].uuid: _fields(host["fpga"][0], instance=instance),
                             arqs[1].uuid: _fields(host["fpga"][0], instance=instance)}, NONE)
    assert len({a.attach_handle_id for a in bound}) == 2  # two units, two handles
    (one,) = claims.bind(db, {gpu.uuid: _fields(host["gpu"][0], "host-2")}, NONE)
    assert one.attach_handle_address == "0000:5e:00.0"


def test_unbind_and_delete_remove_handles_lost_while_held(db, host):
    arqs = [claims.create_arqs(db, "fpga", "p1")[0].uuid for _ in range(2)]
    for arq in arqs:
        claims.bind(db, {arq: _fields(host["fpga"][0])}, NONE)
    # host-1's first device leaves the inventory while both its handles are held.
    doc = inventory("host-1", 2, 2)
    inventory_import.import_inventory(db, "host-1", dict(doc, devices=doc["devices"][1:]))
    with db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(m.AttachHandle)
                              .where(m.AttachHandle.lost)) == 2
    claims.unbind(db, [arqs[0]])
    with db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(m.AttachHandle)
                              .where(m.AttachHandle.lost)) == 1
    assert claims.delete_arqs(db, uuids=[arqs[1]]) == 1
    with db.transaction() as session:  # the lost device went with its last handle
        assert session.scalar(sa.select(sa.func.count()).select_from(m.AttachHandle)) == 3
        assert session.scalar(sa.select(sa.func.count()).select_from(m.Device)
                              .where(m.Device.lost)) == 0


def test_delete_by_instance_and_by_project(db, host):
    instance = str(uuid.uuid4())
    mine = claims.create_arqs(db, "fpga", "p1")[0].uuid
    theirs = claims.create_arqs(db, "fpga", "p2")[0].uuid
    claims.bind(db, {mine: _fields(host["fpga"][0], instance=instance)}, NONE)
    with pytest.raises(errors.NotFound):
        claims.delete_arqs(db, uuids=[theirs], project_id="p1")
    assert claims.get_arq(db, theirs) is not None
    assert claims.delete_arqs(db, uuids=[theirs], project_id="p2") == 1
    assert claims.delete_arqs(db, instance_uuid=instance) == 1
    assert claims.delete_arqs(db, instance_uuid=instance) == 0  # idempotent, as Nova needs
    assert not any(in_use for _, in_use in _snapshot(db)[1])


@pytest.mark.postgresql
def test_on_postgresql_each_nova_call_is_one_statement(monkeypatch):
    """The design the benchmark relies on: one round trip per call, no BEGIN/COMMIT."""
    sent = []
    rows = driver.DriverStatement.rows

    def _rows(self, conn, params):  # statements run on the driver's cursor
        sent.append(str(self.statement).split(None, 1)[0].upper())
        return rows(self, conn, params)

    monkeypatch.setattr(driver.DriverStatement, "rows", _rows)
    with scratch_database("postgresql") as url:
        migrate.upgrade(url)
        db = Database(url)
        try:
            inventory_import.import_inventory(db, "host-1", inventory("host-1", 1, 2))
            _add_profile(db, "fpga", [{"resources:FPGA": "1"}])
            claims.create_arqs(db, "fpga", "p1")  # reads the profile once
            with db.transaction() as session:
                rp_uuid = session.scalar(sa.select(m.Deployable.rp_uuid))

            def _record(conn, cursor, statement, *args):  # those run by SQLAlchemy
                sent.append(statement.split(None, 1)[0].upper())

            for engine in (db.engine, db.autocommit_engine):
                sa.event.listen(engine, "before_cursor_execute", _record)
            instance = str(uuid.uuid4())
            calls = {
                "create": lambda: claims.create_arqs(db, "fpga", "p1")[0].uuid,
                "bind": lambda: claims.bind(db, {arq: _fields(rp_uuid, instance=instance)},
                                            NONE),
                "get": lambda: claims.get_arq(db, arq),
                "unbind": lambda: claims.unbind(db, [arq]),
                "delete": lambda: claims.delete_arqs(db, uuids=[arq]),
            }
            per_call = {}
            for name, call in calls.items():
                sent.clear()
                result = call()
                if name == "create":
                    arq = result
                assert result, name
                per_call[name] = list(sent)
        finally:
            db.dispose()
    assert per_call == {"create": ["INSERT"], "bind": ["WITH"], "get": ["SELECT"],
                        "unbind": ["WITH"], "delete": ["WITH"]}


@pytest.mark.postgresql
def test_a_connection_lost_under_a_driver_statement_is_replaced():
    """Errors on the driver's cursor come out as SQLAlchemy's, and a dead connection is
    invalidated as SQLAlchemy would: the next call gets a fresh one."""
    with scratch_database("postgresql") as url:
        migrate.upgrade(url)
        db = Database(url, pool_size=1, max_overflow=0)
        try:
            _add_profile(db, "fpga", [{"resources:FPGA": "1"}])
            arq = claims.create_arqs(db, "fpga", "p1")[0].uuid
            assert claims.get_arq(db, arq).uuid == arq
            with db.autocommit_engine.connect() as conn:
                backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with db.engine.connect() as conn:
                conn.exec_driver_sql(f"SELECT pg_terminate_backend({backend})")
            with pytest.raises(sa.exc.DBAPIError) as caught:
                claims.get_arq(db, arq)
            assert caught.value.connection_invalidated
            assert claims.get_arq(db, arq).uuid == arq
        finally:
            db.dispose()
