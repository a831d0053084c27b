"""JSON-RPC to accel-agent through ironic-lib's client (as Ironic standalone, no broker).

ironic-lib's client reads the process-global ``cfg.CONF [json_rpc]`` group, so
``configure`` copies accel-api's ``[agent_rpc]`` settings there once; the agent side
serves ironic-lib's ``json_rpc.server`` with the matching ``[json_rpc]`` options
(``auth_strategy = http_basic`` and an htpasswd file; ``use_ssl`` for TLS).
"""

import logging
import threading

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

LOG = logging.getLogger(__name__)
TOPIC = "accel-agent"
_LOCK = threading.Lock()
_CONFIGURED = {}


class AgentUnreachable(Exception):
    """The agent did not answer (down, restarting, network)."""


class AgentError(Exception):
    """The agent answered with an error."""


class _Context:
    """The request context ironic-lib's client sends along (no secrets in it)."""

    def __init__(self, request_id=None):
        self.request_id = request_id

    def to_dict(self):
        return {"request_id": self.request_id}


class _Serializer:
    def serialize_entity(self, context, entity):
        return entity

    def deserialize_entity(self, context, entity):
        return entity


def configure(conf):
    """Point ironic-lib's global ``[json_rpc]`` client options at ``[agent_rpc]``."""
    from ironic_lib import json_rpc
    from ironic_lib.json_rpc import client

    opts = conf.agent_rpc
    key = (opts.auth_strategy, opts.username, opts.password, opts.use_ssl, opts.cafile,
           opts.timeout)
    with _LOCK:
        if _CONFIGURED.get("key") == key:
            return
        gconf = cfg.CONF
        if "json_rpc" not in gconf or "auth_strategy" not in gconf.json_rpc:
            json_rpc.register_opts(gconf)
        if "auth_strategy" not in gconf:
            gconf.register_opt(cfg.StrOpt("auth_strategy", default="noauth"))
        gconf.set_override("auth_strategy", opts.auth_strategy, "json_rpc")
        gconf.set_override("use_ssl", opts.use_ssl, "json_rpc")
        plugin = "http_basic" if opts.auth_strategy == "http_basic" else "none"
        gconf.set_override("auth_type", plugin, "json_rpc")
        if plugin == "http_basic":
            gconf.register_opts(ks_loading.get_auth_plugin_conf_options("http_basic"),
                                group="json_rpc")
            gconf.set_override("username", opts.username, "json_rpc")
            gconf.set_override("password", opts.password, "json_rpc")
        if opts.cafile:
            gconf.set_override("cafile", opts.cafile, "json_rpc")
        gconf.set_override("timeout", opts.timeout, "json_rpc")
        client._SESSION = None  # rebuilt from the options above on the next call
        _CONFIGURED["key"] = key


class AgentClient:
    """Calls one host's agent at ``rpc_host:rpc_port``."""

    def __init__(self, rpc_host, rpc_port):
        from ironic_lib.json_rpc import client

        self._client = client.Client(_Serializer())
        # The agent's own errors (ipa_fpga.agent.errors) come back with their message.
        self._client.allowed_exception_namespaces = [
            *client.Client.allowed_exception_namespaces, "ipa_fpga.agent.errors."]
        host = f"[{rpc_host}]" if ":" in rpc_host else rpc_host
        self._target = self._client.prepare(f"{TOPIC}.{host}:{int(rpc_port)}")

    def _call(self, method, **kwargs):
        import requests
        from ironic_lib import exception as il_exc
        from keystoneauth1 import exceptions as ks_exc

        try:
            return self._target.call(_Context(), method, **kwargs)
        except (ks_exc.ConnectFailure, ks_exc.ConnectionError, ks_exc.RequestTimeout,
                ks_exc.DiscoveryFailure, requests.ConnectionError) as exc:
            raise AgentUnreachable(f"{type(exc).__name__}: {exc}") from None
        except ks_exc.HttpError as exc:
            raise AgentError(f"HTTP {exc.http_status}: {exc.message}") from None
        except il_exc.IronicException as exc:
            raise AgentError(str(exc)) from None
        except ValueError as exc:  # a non-JSON answer (not an agent at that address)
            raise AgentError(f"malformed answer: {exc}") from None

    def start_job(self, job):
        """Start (or look up, when ``job['job_id']`` is known) a programming job."""
        return self._call("start_job", job=job)

    def get_job(self, job_id):
        return self._call("get_job", job_id=job_id)

    def ping(self):
        return self._call("ping")

    def create_partition(self, partition):
        """Make a GPU partition (``{form, parent, type, instance}``); what was made."""
        return self._call("create_partition", partition=partition)

    def remove_partition(self, partition):
        return self._call("remove_partition", partition=partition)
