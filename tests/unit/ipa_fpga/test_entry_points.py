"""The plugins are found through the entry points Ironic and IPA load them by."""

import subprocess
import sys

import stevedore

from tests.unit import base

ENTRY_POINTS = (
    ("ironic_python_agent.hardware_managers", "accelerators", "AcceleratorHardwareManager"),
    ("ironic_python_agent.inspector.collectors", "accelerators", "collect_accelerators"),
    ("ironic.inspection.hooks", "accelerators_ext", "AcceleratorsExtHook"),
    ("oslo.config.opts", "ironic_fpga", "list_opts"),
    ("oslo.config.opts", "ipa_fpga", "list_opts"),
)

_CHECK = """
import sys, stevedore
namespace, name, target = sys.argv[1:4]
errors = []
mgr = stevedore.NamedExtensionManager(
    namespace, names=[name], invoke_on_load=False,
    on_load_failure_callback=lambda m, ep, exc: errors.append(repr(exc)))
assert not errors, errors
assert [e.name for e in mgr] == [name], (namespace, name)
assert mgr[name].plugin.__name__ == target, mgr[name].plugin
"""


class TestEntryPoints(base.TestCase):
    def test_entry_points_resolve(self):
        for namespace, name, target in ENTRY_POINTS:
            proc = subprocess.run([sys.executable, "-c", _CHECK, namespace, name, target],
                                  capture_output=True, text=True, timeout=120)
            self.assertEqual(proc.returncode, 0, (namespace, name, proc.stderr[-2000:]))
        self.assertTrue(stevedore.ExtensionManager("ipa_fpga.drivers").names())

    def test_collector_reports_failures_instead_of_raising(self):
        tmp_path = self.tmp_dir()
        from ipa_fpga import conf, inspection_collector

        messages = []

        class Failures:
            def add(self, fmt, *args):
                messages.append(fmt % args)

        conf.cfg.CONF.set_override("sysfs_root", str(tmp_path / "missing"), group=conf.GROUP)
        try:
            data = {}
            inspection_collector.collect_accelerators(data, Failures())
        finally:
            conf.cfg.CONF.clear_override("sysfs_root", group=conf.GROUP)
        # A missing root is reported to IPA's failure list (inspection goes on), not raised.
        self.assertEqual(data, {})
        self.assertEqual(len(messages), 1)
        self.assertIn("does not exist", messages[0])
