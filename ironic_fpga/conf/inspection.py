"""Options of the accelerator inspection hook and of the push to accel_api."""

from oslo_config import cfg

GROUP = "accel_inspection"
API_GROUP = "accel_api"

inspection_opts = [
    cfg.StrOpt(
        "plugin_data_key",
        default="accelerators_inventory",
        help="Plugin data key where the ramdisk's 'accelerators' collector puts the "
        "inventory document.",
    ),
    cfg.StrOpt(
        "rules_file",
        help="YAML file of operator rules: match devices on vendor/device/type/driver/"
        "model/firmware and add traits or capabilities (see docs/ironic.rst).",
    ),
    cfg.BoolOpt(
        "require_inventory",
        default=False,
        help="Fail inspection when the ramdisk sent no accelerator inventory. By default "
        "a missing inventory is logged and the node is left unchanged.",
    ),
    cfg.IntOpt(
        "max_traits",
        default=50,
        min=0,
        max=50,
        help="Most accelerator traits the hook sets on one node (Ironic allows 50 traits "
        "per node in all; the operator's own traits count against that limit first).",
    ),
    cfg.BoolOpt(
        "set_capabilities",
        default=True,
        help="Set 'accel_<type>_count' capabilities (and rule capabilities) on the node.",
    ),
]

api_opts = [
    cfg.URIOpt(
        "url",
        schemes=["http", "https"],
        help="Base URL of accel_api (e.g. http://accel-api:6666). When set, inspection "
        "pushes each inventory with PUT /v2/hosts/{hostname}/inventory.",
    ),
    cfg.BoolOpt(
        "strict",
        default=False,
        help="Fail inspection when the inventory cannot be pushed to accel_api. By default "
        "a failed push is logged and inspection goes on.",
    ),
]


def register_opts(conf):
    conf.register_opts(inspection_opts, group=GROUP)
    conf.register_opts(api_opts, group=API_GROUP)
    # Authentication: keystoneauth session/auth options (auth_type = password,
    # http_basic, none...), as Ironic uses for its own service clients.
    from keystoneauth1 import loading as ks_loading

    ks_loading.register_session_conf_options(conf, API_GROUP)
    ks_loading.register_auth_conf_options(conf, API_GROUP)


def list_opts():
    from keystoneauth1 import loading as ks_loading

    auth = ks_loading.get_auth_common_conf_options()
    auth += ks_loading.get_auth_plugin_conf_options("password")
    auth += ks_loading.get_auth_plugin_conf_options("http_basic")
    seen, unique = set(), []
    for opt in auth:
        if opt.dest not in seen:
            seen.add(opt.dest)
            unique.append(opt)
    session = ks_loading.get_session_conf_options()  # includes ``timeout``
    return [(GROUP, inspection_opts), (API_GROUP, api_opts + session + unique)]
