"""start_update / poll_update / finish_update against the in-process emulator.

These stages run inside Ironic's conductor: between two looks the state lives in the
node's JSON ``driver_internal_info``, so every test round-trips it through JSON, and no
look may sleep. Time-outs are checked with a clock moved forward, not by waiting.
"""

import json
import time

from ironic_fpga.redfish import client, errors, update
from tests.redfish_helpers import ImageServer, firmware_version, start_profile_emulators
from tests.unit import base

#: profiles whose quirks the poller must survive, each on its own emulated server
QUIRKS = ["standard", "task-starts-new", "monitor-purged", "monitor-204", "retry-after-int"]


def _through_json(state):
    return json.loads(json.dumps(state))


def _drive(root, state, limit=200, **kwargs):
    """Poll as the conductor does: JSON between looks, each look timed; the last Progress
    (or the error), and the looks' durations."""
    durations = []
    for _ in range(limit):
        state = _through_json(state)
        t0 = time.monotonic()
        progress = update.poll_update(root._conn, state, **kwargs)
        durations.append(time.monotonic() - t0)
        if progress.done:
            return progress, state, durations
        if not progress.delay > 0:
            raise AssertionError(f"a look that is not done must give a delay: {progress}")
        time.sleep(min(progress.delay, 0.1))
    raise AssertionError(f"no outcome after {limit} looks: {state}")


def _wait_idle(service, sid, timeout=10):
    """Let an abandoned emulated update end before the next test uses the server."""
    server = service.httpd.service.emu.server(sid)
    deadline = time.monotonic() + timeout
    while server.updating and time.monotonic() < deadline:
        time.sleep(0.05)


