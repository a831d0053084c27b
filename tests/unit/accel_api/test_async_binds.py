"""Asynchronous binds: the state machine, the leases and takeover between two API
processes on one database, and the Nova notifier's keystoneauth adapter calls.

The programming step (the agent's job, driven for real in
tests/functional/programming/test_async_binds.py) is given as its outcome here."""

import datetime as dt
import uuid
from unittest import mock

import sqlalchemy as sa
from keystoneauth1 import exceptions as ks_exc

from accel_api import claims, inventory_import, jobs, nova_events, programming, states
from accel_api.api.app import load_conf
from accel_api.claims import async_binds
from accel_api.db import models as m
from tests.accel_api_helpers import inventory, sqlite_database
from tests.unit import base

AFU = "8d1e5b4a8f2e4c6b9d1a0c2b3e4f5a6b"


class Deferring(programming.Programmer):
    """A programmer that records a job and leaves it to the background (as the agent
    programmer does with ``may_defer``)."""

    def __init__(self):
        self.bitstream = str(uuid.uuid4())

    def prepare(self, request):
        if not request.may_defer:
            return None
        job = m.ProgrammingJob(
            uuid=str(uuid.uuid4()), deployable_id=request.session.scalar(
                sa.select(m.Deployable.id).where(m.Deployable.uuid == request.deployable_uuid)),
            deployable_uuid=request.deployable_uuid, hostname=request.hostname,
            bitstream_uuid=self.bitstream, project_id=request.project_id,
            arq_uuid=request.arq_uuid, state=jobs.RUNNING)
        request.session.add(job)
        request.session.flush()
        return job.uuid


def _conf(**claims_opts):
    conf = load_conf([])
    for key, value in claims_opts.items():
        conf.set_override(key, value, "claims")
    return conf


class Delivered:
    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def bound(self, instance_uuid, arq_uuid, status):
        self.calls.append((instance_uuid, arq_uuid, status))
        return self.answers.pop(0)


