"""accel-api configuration: oslo.config options, registered once on import."""

from oslo_config import cfg

from accel_api.conf import opts

CONF = cfg.CONF
opts.register_opts(CONF)
