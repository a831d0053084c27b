"""JSON-RPC 2.0 to one host's accel-agent (ironic-lib's ``json_rpc.server`` serves it).

The request is what ironic-lib's server expects (``{"jsonrpc": "2.0", "method", "params":
{..., "context": {...}}, "id"}``), over a keystoneauth session (``[agent_rpc] use_ssl``,
``cafile``, ``timeout``). Each host is called with its own credential
(``credentials.rpc_password``, user ``[agent_rpc] username``), so the client is made
per host rather than from ironic-lib's process-wide client options; and only after the
endpoint's addresses passed ``endpoints.check_resolved``.
"""

import logging
import uuid

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session

from accel_api.agents import credentials, endpoints

LOG = logging.getLogger(__name__)


class AgentUnreachable(Exception):
    """The agent did not answer (down, restarting, network)."""


class AgentError(Exception):
    """The agent answered with an error, or refused the call."""


def _session(opts):
    verify = (opts.cafile or True) if opts.use_ssl else True
    return ks_session.Session(verify=verify, timeout=opts.timeout)


class AgentClient:
    """Calls host ``hostname``'s agent at ``rpc_host:rpc_port``."""

    def __init__(self, conf, hostname, rpc_host, rpc_port):
        opts = conf.agent_rpc
        self.hostname = hostname
        self._opts = opts
        self._rpc_host, self._port = rpc_host, int(rpc_port)
        shown = f"[{rpc_host}]" if ":" in rpc_host else rpc_host
        self.url = f"{'https' if opts.use_ssl else 'http'}://{shown}:{self._port}"
        self._auth = None
        if opts.auth_strategy == "http_basic":
            self._auth = (opts.username,
                          credentials.rpc_password(opts.credential_secret, hostname))
        self._session = _session(opts)

    def _call(self, method, **params):
        try:
            endpoints.check_resolved(self._rpc_host, self._port, self._opts.allow_loopback)
        except endpoints.RefusedEndpoint as exc:
            raise AgentError(f"refused to call the registered endpoint: {exc}") from None
        params["context"] = {"request_id": f"req-{uuid.uuid4()}"}
        body = {"jsonrpc": "2.0", "method": method, "params": params,
                "id": params["context"]["request_id"]}
        try:
            resp = self._session.post(self.url, json=body, raise_exc=False,
                                      requests_auth=self._auth, authenticated=False,
                                      headers={"Accept": "application/json"})
        except (ks_exc.ConnectFailure, ks_exc.ConnectionError, ks_exc.RequestTimeout,
                ks_exc.SSLError) as exc:
            raise AgentUnreachable(f"{type(exc).__name__}: {exc}") from None
        except ks_exc.ClientException as exc:
            raise AgentUnreachable(f"{type(exc).__name__}: {exc}") from None
        if resp.status_code in (502, 503, 504):  # a proxy on the way: try again later
            raise AgentUnreachable(f"HTTP {resp.status_code}")
        if resp.status_code in (401, 403):
            raise AgentError(f"HTTP {resp.status_code}: the agent refused accel-api's "
                             f"credential for host {self.hostname}")
        try:
            answer = resp.json()
        except ValueError:
            raise AgentError(f"HTTP {resp.status_code}: not a JSON-RPC answer "
                             "(not an agent at that address?)") from None
        if not isinstance(answer, dict):
            raise AgentError("malformed JSON-RPC answer")
        error = answer.get("error")
        if error:
            message = error.get("message") if isinstance(error, dict) else error
            raise AgentError(str(message)[:1000])
        if resp.status_code != 200 or "result" not in answer:
            raise AgentError(f"HTTP {resp.status_code}: malformed JSON-RPC answer")
        return answer["result"]

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
