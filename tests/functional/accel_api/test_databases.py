"""Migrations, constraints and concurrent claims on SQLite, PostgreSQL and MariaDB."""

import collections
import threading
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from accel_api import claims, errors, inventory_import, programming, states
from accel_api.db import migrate
from accel_api.db import models as m
from tests.accel_api_helpers import inventory

pytestmark = pytest.mark.functional


def test_migrations_match_models(db):
    from alembic.script import ScriptDirectory

    url = str(db.engine.url.render_as_string(False))
    head = ScriptDirectory.from_config(migrate.alembic_config(url)).get_current_head()
    assert migrate.current(url) == head
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), m.Base.metadata)
    assert diff == []


def _profile(db, name="dp", units=1):
    def _do(session):
        session.add(m.DeviceProfile(uuid=str(uuid.uuid4()), name=name,
                                    groups=[{"resources:FPGA": str(units)}]))
    db.run(_do)


def _rp_uuids(db):
    with db.transaction() as session:
        return session.scalars(sa.select(m.Deployable.rp_uuid).order_by(m.Deployable.id)).all()


@pytest.mark.parametrize("clients,handles", [(12, 5), (4, 6)])
def test_concurrent_binds_never_share_a_handle(db, clients, handles):
    inventory_import.import_inventory(
        db, "host-1", inventory("host-1", devices=1, handles_per_device=handles))
    _profile(db)
    rp_uuid = _rp_uuids(db)[0]
    arqs = [claims.create_arqs(db, "dp", "p1")[0].uuid for _ in range(clients)]
    barrier = threading.Barrier(clients)
    results = {}

    def _bind(arq_uuid):
        barrier.wait()
        try:
            claims.bind(db, {arq_uuid: {"hostname": "host-1", "device_rp_uuid": rp_uuid,
                                        "instance_uuid": str(uuid.uuid4())}},
                        programming.NoProgrammer())
            results[arq_uuid] = "bound"
        except errors.Conflict as exc:
            results[arq_uuid] = exc.message

    threads = [threading.Thread(target=_bind, args=(a,)) for a in arqs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == clients
    bound = [a for a, r in results.items() if r == "bound"]
    assert len(bound) == min(clients, handles), results
    with db.transaction() as session:
        held = session.scalars(sa.select(m.AcceleratorRequest.attach_handle_id).where(
            m.AcceleratorRequest.attach_handle_id.is_not(None))).all()
        in_use = session.scalar(sa.select(sa.func.count()).where(m.AttachHandle.in_use))
        states_by = collections.Counter(session.scalars(sa.select(m.AcceleratorRequest.state)))
    assert len(held) == len(set(held)) == len(bound) == in_use
    assert states_by[states.BOUND] == len(bound)
    assert states_by[states.BIND_FAILED] == clients - len(bound)


def test_database_refuses_a_handle_held_twice(db):
    inventory_import.import_inventory(db, "host-1", inventory("host-1", 1, 1))
    with db.transaction() as session:
        handle_id = session.scalar(sa.select(m.AttachHandle.id))

    def _two(session):
        for _ in range(2):
            session.add(m.AcceleratorRequest(uuid=str(uuid.uuid4()), state=states.BOUND,
                                             attach_handle_id=handle_id))
        session.flush()

    with pytest.raises(sa.exc.IntegrityError):
        db.run(_two)


def test_database_refuses_an_instance_bound_twice_to_one_group_unit(db):
    instance = str(uuid.uuid4())

    def _two(session):
        for _ in range(2):
            session.add(m.AcceleratorRequest(
                uuid=str(uuid.uuid4()), state=states.BOUND, instance_uuid=instance,
                device_profile_name="dp", device_profile_group_id=0, group_unit=0))
        session.flush()

    with pytest.raises(sa.exc.IntegrityError):
        db.run(_two)


def test_import_is_idempotent_and_keeps_held_devices(db):
    doc = inventory("host-1", devices=2, handles_per_device=1)
    first = inventory_import.import_inventory(db, "host-1", doc)
    assert first["devices"]["added"] == 2 and first["attach_handles"]["added"] == 2
    again = inventory_import.import_inventory(db, "host-1", doc)
    assert all(v == 0 for part in ("devices", "deployables", "attach_handles")
               for v in again[part].values())
    _profile(db)
    rp_uuid = _rp_uuids(db)[0]
    arq = claims.create_arqs(db, "dp", "p1")[0].uuid
    claims.bind(db, {arq: {"hostname": "host-1", "device_rp_uuid": rp_uuid,
                           "instance_uuid": str(uuid.uuid4())}}, programming.NoProgrammer())
    empty = dict(doc, devices=[])
    gone = inventory_import.import_inventory(db, "host-1", empty)
    assert gone["devices"] == {"added": 0, "updated": 0, "removed": 1, "lost": 1}
    with pytest.raises(errors.BadRequest):
        inventory_import.import_inventory(db, "host-1", {"host": {}})
    claims.unbind(db, [arq])
    with db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(m.Device)) == 0


