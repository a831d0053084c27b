"""Stable identities derived from the inventory, so every part names the same thing alike.

accel_api stores ``rp_uuid`` on each deployable; Placement reporting creates the
resource provider with that uuid; Nova binds ARQs with it. Deriving it (uuid5)
from the host name and the deployable's id makes it survive re-imports and lets
any part compute it without asking a database.

The host name itself follows one rule on every path (docs/identity.rst): a
hypervisor is named as Nova binds with it (nova-compute's ``[DEFAULT] host``); an
inspected Ironic node by its node name or uuid, never by the ramdisk's hostname.
``check_hostname`` refuses names that cannot tell two hosts apart (empty,
loopback, the kernel's unset ``(none)``).
"""

import hashlib
import ipaddress
import re
import uuid

from accel_contract.errors import AccelError

#: Namespace of all ironic-accel uuid5 identities (never change it: uuids are stored).
NAMESPACE = uuid.UUID("6f1c0d6e-2b0e-5c55-9a3e-3c9f4f8a1a01")
MAX_HOSTNAME = 255
#: Placement's limit on a resource provider's name.
MAX_PROVIDER_NAME = 200
#: Prefix of the root provider of a standalone (Ironic-only, no Nova) host. Nova names
#: a compute node's provider after its hypervisor nodename (a host name, or an Ironic
#: node's uuid), which never contains a colon; so no Nova provider can take this name.
STANDALONE_ROOT_PREFIX = "ironic-accel:standalone:"

#: Names a host may call itself that say nothing about which host it is.
_NOT_A_HOST = frozenset({
    "localhost", "localhost.localdomain", "localhost4", "localhost4.localdomain4",
    "localhost6", "localhost6.localdomain6", "ip6-localhost", "ip6-loopback",
    "localdomain", "(none)",
})
_BAD_CHARS = re.compile(r"[\s/\\?#%\x00-\x1f\x7f]")


class InvalidHostname(AccelError, ValueError):
    """A host name that cannot identify one host (empty, loopback, malformed)."""


def check_hostname(name, what="host name"):
    """Return ``name`` when it can identify one host; raise ``InvalidHostname`` saying why.

    Refused: empty; longer than 255 characters; whitespace, control characters or
    ``/ \\ ? # %`` (it is a URL path segment); loopback and placeholder names
    (``localhost`` and its variants, ``*.localhost``, loopback and unspecified IP
    addresses, the kernel's ``(none)``), which many hosts share.
    """
    if not isinstance(name, str) or not name:
        raise InvalidHostname(f"{what} is empty: every host that says so would be one host")
    if len(name) > MAX_HOSTNAME:
        raise InvalidHostname(f"{what} is longer than {MAX_HOSTNAME} characters")
    if _BAD_CHARS.search(name):
        raise InvalidHostname(f"{what} {name[:64]!r} contains whitespace, a control "
                              "character or one of / \\ ? # %")
    lowered = name.lower().rstrip(".")
    if lowered in _NOT_A_HOST or lowered.endswith(".localhost"):
        raise InvalidHostname(
            f"{what} {name!r} is a loopback or placeholder name that many hosts share; "
            "name the host as Nova binds with it (nova-compute's [DEFAULT] host) or, for an "
            "inspected node, by its Ironic node name or uuid")
    try:
        address = ipaddress.ip_address(lowered.strip("[]"))
    except ValueError:
        return name
    if address.is_loopback or address.is_unspecified:
        raise InvalidHostname(f"{what} {name!r} is a loopback or unspecified address")
    return name


def deployable_rp_uuid(hostname, deployable_id):
    """Resource-provider uuid of one deployable of one host."""
    return str(uuid.uuid5(NAMESPACE, f"deployable:{hostname}/{deployable_id}"))


def device_uuid(hostname, device_id):
    """Stable uuid of one device (its primary PCI address) of one host."""
    return str(uuid.uuid5(NAMESPACE, f"device:{hostname}/{device_id}"))


def standalone_root_uuid(hostname):
    """Root provider uuid of a standalone host: a uuid5, which Nova never makes (its
    compute node uuids are random uuid4s, Ironic's node uuids too)."""
    return str(uuid.uuid5(NAMESPACE, f"standalone-root:{hostname}"))


def bounded_name(name, limit=MAX_PROVIDER_NAME):
    """``name`` cut to ``limit`` characters, with a hash of the whole so it stays unique."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return f"{name[: limit - 13]}_{digest}"


def standalone_root_name(hostname):
    """Root provider name of a standalone host (``ironic-accel:standalone:<hostname>``)."""
    return bounded_name(STANDALONE_ROOT_PREFIX + hostname)


def mdev_slot_uuid(hostname, parent, type_id, index):
    """The uuid an mdev of ``type_id`` on ``parent`` will be created with, for free slot
    ``index`` of one host: stable across reports, so a claim's handle keeps its identity
    once the agent creates the mdev with it (Cyborg creates mdevs with the handle's uuid)."""
    return str(uuid.uuid5(NAMESPACE, f"mdev-slot:{hostname}/{parent}/{type_id}/{index}"))
