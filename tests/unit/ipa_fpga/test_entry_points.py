"""The plugins are found through the entry points Ironic and IPA load them by."""

import stevedore


def test_entry_points_resolve():
    for namespace, name, target in (
        ("ironic_python_agent.hardware_managers", "accelerators", "AcceleratorHardwareManager"),
        ("ironic_python_agent.inspector.collectors", "accelerators", "collect_accelerators"),
        ("ironic.inspection.hooks", "accelerators_ext", "AcceleratorsExtHook"),
        ("oslo.config.opts", "ironic_fpga", "list_opts"),
        ("oslo.config.opts", "ipa_fpga", "list_opts"),
    ):
        mgr = stevedore.NamedExtensionManager(namespace, names=[name], invoke_on_load=False)
        assert [e.name for e in mgr] == [name], (namespace, name)
        assert mgr[name].plugin.__name__ == target


def test_collector_reports_failures_instead_of_raising(tmp_path):
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
    assert data == {}
    assert len(messages) == 1 and "does not exist" in messages[0]
