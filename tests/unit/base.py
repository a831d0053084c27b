"""The base class of every unit test (OpenStack's convention: run by ``stestr run``).

Unit tests are ``unittest``/``testtools`` test cases on oslotest's ``BaseTestCase`` (an
isolated ``$HOME`` and temporary directory per test, mock.patch.stopall, optional time-out
and output capture through ``OS_TEST_TIMEOUT`` / ``OS_STDOUT_CAPTURE`` /
``OS_STDERR_CAPTURE`` / ``OS_LOG_CAPTURE``). No pytest fixtures, parametrize or conftest:
use ``self.subTest`` for cases, the helpers below for temporary directories and
environment variables, ``self.patch`` (testtools) or ``unittest.mock`` for attributes, and
``setUpClass`` with ``addClassCleanup`` for what a whole class shares.
"""

import contextlib
import pathlib
import shutil
import tempfile

import fixtures
from oslotest import base

#: the system's temporary directory (each test gets its own ``tempfile.tempdir`` below it,
#: mode 0700: use this one for what another user must reach)
SYSTEM_TMPDIR = tempfile.gettempdir()


class TestCase(base.BaseTestCase):
    """A unit test. ``subTest`` names the failing case in the report."""

    def tmp_dir(self):
        """A new empty directory (``pathlib.Path``) removed after the test."""
        return pathlib.Path(self.useFixture(fixtures.TempDir()).path)

    @classmethod
    def class_tmp_dir(cls, prefix="accel-test-"):
        """A directory shared by the tests of the class, removed after the last one."""
        path = tempfile.mkdtemp(prefix=prefix)
        cls.addClassCleanup(shutil.rmtree, path, ignore_errors=True)
        return pathlib.Path(path)

    def set_env(self, name, value):
        """Set an environment variable for the rest of the test (None removes it)."""
        self.useFixture(fixtures.EnvironmentVariable(name, value))

    def capture_logs(self, level="DEBUG", name=None):
        """Capture log records of ``name`` (the root logger by default); ``.output`` holds
        the formatted text."""
        return self.useFixture(fixtures.FakeLogger(level=level, name=name))

    @contextlib.contextmanager
    def subTest(self, msg=None, **params):
        """One case of a table-driven test. testtools runs the body as a plain block (the
        first failing case ends the test); the failure says which case it was."""
        try:
            yield
        except self.skipException:
            raise
        except Exception as exc:
            label = " ".join(
                ([repr(msg)] if msg is not None else [])
                + [f"{key}={value!r}" for key, value in params.items()])
            exc.add_note(f"in case: {label}"[:2000])
            raise
