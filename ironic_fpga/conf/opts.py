"""``oslo-config-generator`` entry point (``oslo.config.opts`` name ``ironic_fpga``)."""

from ironic_fpga.conf import inspection


def list_opts():
    """All ironic_fpga options, grouped, for the sample config generator."""
    return list(inspection.list_opts())
