"""accel-demo stops at a step whose result is not what it shows (exit 1, the step named)."""

import io
from unittest import mock

from accel_demo import main as demo
from tests.unit import base


class TestDemoChecks(base.TestCase):
    def _main(self, steps):
        out, err = io.StringIO(), io.StringIO()
        with mock.patch.object(demo, "STEPS", steps), mock.patch("sys.stdout", out), \
                mock.patch("sys.stderr", err):
            code = demo.main(["--host", "host-a"])
        return code, out.getvalue(), err.getvalue()

    def test_a_failed_check_stops_the_demo_with_the_step_named(self):
        ran = []
        steps = [("Good", lambda ctx: ran.append(ctx.check(True, "fine"))),
                 ("Bad", lambda ctx: ctx.check([], "expected a device, found none")),
                 ("Never", lambda ctx: ran.append("never"))]
        code, out, err = self._main(steps)
        self.assertEqual(code, 1)
        self.assertEqual(ran, [True])
        self.assertIn("== step 2: Bad", out)
        self.assertEqual(err.strip(), "accel-demo: step 2 (Bad) did not show what it should: "
                                      "expected a device, found none")

    def test_an_error_is_reported_with_its_step(self):
        def broken(ctx):
            raise RuntimeError("accel-api exited early")

        code, _, err = self._main([("Start", broken)])
        self.assertEqual(code, 1)
        self.assertEqual(err.strip(), "accel-demo: error in step 1 (Start): accel-api exited early")

    def test_the_real_first_steps_check_their_results(self):
        code, out, err = self._main(demo.STEPS[:3])
        self.assertEqual(code, 0, err)
        self.assertIn("built fixture host-a: ", out)
        self.assertIn("host-a: node traits", out)
