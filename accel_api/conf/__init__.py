"""accel-api configuration: oslo.config options on accel-api's own ConfigOpts.

A private instance, not oslo's process-global ``cfg.CONF``: accel_api's ``[api]``
group (``host_ip``, ``port``...) has the same names as Ironic's, and code that imports
both (tests, tools, an all-in-one process) must not collide on the global object.
"""

from oslo_config import cfg

from accel_api.conf import opts

CONF = cfg.ConfigOpts()
opts.register_opts(CONF)
