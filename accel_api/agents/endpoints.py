"""Which addresses accel-api agrees to call as an agent's JSON-RPC endpoint.

An agent registers ``rpc_host`` itself; accel-api then connects there with that host's
credential. So an ``rpc_host`` must be a host name (RFC 1123 labels) or an IP address
that reaches a machine of the deployment, never an address that reaches something
else: link-local addresses (``169.254.0.0/16``, ``fe80::/10``) and the metadata services
on them (``169.254.169.254``, ``fd00:ec2::254``), unspecified, multicast, broadcast and
reserved addresses, IPv4 written the legacy ways (``0x7f.1``, ``2130706433``), and
loopback unless ``[agent_rpc] allow_loopback`` (a single-machine deployment, tests).
The same rule is applied again, at call time, to every address a host name resolves to.
"""

import ipaddress
import re
import socket

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
#: Metadata services reached on addresses that are not link-local.
METADATA = frozenset({ipaddress.ip_address("fd00:ec2::254"),
                      ipaddress.ip_address("fd00:ec2::23"),
                      ipaddress.ip_address("100.100.100.200")})


class RefusedEndpoint(ValueError):
    """An rpc_host accel-api will not call; the message says why."""


def _check_address(address, allow_loopback, shown):
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA or str(address) == "169.254.169.254":
        raise RefusedEndpoint(f"{shown} is a cloud metadata service address")
    if address.is_loopback:
        if allow_loopback:
            return
        raise RefusedEndpoint(f"{shown} is a loopback address (allowed only with "
                              "[agent_rpc] allow_loopback)")
    for flag, what in (("is_link_local", "link-local"), ("is_unspecified", "unspecified"),
                       ("is_multicast", "multicast"), ("is_reserved", "reserved")):
        if getattr(address, flag):
            raise RefusedEndpoint(f"{shown} is a {what} address")
    if isinstance(address, ipaddress.IPv4Address) and \
            address == ipaddress.IPv4Address("255.255.255.255"):
        raise RefusedEndpoint(f"{shown} is the broadcast address")


def check_rpc_host(value, allow_loopback=False):
    """``value`` as accel-api will call it; ``RefusedEndpoint`` saying why not."""
    shown = repr(str(value)[:64])
    if not isinstance(value, str) or not value or len(value) > 253:
        raise RefusedEndpoint(f"rpc_host {shown} is not a host name or an IP address")
    try:
        address = ipaddress.ip_address(value.strip("[]") if value.startswith("[") else value)
    except ValueError:
        address = None
    if address is not None:
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            raise RefusedEndpoint(f"rpc_host {shown} carries a zone (link-local)")
        _check_address(address, allow_loopback, f"rpc_host {shown}")
        return str(address)
    name = value[:-1] if value.endswith(".") else value
    labels = name.split(".")
    if not all(_LABEL.match(label) for label in labels):
        raise RefusedEndpoint(f"rpc_host {shown} is not a host name (RFC 1123: labels of "
                              "1-63 letters, digits and inner hyphens) or an IP address")
    if labels[-1].isdigit() or _legacy_ipv4(name):
        raise RefusedEndpoint(f"rpc_host {shown} is neither a host name (its last label is "
                              "numeric) nor an IP address in standard form")
    if name.lower() == "localhost" or name.lower().endswith(".localhost"):
        _check_address(ipaddress.ip_address("127.0.0.1"), allow_loopback,
                       f"rpc_host {shown}")
    return name.lower()


def _legacy_ipv4(name):
    """True for what inet_aton reads as IPv4 but is no dotted quad (``0x7f.1``)."""
    try:
        socket.inet_aton(name)
    except OSError:
        return False
    return True


def check_resolved(host, port, allow_loopback=False):
    """At call time: every address ``host`` resolves to passes the rule."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise RefusedEndpoint(f"rpc_host {host!r} does not resolve: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        _check_address(address, allow_loopback, f"rpc_host {host!r} (resolves to {address})")
