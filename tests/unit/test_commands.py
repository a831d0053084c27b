"""The console scripts' guard: setup.cfg's scripts all go through it, extras are read from
the installed metadata, and a missing extra is one line and exit 2."""

import configparser
import contextlib
import io
import pathlib
import sys
import types
from unittest import mock

from ironic_accel import commands
from tests.unit import base

TOP = pathlib.Path(__file__).resolve().parents[2]
REQUIRES = [
    "pbr>=6.0.0",
    "jsonschema>=4.18.0",
    'WebOb>=1.8.0; extra == "server"',
    "SQLAlchemy>=2.0.28 ; extra == 'server'",
    'psycopg[binary]>=3.1.18; extra == "postgresql"',
    'ironic-lib>=7.0.0; extra == "server"',
    'ironic-lib>=7.0.0; extra == "agent"',
    'eventlet>=0.33.0; python_version >= "3.9" and extra == "agent"',
]


def _setup_cfg():
    parser = configparser.ConfigParser()
    parser.read(TOP / "setup.cfg")
    return parser


class TestCommands(base.TestCase):
    def test_every_console_script_is_a_guarded_command(self):
        cfg = _setup_cfg()
        scripts = {}
        for line in cfg["entry_points"]["console_scripts"].strip().splitlines():
            name, target = (part.strip() for part in line.split("="))
            scripts[name] = target
        self.assertEqual(set(scripts), set(commands.COMMANDS))
        extras = set(cfg["extras"])
        for name, target in scripts.items():
            with self.subTest(name=name):
                self.assertEqual(target, f"ironic_accel.commands:{name.replace('-', '_')}")
                self.assertTrue(callable(getattr(commands, name.replace("-", "_"))))
                self.assertLessEqual(set(commands.COMMANDS[name].extras), extras)

    def test_extra_requirements_are_read_from_the_markers(self):
        self.assertEqual(commands.extra_requirements(("server",), REQUIRES),
                         ["WebOb", "SQLAlchemy", "ironic-lib"])
        self.assertEqual(commands.extra_requirements(("agent",), REQUIRES),
                         ["ironic-lib", "eventlet"])
        self.assertEqual(commands.extra_requirements(("server", "agent"), REQUIRES),
                         ["WebOb", "SQLAlchemy", "ironic-lib", "eventlet"])
        self.assertEqual(commands.extra_requirements((), REQUIRES), [])

    def test_missing_distributions(self):
        requires = ['pbr>=6.0; extra == "x"', 'no-such-distribution-here>=1; extra == "x"']
        self.assertEqual(commands.missing_distributions(("x",), requires),
                         ["no-such-distribution-here"])

    def _run(self, name, missing=(), module=None, import_module=None):
        err, out = io.StringIO(), io.StringIO()
        with contextlib.ExitStack() as stack:
            stack.enter_context(mock.patch.object(commands, "missing_distributions",
                                                  return_value=list(missing)))
            if module is not None:
                stack.enter_context(mock.patch.dict(sys.modules, {module.__name__: module}))
            stack.enter_context(mock.patch.object(sys, "stderr", err))
            stack.enter_context(mock.patch.object(sys, "stdout", out))
            if import_module is not None:
                stack.enter_context(mock.patch.object(commands.importlib, "import_module",
                                                      import_module))
            code = commands.run(name)
        return code, out.getvalue(), err.getvalue()

    def test_a_missing_extra_is_one_line_naming_it(self):
        code, out, err = self._run("accel-api", missing=["WebOb", "SQLAlchemy"])
        self.assertEqual(code, 2)
        self.assertEqual(out, "")
        self.assertEqual(len(err.strip().splitlines()), 1)
        self.assertTrue(err.startswith(
            "accel-api: needs ironic-accel[server] (not installed: WebOb, SQLAlchemy); "))
        self.assertIn("pip install './ironic-accel[server]'", err)

    def test_an_import_of_a_missing_dependency_is_one_line_too(self):
        def import_module(name):
            raise ModuleNotFoundError("No module named 'webob'", name="webob")

        code, _, err = self._run("accel-api", import_module=import_module)
        self.assertEqual(code, 2)
        self.assertIn("(no module named 'webob')", err)
        self.assertEqual(len(err.strip().splitlines()), 1)

    def test_a_missing_module_of_our_own_is_a_bug_not_an_extra(self):
        def import_module(name):
            raise ModuleNotFoundError("No module named 'accel_api.gone'", name="accel_api.gone")

        self.assertRaises(ModuleNotFoundError, self._run, "accel-api",
                          import_module=import_module)

    def test_the_command_runs_when_its_extras_are_there(self):
        module = types.ModuleType("fake_accel_command")
        module.main = lambda: 7
        command = commands.Command("accel-fake", "fake_accel_command:main", ("server",))
        with mock.patch.dict(commands.COMMANDS, {"accel-fake": command}):
            code, _, err = self._run("accel-fake", module=module)
        self.assertEqual(code, 7)
        self.assertEqual(err, "")