class AsyncBindTest(base.TestCase):
    def setUp(self):
        super().setUp()
        self.db = sqlite_database(self.tmp_dir())
        self.addCleanup(self.db.dispose)
        inventory_import.import_inventory(self.db, "h1", inventory("h1", 1, 1))

        def _profiles(session):
            session.add(m.DeviceProfile(uuid=str(uuid.uuid4()), name="afu", groups=[
                {"resources:FPGA": "1", "accel:bitstream_id": "b"}]))
        self.db.run(_profiles)
        self.conf = _conf(async_notify_attempts=2)
        self.programmer = Deferring()
        self.outcome = jobs.Outcome(jobs.SUCCEEDED, "loaded", AFU)

    def _binds(self, notifier=None, owner=None):
        return async_binds.AsyncBinds(self.conf, self.db, notifier=notifier, owner=owner,
                                      drive=self._drive)

    def _drive(self, db, conf, job_uuid):
        with db.transaction() as session:
            dep = session.scalar(sa.select(m.Deployable))
            plan = jobs.Plan(deployable_id=dep.id, deployable_uuid=dep.uuid, local_id="r0",
                             device_address="0000:3b:00.0", vendor_id="0x8086",
                             hostname="h1", bitstream={"uuid": self.programmer.bitstream},
                             rpc_host=None, rpc_port=None)
        return self.outcome, plan

    def _bind(self, binds):
        arq = claims.create_arqs(self.db, "afu", "p")[0].uuid
        with self.db.transaction() as session:
            rp_uuid = session.scalar(sa.select(m.Deployable.rp_uuid))
        self.instance = str(uuid.uuid4())
        (out,) = claims.bind(self.db, {arq: {"hostname": "h1", "device_rp_uuid": rp_uuid,
                                             "instance_uuid": self.instance}},
                             self.programmer, binds=binds)
        with self.db.transaction() as session:
            row_id = session.scalar(sa.select(m.AsyncBind.id))
        return arq, out, row_id

    def _state(self, arq):
        with self.db.transaction() as session:
            row = session.scalar(sa.select(m.AcceleratorRequest).where(
                m.AcceleratorRequest.uuid == arq))
            in_use = session.scalar(sa.select(sa.func.count()).where(m.AttachHandle.in_use))
            job = session.scalar(sa.select(m.ProgrammingJob))
            record = session.scalar(sa.select(m.AsyncBind))
            return (row.state, row.attach_handle_id is not None, in_use, job.state,
                    None if record is None else (record.phase, record.owner, record.outcome))

    def test_a_deferred_bind_is_bind_started_with_its_handle_and_its_owner(self):
        binds = self._binds()
        arq, out, _ = self._bind(binds)
        self.assertEqual(out.state, states.BIND_STARTED)
        self.assertEqual(self._state(arq), (states.BIND_STARTED, True, 1, jobs.RUNNING,
                                            ("program", binds.owner, None)))
        self.assertRegex(binds.owner, r"^.+:\d+:[0-9a-f]{12}$")

    def test_without_async_binds_the_same_programmer_binds_synchronously(self):
        arq = claims.create_arqs(self.db, "afu", "p")[0].uuid
        with self.db.transaction() as session:
            rp_uuid = session.scalar(sa.select(m.Deployable.rp_uuid))
        (out,) = claims.bind(self.db, {arq: {"hostname": "h1", "device_rp_uuid": rp_uuid,
                                             "instance_uuid": str(uuid.uuid4())}},
                             self.programmer)
        self.assertEqual(out.state, states.BOUND)

    def test_success_ends_bound_records_the_function_and_tells_nova_completed(self):
        nova = Delivered(nova_events.Delivery(True, "HTTP 200"))
        binds = self._binds(nova)
        arq, _, row_id = self._bind(binds)
        self.assertEqual(binds.process(row_id), "notified")
        self.assertEqual(self._state(arq), (states.BOUND, True, 1, jobs.SUCCEEDED, None))
        self.assertEqual(nova.calls, [(self.instance, arq, "completed")])
        with self.db.transaction() as session:
            dep = session.scalar(sa.select(m.Deployable))
            self.assertEqual(dep.bitstream_id, self.programmer.bitstream)

    def test_failure_ends_bind_failed_with_the_handle_released_and_tells_nova_failed(self):
        self.outcome = jobs.Outcome(jobs.FAILED, "the FME refused it", code="unknown")
        nova = Delivered(nova_events.Delivery(True, "HTTP 200"))
        binds = self._binds(nova)
        arq, _, row_id = self._bind(binds)
        self.assertEqual(binds.process(row_id), "notified")
        self.assertEqual(self._state(arq), (states.BIND_FAILED, False, 0, jobs.FAILED, None))
        self.assertEqual(nova.calls, [(self.instance, arq, "failed")])

    def test_an_undelivered_event_is_tried_again_then_given_up(self):
        nova = Delivered(nova_events.Delivery(False, "HTTP 503"),
                         nova_events.Delivery(False, "HTTP 503"))
        binds = self._binds(nova)
        arq, _, row_id = self._bind(binds)
        self.assertEqual(binds.process(row_id), "retry")
        self.assertEqual(self._state(arq)[4], ("notify", binds.owner, "completed"))
        # Its lease is short now: the next tick (of any process) takes it again.
        with self.db.transaction() as session:
            record = session.scalar(sa.select(m.AsyncBind))
            self.assertEqual(record.attempts, 1)
            self.assertLess(record.lease_expires_at,
                            m.utcnow() + dt.timedelta(seconds=self.conf.claims.async_bind_lease))
            record.lease_expires_at = m.utcnow() - dt.timedelta(seconds=1)
        self.assertEqual(binds.take_over(), [row_id])
        self.assertEqual(binds.process(row_id), "given-up")
        self.assertEqual(self._state(arq)[0::4], (states.BOUND, None))
        self.assertEqual(len(nova.calls), 2)

    def test_without_nova_configured_the_record_ends_with_the_bind(self):
        binds = async_binds.AsyncBinds(self.conf, self.db, drive=self._drive)
        arq, _, row_id = self._bind(binds)
        self.assertEqual(binds.process(row_id), "no-nova")
        self.assertEqual(self._state(arq)[0::4], (states.BOUND, None))

    def test_another_process_takes_over_only_once_the_lease_passed(self):
        nova = Delivered(nova_events.Delivery(True, "HTTP 200"))
        first, second = self._binds(owner="a:1:x"), self._binds(nova, owner="b:2:y")
        arq, _, row_id = self._bind(first)
        self.assertEqual(second.take_over(), [])  # the lease holds
        with self.db.transaction() as session:  # the first process died: no renewal
            session.scalar(sa.select(m.AsyncBind)).lease_expires_at = (
                m.utcnow() - dt.timedelta(seconds=1))
        self.assertEqual(second.take_over(), [row_id])
        self.assertEqual(first.take_over(), [])  # taken once
        self.assertEqual(self._state(arq)[4], ("program", "b:2:y", None))
        # The first process, back from a long pause, finds it is not its any more.
        self.assertEqual(first.process(row_id), "not-mine")
        self.assertIsNone(first.finish(row_id, self.outcome, None))
        self.assertEqual(second.process(row_id), "notified")
        self.assertEqual(self._state(arq), (states.BOUND, True, 1, jobs.SUCCEEDED, None))

    def test_renewal_extends_only_the_leases_of_binds_being_worked_on(self):
        binds = self._binds()
        _, _, row_id = self._bind(binds)
        self.assertEqual(binds.renew(), 0)
        binds._active.add(row_id)
        self.assertEqual(binds.renew(), 1)
        other = self._binds(owner="b:2:y")
        other._active.add(row_id)
        self.assertEqual(other.renew(), 0)  # not its row

    def test_giving_back_ends_the_leases_so_another_process_takes_them_at_once(self):
        first, second = self._binds(owner="a:1:x"), self._binds(owner="b:2:y")
        _, _, row_id = self._bind(first)
        first.stop()
        self.assertTrue(first.stopping.is_set())
        self.assertEqual(second.take_over(), [row_id])

    def test_an_unbind_meanwhile_wins_and_the_record_goes(self):
        binds = self._binds(Delivered())
        arq, _, row_id = self._bind(binds)
        claims.unbind(self.db, [arq])
        self.assertEqual(binds.process(row_id), "ended-elsewhere")
        state = self._state(arq)
        self.assertEqual((state[0], state[2], state[3], state[4]),
                         (states.UNBOUND, 0, jobs.FAILED, None))

    def test_deleting_the_arq_removes_its_record(self):
        binds = self._binds(Delivered())
        arq, _, row_id = self._bind(binds)
        claims.delete_arqs(self.db, uuids=[arq])
        self.assertEqual(binds.process(row_id), "gone")
        with self.db.transaction() as session:
            self.assertEqual(session.scalar(sa.select(sa.func.count(m.AsyncBind.id))), 0)


