"""Accelerator discovery from sysfs (root configurable): ``discover(root, hostname) -> dict``.

Modules, one idea each: ``reader`` (reads with per-file warnings), ``pci`` (the bus
walk), ``sriov`` (PF -> VF tree), ``grouping`` (functions -> devices), ``pciids``
(names), ``inventory`` (assembly into the contract document).
"""

from ipa_fpga.discovery.inventory import discover
from ipa_fpga.discovery.pci import DiscoveryError

__all__ = ["DiscoveryError", "discover"]
