"""Assembling the contract document: scan -> SR-IOV tree -> devices -> drivers -> JSON dict."""

from __future__ import annotations

import datetime
import gc
import operator
import os
import socket

from accel_contract import inventory as contract
from ipa_fpga import drivers
from ipa_fpga.discovery import grouping, pci, pciids, sriov
from ipa_fpga.discovery.reader import Reader, Warnings
from ipa_fpga.drivers.base import AcceleratorDriver, DeviceContext

COLLECTOR = "ipa_fpga"
_FALLBACK = AcceleratorDriver()


def _version():
    try:
        from importlib.metadata import version

        return version("ironic-accel")
    except Exception:  # not installed (source checkout): still a valid document
        return "0.0.0"


_VERSION = None


def discover(root="/", hostname=None):
    """The inventory of the host whose filesystem is at ``root``; see docs/inventory.rst.

    Raises ``DiscoveryError`` only when there is nothing to walk (missing root or
    PCI bus); every problem below that is a warning in the document.

    The cyclic collector is paused for the walk: it builds tens of thousands of
    small acyclic objects (freed by reference counting), and in a long-lived
    process (the agent) each automatic pass over them re-scans what earlier ones
    already promoted. One young-generation pass at the end does the same job.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _discover(root, hostname)
    finally:
        if paused:
            gc.enable()
            gc.collect(0)


def _discover(root, hostname):
    global _VERSION
    root = os.path.abspath(root or "/")
    if not os.path.isdir(root):
        raise pci.DiscoveryError(f"sysfs root {root} does not exist or is not a directory")
    if not os.access(root, os.R_OK | os.X_OK):
        raise pci.DiscoveryError(f"sysfs root {root} is not readable")
    warnings = Warnings()
    reader = Reader(root, warnings)
    functions = pci.scan(reader)
    sriov.link(functions, reader)
    names = pciids.PciIds.load(root)
    for info in functions.values():
        if info.interesting:
            info.name = names.device(info.vendor_id, info.device_id)
    devices = grouping.group(functions)
    host = _host(reader, hostname)
    shared = {"hostname": host["hostname"]}
    out = []
    for dev in devices:
        out.append(_describe(root, dev, shared, names))
    if _VERSION is None:
        _VERSION = _version()
    return {
        "schema_version": contract.SCHEMA_VERSION,
        "host": host,
        "collected_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "collector": {"name": COLLECTOR, "version": _VERSION},
        "devices": out,
        "warnings": list(warnings),
    }


def _describe(root, dev, shared, names):
    if dev.product is None:
        dev.product = dev.primary.name
    dev.vendor = names.vendor(dev.primary.vendor_id) or dev.vendor
    reader = Reader(root, dev.warnings)
    ctx = DeviceContext(root=root, reader=reader, device=dev, shared=shared)
    driver = drivers.get(dev.plugin)
    if driver is None:
        dev.warnings.add("driver_not_found",
                         f"no {dev.plugin!r} driver installed (namespace "
                         f"{drivers.NAMESPACE}); described generically", None, dev.id)
        driver = _FALLBACK
    try:
        driver.describe(ctx)
    except Exception as exc:  # a driver bug must not hide the other devices
        dev.warnings.add("driver_failed",
                         f"{dev.plugin} driver failed: {type(exc).__name__}: {exc}"[:4000],
                         None, dev.id)
        dev.firmware, dev.attributes, dev.deployables, dev.partitions = [], {}, [], None
        try:
            _FALLBACK.describe(ctx)
        except Exception as exc2:  # pragma: no cover - the base driver only uses PCI facts
            dev.warnings.add("driver_failed", f"generic description failed: {exc2}", None,
                             dev.id)
    return _device_dict(dev)


def _device_dict(dev):
    p = dev.primary
    numa = p.numa_node
    return {
        "id": dev.id,
        "type": dev.type,
        "vendor": dev.vendor,
        "vendor_id": p.vendor_id,
        "device_id": p.device_id,
        "model": dev.model,
        "product": dev.product,
        "driver": dev.plugin,
        "numa_node": numa,
        "traits": list(dev.traits),
        "functions": _functions(dev, p),
        "firmware": dev.firmware,
        "deployables": dev.deployables,
        **({"partitions": dev.partitions} if dev.partitions is not None else {}),
        "attributes": dev.attributes,
        "warnings": list(dev.warnings),
    }


def _functions(dev, primary):
    """The primary's ``pci_function`` first, then the others in address order."""
    roles = dev.roles
    others = [f for f in dev.functions if f is not primary]
    others.sort(key=_ADDRESS)
    out = [primary.to_dict(roles[primary.address])]
    out.extend([f.to_dict(roles[f.address]) for f in others])
    return out


_ADDRESS = operator.attrgetter("address")


def _host(reader, hostname):
    root = reader.root
    if hostname is None:
        hostname = reader.read(reader.path("proc/sys/kernel/hostname"), required=False)
        if not hostname:
            hostname = socket.gethostname() if root == "/" else "localhost"
    uuid = reader.read(reader.path("sys/class/dmi/id/product_uuid"), required=False) \
        if os.access(reader.path("sys/class/dmi/id/product_uuid"), os.R_OK) else None
    kernel = reader.read(reader.path("proc/sys/kernel/osrelease"), required=False)
    return {
        "hostname": hostname[:255],
        "system_uuid": (uuid or None) and uuid[:64],
        "kernel": kernel or None,
        "sysfs_root": root,
    }
