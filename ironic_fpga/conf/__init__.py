"""oslo.config options of ironic_fpga; one module per feature, collected in ``opts``."""

from oslo_config import cfg

from ironic_fpga.conf import redfish

CONF = cfg.CONF

redfish.register_opts(CONF)
