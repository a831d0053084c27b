"""Declarative descriptions of accelerator hosts, for the sysfs fixtures and the Redfish emulator.

One description yields both a host's in-band view (a sysfs tree, ``accel_hosts.sysfs``)
and its BMC's out-of-band view (Redfish), so both describe the same cards.

Public API::

    accel_hosts.names() -> list[str]                  # bundled descriptions
    accel_hosts.load(name_or_path) -> model.Host      # a bundled name or a YAML file path
    accel_hosts.from_dict(data) -> model.Host         # an already parsed description
    accel_hosts.large_host(functions=1000) -> Host    # generated, >= ``functions`` PCI functions
"""

import importlib

#: Public names and the module each lives in, imported on first use (PEP 562): the
#: fixture's nvidia-smi model imports ``accel_hosts.nvidia_smi`` on every run and must
#: not pay for YAML and the card templates.
_LAZY = {
    "HostDescriptionError": "accel_hosts.cards",
    "from_dict": "accel_hosts.loader",
    "large_host": "accel_hosts.loader",
    "load": "accel_hosts.loader",
    "names": "accel_hosts.loader",
    "Card": "accel_hosts.model",
    "FirmwareComponent": "accel_hosts.model",
    "Host": "accel_hosts.model",
    "PciFunction": "accel_hosts.model",
}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'accel_hosts' has no attribute {name!r}")


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