class TestUpdateStages(base.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.images = ImageServer(cls.class_tmp_dir("accel-images-"))
        cls.addClassCleanup(cls.images.stop)
        # unit tests: short updates
        cls.service = start_profile_emulators(update_seconds=0.3, max_new_seconds=0.5)
        cls.addClassCleanup(cls.service.stop)
        cls.root = client.connect(cls.service.url, "admin", "password")

    def test_each_look_returns_at_once_and_the_update_is_verified(self):
        for profile in QUIRKS:
            with self.subTest(profile=profile):
                sid = self.service.by_profile[profile]
                version = f"D.2.1.{60 + QUIRKS.index(profile)}"
                url, _ = self.images.add(f"stages-{profile}.bin", "max10_bmc_nios", version)
                state = update.start_update(self.root, sid, "fpga0", url)
                self.assertEqual(state["phase"], "task")
                self.assertEqual(state["before"], "D.2.1.24")
                self.assertTrue(state["target"].endswith(f"{sid}-fpga0-max10_bmc_nios"))
                self.assertNotIn("password", json.dumps(state))
                progress, state, durations = _drive(self.root, state, timeout=30,
                                                    unreachable_timeout=10)
                self.assertEqual(progress.result["before"], "D.2.1.24")
                self.assertEqual(progress.result["after"], version)
                self.assertEqual(state["phase"], "verify")
                self.assertEqual(
                    firmware_version(self.root, f"{sid}-fpga0-max10_bmc_nios"), version)
                self.assertGreaterEqual(len(durations), 2)  # it was seen running at least once
                self.assertLess(
                    max(durations), 1.0, durations)

    def test_task_exception_is_reported_with_the_bmcs_words(self):
        sid = self.service.by_profile["fail-halfway"]
        url, _ = self.images.add("stages-fail.bin", "max10_bmc_nios", "D.2.1.70")
        state = update.start_update(self.root, sid, "fpga1", url)
        with self.assertRaisesRegex(errors.TaskFailed, "ended in Exception: flash write failed"):
            _drive(self.root, state, timeout=30, unreachable_timeout=10)
        self.assertNotEqual(firmware_version(self.root, f"{sid}-fpga1-max10_bmc_nios"), "D.2.1.70")

    def test_task_timeout_counts_from_the_start(self):
        sid = self.service.by_profile["standard"]
        url, _ = self.images.add("stages-late.bin", "max10_bmc_nios", "D.2.1.71")
        state = _through_json(update.start_update(self.root, sid, "fpga1", url))
        started = state["started_at"]
        with self.assertRaisesRegex(errors.TaskTimeout, "did not finish within 60 s"):
            update.poll_update(self.root._conn, state, timeout=60, unreachable_timeout=10,
                               clock=lambda: started + 61)
        _wait_idle(self.service, sid)

    def test_vanished_bmc_fails_once_silent_for_unreachable_timeout(self):
        sid = self.service.by_profile["standard"]
        server = self.service.httpd.service.emu.server(sid)
        url, _ = self.images.add("stages-gone.bin", "max10_bmc_nios", "D.2.1.72")
        server.faults.add({"kind": "unreachable-during-update", "at_percent": 30, "seconds": 60})
        try:
            state = update.start_update(self.root, sid, "fpga0", url)
            # Look until the BMC is away; that look must not fail (it may come back).
            for _ in range(100):
                state = _through_json(state)
                answered = state["poll"]["answered_at"]
                progress = update.poll_update(self.root._conn, state, timeout=60,
                                              unreachable_timeout=5)
                self.assertFalse(progress.done)
                if state["poll"]["answered_at"] == answered and not server.reachable():
                    break
                time.sleep(0.05)
            else:
                raise AssertionError("the BMC never went away")
            last_answer = state["poll"]["answered_at"]
            # Still within the grace period: a tick later, no error.
            update.poll_update(self.root._conn, state, timeout=60, unreachable_timeout=5,
                               clock=lambda: last_answer + 4)
            with self.assertRaisesRegex(errors.BMCUnreachable, "did not come back within 5 s"):
                update.poll_update(self.root._conn, _through_json(state), timeout=60,
                                   unreachable_timeout=5, clock=lambda: last_answer + 6)
        finally:
            server.faults.clear()
        _wait_idle(self.service, sid)

    def test_read_back_waits_out_a_rebooting_bmc_across_looks(self):
        sid = self.service.by_profile["standard"]
        server = self.service.httpd.service.emu.server(sid)
        url, _ = self.images.add("stages-reboot.bin", "max10_bmc_build", "D.2.0.9")
        state = update.start_update(self.root, sid, "fpga0", url, component="max10_bmc_build")
        progress, state, _ = _drive(self.root, state, timeout=30, unreachable_timeout=10)
        self.assertEqual(progress.result["after"], "D.2.0.9")
        # The same verify stage again, with the BMC rebooting: no error, no sleep, a delay.
        server.faults.make_unreachable(1.0)
        state = _through_json(state)
        t0 = time.monotonic()
        waiting = update.finish_update(self.root._conn, state, unreachable_timeout=10)
        self.assertLess(time.monotonic() - t0, 1.0)
        self.assertFalse(waiting.done)
        self.assertGreater(waiting.delay, 0)
        with self.assertRaisesRegex(errors.BMCUnreachable, "cannot be read back"):
            update.finish_update(self.root._conn, _through_json(state), unreachable_timeout=10,
                                 clock=lambda: state["readback_seen"]["at"] + 11)
        time.sleep(1.1)
        done = update.finish_update(self.root._conn, _through_json(state), unreachable_timeout=10)
        self.assertEqual(done.result["after"], "D.2.0.9")

    def test_wrong_version_after_the_task_fails_verification(self):
        sid = self.service.by_profile["monitor-204"]
        url, _ = self.images.add("stages-expect.bin", "max10_bmc_nios", "D.2.1.73")
        state = update.start_update(self.root, sid, "fpga1", url, expected_version="D.2.1.99")
        with self.assertRaisesRegex(
                errors.VerificationFailed,
                "reports version D.2.1.73 after the update, expected D.2.1.99"):
            _drive(self.root, state, timeout=30, unreachable_timeout=10)

    def test_checks_fail_before_anything_starts(self):
        sid = self.service.by_profile["standard"]
        tasks = self.service.httpd.service.tasks.tasks
        before = len(tasks)
        url, _ = self.images.add("stages-sum.bin", "max10_bmc_nios", "D.2.1.74")
        with self.assertRaisesRegex(errors.ImageChecksumMismatch, "nothing was sent"):
            update.start_update(self.root, sid, "fpga0", url, checksum="sha256:" + "0" * 64)
        with self.assertRaisesRegex(errors.UnsupportedImage, "file:// images are disabled"):
            update.start_update(self.root, sid, "fpga0", "file:///etc/hostname")
        with self.assertRaisesRegex(errors.DeviceNotFound, "no accelerator 'gpu7'"):
            update.start_update(self.root, sid, "gpu7", url)
        self.assertEqual(len(tasks), before)
