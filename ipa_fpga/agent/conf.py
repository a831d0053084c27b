"""accel-agent options: ``[agent]``, ``[accel_api]`` (keystoneauth), and ironic-lib's
``[json_rpc]`` server options (listen address, ``auth_strategy``, htpasswd, ``use_ssl``
with oslo.service's ``[ssl]`` certificate options)."""

import os
import socket

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

CONF = cfg.CONF
API_GROUP = "accel_api"


def default_state_dir():
    base = os.environ.get("XDG_STATE_HOME") or os.path.join("~", ".local", "state")
    return os.path.join(base, "accel-agent")


agent_opts = [
    cfg.StrOpt("root", default="/",
               help="Root of the sysfs/procfs/dev tree to read and write (tests and demos "
                    "point it at a fixture tree)."),
    cfg.StrOpt("hostname", default=socket.gethostname(), sample_default="<hostname>",
               help="Host name reported to accel_api: the name Nova binds accelerator "
                    "requests with, i.e. nova-compute's [DEFAULT] host (both default to "
                    "socket.gethostname()). Loopback names (localhost...) are refused."),
    cfg.BoolOpt("nova_compute", default=True,
                help="Nova manages this host (nova-compute runs here): accel-api reports "
                     "its accelerators under the compute node's resource provider, once "
                     "nova-compute has created it. False: a standalone host (no Nova); "
                     "accel-api gives it a root provider of its own."),
    cfg.StrOpt("nodename",
               help="The hypervisor nodename nova-compute names the compute node's resource "
                    "provider after (openstack hypervisor list), when it differs from "
                    "hostname: the fake driver uses [DEFAULT] host, libvirt the name "
                    "libvirt reports (often the fully qualified name). Default: hostname."),
    cfg.StrOpt("state_dir", default=default_state_dir(),
               sample_default="~/.local/state/accel-agent",
               help="Where job records (idempotency by job id) and downloads live."),
    cfg.IntOpt("report_interval", default=300, min=0,
               help="Seconds between two inventory reports (0: only at start and after "
                    "each job)."),
    cfg.StrOpt("advertise_host", default="127.0.0.1",
               help="Address accel_api uses to reach this agent's JSON-RPC."),
    cfg.IntOpt("max_bitstream_size", default=2 * 1024 * 1024 * 1024, min=1,
               help="Largest bitstream the agent downloads, in bytes."),
    cfg.IntOpt("download_timeout", default=120, min=1,
               help="Seconds without data before a bitstream download fails."),
    cfg.ListOpt("physical_networks", default=[],
                sample_default="0000:3b:00.0=physnet1,15b3:101e=physnet2",
                help="Neutron physical networks of network functions (SmartNIC/DPU PFs "
                     "and VFs), as <match>=<physnet> entries. <match> is a PCI address "
                     "(the attach handle's function, or the device's first function: all "
                     "its handles) or <vendor>:<device> ids of the device (hex, without "
                     "0x). The first entry that matches wins; a PCI handle that matches "
                     "gets physical_network in the inventory (Nova reads it for ports "
                     "with a device profile; Placement gets CUSTOM_PHYSNET_<NAME>)."),
]


def register_opts(conf=CONF):
    from ironic_lib import json_rpc

    conf.register_opts(agent_opts, group="agent")
    if "auth_strategy" not in conf:
        conf.register_opt(cfg.StrOpt(
            "auth_strategy", default="noauth",
            help="Default for [json_rpc] auth_strategy (ironic-lib reads it)."))
    if "json_rpc" not in conf or "host_ip" not in conf.json_rpc:
        json_rpc.register_opts(conf)
    conf.set_default("host_ip", "127.0.0.1", "json_rpc")
    ks_loading.register_session_conf_options(conf, API_GROUP)
    ks_loading.register_auth_conf_options(conf, API_GROUP)
    ks_loading.register_adapter_conf_options(conf, API_GROUP, include_deprecated=False)
    conf.set_default("endpoint_override", "http://127.0.0.1:6666", API_GROUP)


#: ironic-lib's default htpasswd path (an Ironic conductor's), not the agent's.
IRONIC_RPC_AUTH_FILE = "/etc/ironic/htpasswd-json-rpc"


def rpc_auth_file(conf):
    """Where the agent keeps the bcrypt hash of accel-api's credential for this host:
    ``[json_rpc] http_basic_auth_user_file`` when set, else ``<state_dir>/json-rpc-htpasswd``
    (set as an override, so that ironic-lib's server reads the same file)."""
    path = conf.json_rpc.http_basic_auth_user_file
    if not path or path == IRONIC_RPC_AUTH_FILE:
        path = os.path.join(os.path.expanduser(conf.agent.state_dir), "json-rpc-htpasswd")
        conf.set_override("http_basic_auth_user_file", path, "json_rpc")
    return path


def rpc_auth_strategy(conf):
    return conf.json_rpc.auth_strategy or conf.auth_strategy


def list_opts():
    """``oslo.config.opts`` entry point ``accel_agent``."""
    ks = (ks_loading.get_session_conf_options() + ks_loading.get_auth_common_conf_options()
          + ks_loading.get_auth_plugin_conf_options("http_basic")
          + ks_loading.get_adapter_conf_options(include_deprecated=False))
    seen = {}
    for opt in ks:
        seen.setdefault(opt.dest, opt)
    return [("agent", agent_opts), (API_GROUP, list(seen.values()))]
