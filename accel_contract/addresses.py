"""Which hosts a part of ironic-accel agrees to connect to when someone else names them.

accel-api calls the ``rpc_host`` an agent registered; the ramdisk and accel-agent fetch
the image URLs a step's caller handed them. Neither may be turned into a way of reaching
something else (SSRF). The rule, shared by both: a host is a host name (RFC 1123 labels)
or an IP address in standard form, never link-local (``169.254.0.0/16``, ``fe80::/10``,
an IPv6 zone) nor a cloud metadata service (``169.254.169.254``, ``fd00:ec2::254``,
``100.100.100.200``, IPv4-mapped forms too), unspecified, multicast, broadcast or
reserved, nor IPv4 written the legacy ways (``0x7f.1``, ``2130706433``); loopback only
where the caller's option allows it. The same rule applies again, when connecting, to
every address a host name resolves to (:func:`check_resolved`).

Standard library only: this module runs in the IPA ramdisk.
"""

import ipaddress
import re
import socket

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
#: Metadata services reached on addresses that are not link-local.
METADATA = frozenset({ipaddress.ip_address("fd00:ec2::254"),
                      ipaddress.ip_address("fd00:ec2::23"),
                      ipaddress.ip_address("100.100.100.200")})
_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


class RefusedAddress(ValueError):
    """A host or address that will not be connected to; the message says why."""


def unmapped(address):
    """``address``, or the IPv4 address an IPv4-mapped IPv6 one (``::ffff:a.b.c.d``) is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def check_address(address, allow_loopback, shown, loopback_option):
    """``RefusedAddress`` unless ``address`` (an ``ipaddress`` object) passes the rule.

    ``shown`` starts the message (``"rpc_host '…'"``); ``loopback_option`` names the
    option that allows loopback (``"[agent_rpc] allow_loopback"``).
    """
    address = unmapped(address)
    if address in METADATA or str(address) == "169.254.169.254":
        raise RefusedAddress(f"{shown} is a cloud metadata service address")
    if address.is_loopback:
        if allow_loopback:
            return
        raise RefusedAddress(f"{shown} is a loopback address (allowed only with "
                             f"{loopback_option})")
    for flag, what in (("is_link_local", "link-local"), ("is_unspecified", "unspecified"),
                       ("is_multicast", "multicast"), ("is_reserved", "reserved")):
        if getattr(address, flag):
            raise RefusedAddress(f"{shown} is a {what} address")
    if address == _BROADCAST:
        raise RefusedAddress(f"{shown} is the broadcast address")


def check_host(value, allow_loopback, what, loopback_option):
    """``value`` normalised (an address, or a lower-case name without its final dot);
    ``RefusedAddress`` saying why not. ``what`` names it in messages (``"rpc_host"``)."""
    shown = repr(str(value)[:64])
    if not isinstance(value, str) or not value or len(value) > 253:
        raise RefusedAddress(f"{what} {shown} is not a host name or an IP address")
    try:
        address = ipaddress.ip_address(value.strip("[]") if value.startswith("[") else value)
    except ValueError:
        address = None
    if address is not None:
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            raise RefusedAddress(f"{what} {shown} carries a zone (link-local)")
        check_address(address, allow_loopback, f"{what} {shown}", loopback_option)
        return str(address)
    name = value[:-1] if value.endswith(".") else value
    labels = name.split(".")
    if not all(_LABEL.match(label) for label in labels):
        raise RefusedAddress(f"{what} {shown} is not a host name (RFC 1123: labels of "
                             "1-63 letters, digits and inner hyphens) or an IP address")
    if labels[-1].isdigit() or legacy_ipv4(name):
        raise RefusedAddress(f"{what} {shown} is neither a host name (its last label is "
                             "numeric) nor an IP address in standard form")
    if name.lower() == "localhost" or name.lower().endswith(".localhost"):
        check_address(ipaddress.ip_address("127.0.0.1"), allow_loopback, f"{what} {shown}",
                      loopback_option)
    return name.lower()


def legacy_ipv4(name):
    """True for what inet_aton reads as IPv4 but is no dotted quad (``0x7f.1``)."""
    try:
        socket.inet_aton(name)
    except OSError:
        return False
    return True


def parse_resolved(sockaddr_host):
    """The ``ipaddress`` object of an address ``getaddrinfo`` or ``getpeername`` gave."""
    return ipaddress.ip_address(sockaddr_host.split("%", 1)[0])


def check_resolved(host, port, allow_loopback, what, loopback_option):
    """When connecting: every address ``host`` resolves to passes the rule; returns them."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise RefusedAddress(f"{what} {host!r} does not resolve: {exc}") from None
    found = []
    for info in infos:
        address = parse_resolved(info[4][0])
        check_address(address, allow_loopback, f"{what} {host!r} (resolves to {address})",
                      loopback_option)
        found.append(address)
    return found
