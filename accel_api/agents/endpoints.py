"""Which addresses accel-api agrees to call as an agent's JSON-RPC endpoint.

An agent registers ``rpc_host`` itself; accel-api then connects there with that host's
credential. So an ``rpc_host`` must be a host name (RFC 1123 labels) or an IP address
that reaches a machine of the deployment, never an address that reaches something
else: the rule of ``accel_contract.addresses`` (link-local, metadata services,
unspecified, multicast, broadcast and reserved addresses, IPv4 written the legacy ways),
with loopback only under ``[agent_rpc] allow_loopback`` (a single-machine deployment,
tests). The same rule is applied again, at call time, to every address a host name
resolves to.
"""

from accel_contract import addresses

#: An rpc_host accel-api will not call; the message says why.
RefusedEndpoint = addresses.RefusedAddress
_LOOPBACK_OPTION = "[agent_rpc] allow_loopback"


def check_rpc_host(value, allow_loopback=False):
    """``value`` as accel-api will call it; ``RefusedEndpoint`` saying why not."""
    return addresses.check_host(value, allow_loopback, "rpc_host", _LOOPBACK_OPTION)


def check_resolved(host, port, allow_loopback=False):
    """At call time: every address ``host`` resolves to passes the rule."""
    addresses.check_resolved(host, port, allow_loopback, "rpc_host", _LOOPBACK_OPTION)
