"""keystoneauth sections of accel-api (``[placement]``, ``[nova]``): the same session,
auth and adapter options as other OpenStack services have, and the adapter they load."""

from keystoneauth1 import loading as ks_loading


def list_opts():
    """The section's options for the sample config (each once, password auth shown)."""
    opts = (ks_loading.get_session_conf_options()
            + ks_loading.get_auth_common_conf_options()
            + ks_loading.get_auth_plugin_conf_options("password")
            + ks_loading.get_adapter_conf_options(include_deprecated=False))
    seen = {}
    for opt in opts:
        seen.setdefault(opt.dest, opt)
    return list(seen.values())


def register_opts(conf, group):
    ks_loading.register_session_conf_options(conf, group)
    ks_loading.register_auth_conf_options(conf, group)
    ks_loading.register_adapter_conf_options(conf, group, include_deprecated=False)


def load_adapter(conf, group, service_type, microversion):
    """A keystoneauth Adapter from ``[group]``: its auth, session and endpoint options."""
    auth = ks_loading.load_auth_from_conf_options(conf, group)
    session = ks_loading.load_session_from_conf_options(conf, group, auth=auth)
    return ks_loading.load_adapter_from_conf_options(
        conf, group, session=session, auth=auth, service_type=service_type,
        default_microversion=microversion)
