"""The Programmer extension point: called by bind before Bound, refusals are clear."""

import uuid

import pytest
import sqlalchemy as sa

from accel_api import claims, errors, inventory_import, programming, states
from accel_api.db import migrate
from accel_api.db import models as m
from accel_api.db.engine import Database
from tests.accel_api_helpers import inventory


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path}/t.sqlite"
    migrate.upgrade(url)
    database = Database(url)
    inventory_import.import_inventory(database, "h1", inventory("h1", 1, 2))

    def _profiles(session):
        session.add(m.DeviceProfile(uuid=str(uuid.uuid4()), name="gzip", groups=[
            {"resources:FPGA": "1", "accel:bitstream_id": "b0c1"}]))
    database.run(_profiles)
    yield database
    database.dispose()


def _binding(db):
    with db.transaction() as session:
        rp_uuid = session.scalar(sa.select(m.Deployable.rp_uuid))
    return {"hostname": "h1", "device_rp_uuid": rp_uuid, "instance_uuid": str(uuid.uuid4())}


class Recorder(programming.Programmer):
    def __init__(self):
        self.requests = []

    def prepare(self, request):
        self.requests.append(request)


def test_default_programmer_refuses_programming_and_marks_bind_failed(db):
    arq = claims.create_arqs(db, "gzip", "p")[0].uuid
    with pytest.raises(programming.ProgrammingRefused, match="no programmer"):
        claims.bind(db, {arq: _binding(db)}, programming.load("none"))
    with db.transaction() as session:
        row = session.scalar(sa.select(m.AcceleratorRequest).where(
            m.AcceleratorRequest.uuid == arq))
        assert row.state == states.BIND_FAILED and row.attach_handle_id is None
        assert session.scalar(sa.select(sa.func.count()).where(m.AttachHandle.in_use)) == 0


def test_a_programmer_sees_the_request_before_the_arq_is_bound(db):
    arq = claims.create_arqs(db, "gzip", "p")[0].uuid
    recorder = Recorder()
    bound = claims.bind(db, {arq: _binding(db)}, recorder)
    assert bound[0].state == states.BOUND
    (request,) = recorder.requests
    assert request.accel == {"accel:bitstream_id": "b0c1"} and request.wants_programming
    assert request.hostname == "h1" and request.device_address == "0000:3b:00.0"


def test_unknown_programmer_name_is_an_error():
    with pytest.raises(Exception, match="no-such"):
        programming.load("no-such")


def test_wrong_host_is_a_bad_request_and_changes_nothing(db):
    arq = claims.create_arqs(db, "gzip", "p")[0].uuid
    binding = dict(_binding(db), hostname="h2")
    with pytest.raises(errors.BadRequest, match="does not belong"):
        claims.bind(db, {arq: binding}, Recorder())
    with db.transaction() as session:
        assert session.scalar(sa.select(m.AcceleratorRequest.state)) == states.INITIAL
