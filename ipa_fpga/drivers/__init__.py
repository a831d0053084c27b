"""Vendor drivers (stevedore namespace ``ipa_fpga.drivers``): read one device's vendor state."""

import functools

from stevedore import ExtensionManager

NAMESPACE = "ipa_fpga.drivers"


@functools.cache
def manager():
    """All installed drivers, loaded once per process (a failing plugin is skipped, logged)."""
    return ExtensionManager(NAMESPACE, invoke_on_load=True, on_load_failure_callback=None)


def get(name):
    """The driver instance registered as ``name``, or None."""
    mgr = manager()
    return mgr[name].obj if name in mgr.names() else None
