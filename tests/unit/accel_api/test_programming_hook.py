"""The Programmer extension point: called by bind before Bound, refusals are clear."""

import uuid

import sqlalchemy as sa

from accel_api import claims, errors, inventory_import, programming, states
from accel_api.db import models as m
from tests.accel_api_helpers import inventory, sqlite_database
from tests.unit import base


def _binding(db):
    with db.transaction() as session:
        rp_uuid = session.scalar(sa.select(m.Deployable.rp_uuid))
    return {"hostname": "h1", "device_rp_uuid": rp_uuid, "instance_uuid": str(uuid.uuid4())}


class Recorder(programming.Programmer):
    def __init__(self):
        self.requests = []

    def prepare(self, request):
        self.requests.append(request)


class TestProgrammingHook(base.TestCase):
    def setUp(self):
        super().setUp()
        self.db = sqlite_database(self.tmp_dir())
        self.addCleanup(self.db.dispose)
        inventory_import.import_inventory(self.db, "h1", inventory("h1", 1, 2))

        def _profiles(session):
            session.add(m.DeviceProfile(uuid=str(uuid.uuid4()), name="gzip", groups=[
                {"resources:FPGA": "1", "accel:bitstream_id": "b0c1"}]))
        self.db.run(_profiles)

    def test_default_programmer_refuses_programming_and_marks_bind_failed(self):
        arq = claims.create_arqs(self.db, "gzip", "p")[0].uuid
        with self.assertRaisesRegex(programming.ProgrammingRefused, "no programmer"):
            claims.bind(self.db, {arq: _binding(self.db)}, programming.load("none"))
        with self.db.transaction() as session:
            row = session.scalar(sa.select(m.AcceleratorRequest).where(
                m.AcceleratorRequest.uuid == arq))
            self.assertEqual(row.state, states.BIND_FAILED)
            self.assertIsNone(row.attach_handle_id)
            self.assertEqual(
                session.scalar(sa.select(sa.func.count()).where(m.AttachHandle.in_use)), 0)

    def test_a_programmer_sees_the_request_before_the_arq_is_bound(self):
        arq = claims.create_arqs(self.db, "gzip", "p")[0].uuid
        recorder = Recorder()
        bound = claims.bind(self.db, {arq: _binding(self.db)}, recorder)
        self.assertEqual(bound[0].state, states.BOUND)
        (request,) = recorder.requests
        self.assertEqual(request.accel, {"accel:bitstream_id": "b0c1"})
        self.assertTrue(request.wants_programming)
        self.assertEqual(request.hostname, "h1")
        self.assertEqual(request.device_address, "0000:3b:00.0")

    def test_unknown_programmer_name_is_an_error(self):
        with self.assertRaisesRegex(Exception, "no-such"):
            programming.load("no-such")

    def test_wrong_host_is_a_bad_request_and_changes_nothing(self):
        arq = claims.create_arqs(self.db, "gzip", "p")[0].uuid
        binding = dict(_binding(self.db), hostname="h2")
        with self.assertRaisesRegex(errors.BadRequest, "does not belong"):
            claims.bind(self.db, {arq: binding}, Recorder())
        with self.db.transaction() as session:
            self.assertEqual(session.scalar(sa.select(m.AcceleratorRequest.state)), states.INITIAL)