def _response(status, body=None):
    resp = mock.Mock(status_code=status, text="")
    resp.json.return_value = body or {}
    return resp


class NovaNotifierTest(base.TestCase):
    def test_the_event_nova_waits_for(self):
        adapter = mock.Mock()
        adapter.post.return_value = _response(200, {"events": [{"code": 200}]})
        delivery = nova_events.NovaNotifier(adapter).bound("srv", "arq", "completed")
        self.assertTrue(delivery.done)
        adapter.post.assert_called_once_with(
            "/os-server-external-events",
            json={"events": [{"name": "accelerator-request-bound", "server_uuid": "srv",
                              "tag": "arq", "status": "completed"}]},
            microversion="2.82", raise_exc=False, headers={"Accept": "application/json"})

    def test_answers(self):
        cases = [(_response(207, {"events": [{"code": 404}]}), True),
                 (_response(207, {"events": [{"code": 200}, {"code": 404}]}), True),
                 (_response(404), True), (_response(400), True), (_response(403), True),
                 (_response(500), False), (_response(503), False), (_response(401), False)]
        for resp, done in cases:
            with self.subTest(status=resp.status_code):
                adapter = mock.Mock()
                adapter.post.return_value = resp
                self.assertEqual(
                    nova_events.NovaNotifier(adapter).bound("s", "a", "failed").done, done)

    def test_unreachable_nova_is_tried_again(self):
        adapter = mock.Mock()
        adapter.post.side_effect = ks_exc.ConnectFailure("refused")
        delivery = nova_events.NovaNotifier(adapter).bound("s", "a", "failed")
        self.assertFalse(delivery.done)
        self.assertIn("unreachable", delivery.detail)

    def test_from_conf(self):
        self.assertIsNone(nova_events.NovaNotifier.from_conf(load_conf([])))
        path = self.tmp_dir() / "accel-api.conf"
        path.write_text("[nova]\nauth_type = password\nauth_url = http://ks/v3\n"
                        "username = accel-api\npassword = secret\nproject_name = service\n"
                        "user_domain_name = Default\nproject_domain_name = Default\n"
                        "region_name = R1\nvalid_interfaces = internal\n"
                        "endpoint_override = http://nova:8774/v2.1\n")
        conf = load_conf(["--config-file", str(path)])
        adapter = nova_events.NovaNotifier.from_conf(conf).adapter
        self.assertEqual((adapter.service_type, adapter.default_microversion,
                          adapter.endpoint_override, adapter.region_name, adapter.interface),
                         ("compute", "2.82", "http://nova:8774/v2.1", "R1", ["internal"]))
        self.assertEqual(adapter.auth.auth_url, "http://ks/v3")


class GracefulExitTest(base.TestCase):
    def test_the_gateway_gives_binds_back_before_its_request_threads_end(self):
        from accel_api.cmd import gateway

        calls = []
        gw = gateway.Gateway(lambda environ, start: [], lambda m, p: 1024, threads=2,
                             body_timeout=1, body_min_rate=1,
                             on_stop=lambda: calls.append(len([t for t in gw.threads
                                                               if t.is_alive()])))
        gw.__rsgi_del__(None)
        self.assertEqual(calls, [2])  # called while the request threads still ran
        self.assertFalse(any(t.is_alive() for t in gw.threads))

    def test_binds_run_on_daemon_threads_that_stop_with_the_process(self):
        db = sqlite_database(self.tmp_dir())
        self.addCleanup(db.dispose)
        binds = async_binds.AsyncBinds(_conf(async_bind_workers=2), db)
        binds.start()
        self.assertEqual(len(binds._threads), 3)
        self.assertTrue(all(t.daemon for t in binds._threads))
        binds.stop()
        for thread in binds._threads[:2]:
            thread.join(10)
            self.assertFalse(thread.is_alive())
        binds.start()  # stopped for good
        self.assertTrue(binds.stopping.is_set())
