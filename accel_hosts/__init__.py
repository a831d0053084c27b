"""Declarative descriptions of accelerator hosts, for the sysfs fixtures and the Redfish emulator.

One description yields both a host's in-band view (a sysfs tree, ``accel_hosts.sysfs``)
and its BMC's out-of-band view (Redfish), so both describe the same cards.

Public API::

    accel_hosts.names() -> list[str]                  # bundled descriptions
    accel_hosts.load(name_or_path) -> model.Host      # a bundled name or a YAML file path
    accel_hosts.from_dict(data) -> model.Host         # an already parsed description
    accel_hosts.large_host(functions=1000) -> Host    # generated, >= ``functions`` PCI functions
"""

from accel_hosts.cards import HostDescriptionError
from accel_hosts.loader import from_dict, large_host, load, names
from accel_hosts.model import Card, FirmwareComponent, Host, PciFunction

__all__ = [
    "Card",
    "FirmwareComponent",
    "Host",
    "HostDescriptionError",
    "PciFunction",
    "from_dict",
    "large_host",
    "load",
    "names",
]
