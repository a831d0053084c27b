"""oslo.config options of ironic_fpga, one module per feature (registered on import).

``CONF`` is oslo.config's global object (Ironic's); importing this package registers
the out-of-band firmware options (``redfish``); the inspection hook registers its own
(``inspection``) when it is loaded.
"""

from oslo_config import cfg

from ironic_fpga.conf import redfish

CONF = cfg.CONF

redfish.register_opts(CONF)
