"""``accel-agent``: report inventory, serve programming jobs over JSON-RPC (ironic-lib).

Runs under oslo.service (eventlet, as ironic-lib's JSON-RPC server needs): one
service serves ``[json_rpc]`` (``auth_strategy = http_basic`` with an htpasswd file
in production; ``use_ssl`` with ``[ssl] cert_file``/``key_file`` for TLS), one timer
reports the inventory. ``accel-agent --config-file /etc/accel/agent.conf``; a
development run needs nothing but ``[agent] root`` pointing at a fixture tree.
"""

import eventlet

eventlet.monkey_patch()

import logging  # noqa: E402
import sys  # noqa: E402

from keystoneauth1 import loading as ks_loading  # noqa: E402
from oslo_config import cfg  # noqa: E402
from oslo_log import log  # noqa: E402
from oslo_service import service  # noqa: E402

from ipa_fpga.agent import conf as agent_conf  # noqa: E402
from ipa_fpga.agent import manager, report  # noqa: E402

LOG = logging.getLogger("accel_agent")


class _Serializer:
    def serialize_entity(self, context, entity):
        return entity

    def deserialize_entity(self, context, entity):
        return entity


class ReportService(service.Service):
    def __init__(self, reporter):
        super().__init__()
        self.reporter = reporter

    def start(self):
        super().start()
        self.tg.add_dynamic_timer(self.reporter.next_interval, initial_delay=0,
                                  periodic_interval_max=24 * 3600)


def api_session(conf):
    """A keystoneauth adapter for accel_api from ``[accel_api]`` (http_basic, keystone...)."""
    group = agent_conf.API_GROUP
    auth = None
    if conf[group].auth_type:
        auth = ks_loading.load_auth_from_conf_options(conf, group)
    session = ks_loading.load_session_from_conf_options(conf, group, auth=auth)
    return ks_loading.load_adapter_from_conf_options(conf, group, session=session, auth=auth)


def main(argv=None):
    from ironic_lib.json_rpc import server

    conf = cfg.CONF
    log.register_options(conf)
    agent_conf.register_opts(conf)
    conf(sys.argv[1:] if argv is None else argv, project="accel-agent")
    log.setup(conf, "accel-agent")
    from accel_contract import identity

    try:
        identity.check_hostname(conf.agent.hostname, "[agent] hostname")
        if conf.agent.nodename:
            identity.check_hostname(conf.agent.nodename, "[agent] nodename")
    except identity.InvalidHostname as exc:
        LOG.error("accel-agent cannot start: %s. Set [agent] hostname to nova-compute's "
                  "[DEFAULT] host on this machine.", exc)
        return 2
    try:
        report.parse_physical_networks(conf.agent.physical_networks)
    except ValueError as exc:
        LOG.error("accel-agent cannot start: %s", exc)
        return 2
    if agent_conf.rpc_auth_strategy(conf) == "http_basic":
        from ipa_fpga.agent import credential

        credential.ensure_file(agent_conf.rpc_auth_file(conf))
    session = api_session(conf)
    reporter = report.Reporter(conf, session)
    mgr = manager.AgentManager(conf, session, on_change=reporter.report_soon)
    rpc = server.WSGIService(mgr, _Serializer())
    LOG.info("accel-agent for %s: root %s, JSON-RPC on %s:%s (auth %s), accel_api %s",
             conf.agent.hostname, conf.agent.root, conf.json_rpc.host_ip, conf.json_rpc.port,
             conf.json_rpc.auth_strategy or conf.auth_strategy,
             conf[agent_conf.API_GROUP].endpoint_override)
    launcher = service.ServiceLauncher(conf)
    launcher.launch_service(rpc)
    launcher.launch_service(ReportService(reporter))
    launcher.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
