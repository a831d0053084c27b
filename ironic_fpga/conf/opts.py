"""``list_opts`` for oslo-config-generator (entry point ``oslo.config.opts``: ironic_fpga).

Each feature module adds one line to ``_MODULES``.
"""

from ironic_fpga.conf import redfish

_MODULES = [
    redfish,
]


def list_opts():
    """[(group, [options])] for every ironic_fpga option."""
    out = {}
    for module in _MODULES:
        for group, options in module.list_opts().items():
            out.setdefault(group, []).extend(options)
    return sorted(out.items())