def test_concurrent_first_imports_of_one_host(db):
    doc = inventory("host-9", devices=2, handles_per_device=2)
    barrier = threading.Barrier(4)
    outcomes = []

    def _import():
        barrier.wait()
        try:
            outcomes.append(inventory_import.import_inventory(db, "host-9", doc))
        except Exception as exc:  # noqa: BLE001 - the assertion below reports it
            outcomes.append(exc)

    threads = [threading.Thread(target=_import) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert sum(o["devices"]["added"] for o in outcomes) == 2
    with db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(m.Host)) == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(m.AttachHandle)) == 4


def test_delete_is_all_or_nothing_and_frees_lost_handles(db):
    doc = inventory("host-1", devices=1, handles_per_device=2)
    inventory_import.import_inventory(db, "host-1", doc)
    _profile(db)
    rp_uuid = _rp_uuids(db)[0]
    arqs = [claims.create_arqs(db, "dp", "p1")[0].uuid for _ in range(2)]
    for arq in arqs:
        claims.bind(db, {arq: {"hostname": "host-1", "device_rp_uuid": rp_uuid,
                               "instance_uuid": str(uuid.uuid4())}}, programming.NoProgrammer())
    bound = claims.get_arq(db, arqs[0])
    assert bound.state == states.BOUND and bound.attach_handle_type == "PCI"
    missing = str(uuid.uuid4())
    with pytest.raises(errors.NotFound, match=missing):
        claims.delete_arqs(db, uuids=[arqs[0], missing])
    assert claims.get_arq(db, arqs[0]).state == states.BOUND  # nothing was deleted
    with pytest.raises(errors.NotFound):
        claims.delete_arqs(db, uuids=[arqs[0]], project_id="another-project")
    assert claims.delete_arqs(db, uuids=[arqs[0]]) == 1
    assert claims.get_arq(db, arqs[0]) is None
    with db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).where(m.AttachHandle.in_use)) == 1
    inventory_import.import_inventory(db, "host-1", dict(doc, devices=[]))  # device lost
    assert claims.delete_arqs(db, uuids=[arqs[1]], project_id="p1") == 1
    with db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(m.AttachHandle)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(m.Device)) == 0


class _Deferring(programming.Programmer):
    """Records a programming job and leaves it to the background (as the agent
    programmer does for Nova's bind)."""

    def prepare(self, request):
        job = m.ProgrammingJob(
            uuid=str(uuid.uuid4()), deployable_id=request.session.scalar(
                sa.select(m.Deployable.id).where(m.Deployable.uuid == request.deployable_uuid)),
            deployable_uuid=request.deployable_uuid, hostname=request.hostname,
            bitstream_uuid=str(uuid.uuid4()), project_id=request.project_id,
            arq_uuid=request.arq_uuid, state="running")
        request.session.add(job)
        request.session.flush()
        return job.uuid


def test_an_expired_async_bind_is_taken_over_by_exactly_one_process(db):
    """Several accel-api processes on one database race for the binds of a dead one:
    each bind goes to one of them."""
    import datetime as dt

    from accel_api.api.app import load_conf
    from accel_api.claims import async_binds

    conf = load_conf([])
    inventory_import.import_inventory(
        db, "host-1", inventory("host-1", devices=1, handles_per_device=4))
    _profile(db)
    rp_uuid = _rp_uuids(db)[0]
    dead = async_binds.AsyncBinds(conf, db, owner="dead:1:x")
    arqs = [claims.create_arqs(db, "dp", "p1")[0].uuid for _ in range(4)]
    for arq in arqs:
        (out,) = claims.bind(db, {arq: {"hostname": "host-1", "device_rp_uuid": rp_uuid,
                                        "instance_uuid": str(uuid.uuid4())}},
                             _Deferring(), binds=dead)
        assert out.state == states.BIND_STARTED

    def _expire(session):
        for row in session.scalars(sa.select(m.AsyncBind)):
            row.lease_expires_at = m.utcnow() - dt.timedelta(seconds=5)
    db.run(_expire)
    takers = [async_binds.AsyncBinds(conf, db, owner=f"live:{n}:y") for n in range(6)]
    barrier = threading.Barrier(len(takers))
    taken = collections.defaultdict(list)

    def _take(binds):
        barrier.wait()
        taken[binds.owner] = binds.take_over()

    threads = [threading.Thread(target=_take, args=(b,)) for b in takers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = [i for got in taken.values() for i in got]
    assert len(ids) == len(set(ids)) == 4, dict(taken)
    with db.transaction() as session:
        owners = {r.id: r.owner for r in session.scalars(sa.select(m.AsyncBind))}
    assert all(owners[i] == owner for owner, got in taken.items() for i in got)
    assert takers[0].take_over() == []  # their leases hold now
