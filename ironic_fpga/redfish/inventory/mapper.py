"""One group of sightings -> one accelerator, in inventory-contract terms.

An accelerator is a dict::

    {"id": "<device name on the BMC>",      # accel:<id>[:<component>]
     "type": "GPU",                         # contract type
     "processor_type": "GPU",               # Redfish ProcessorType (or the type)
     "vendor_id": "0x10de", "device_id": "0x2331",   # None when the BMC hides them
     "vendor": "NVIDIA", "manufacturer": "NVIDIA Corporation",
     "model": "H100",                       # catalogue model word, else the BMC's Model
     "product": "NVIDIA H100 PCIe", "serial": ..., "uuid": ...,
     "pci_address": "0000:17:00.0" | None,  # PCIeFunction Segment/Bus/Device/Function
     "catalogued": True,
     "uri": <primary resource>, "uris": [...], "places": [...],
     "pci_functions": [Redfish ids of each function], "fpga": {...} | None,
     "firmware": [contract firmware components + source/not_updatable_reason]}
"""

from __future__ import annotations

import re

from ironic_fpga.redfish.inventory import classify
from ironic_fpga.redfish.inventory import sighting as sg

#: Which resource names the device (its ``id``), best first.
_PRIMARY = (sg.PROCESSOR, sg.GRAPHICS, sg.SYSTEM, sg.ADAPTER, sg.PCIE, sg.OEM)
_FUNCTION_KEYS = ("FunctionId", "FunctionType", "DeviceClass", "VendorId", "DeviceId",
                  "ClassCode", "SubsystemVendorId", "SubsystemId", "RevisionId")


def _by_kind(group, kind):
    return [s.res for s in group if s.kind == kind]


def functions(group):
    """PCIe functions of the device's PCIe devices, each once (Dell lists the same
    device under the system and the chassis)."""
    out, seen = [], set()
    for dev in _by_kind(group, sg.PCIE):
        for fn in dev.functions:
            key = (fn.identity, fn.vendor_id, fn.device_id, fn.function_id)
            if key not in seen:
                seen.add(key)
                out.append(fn)
    return out


def id_sources(group):
    """What states the device's PCI ids: its PCIe functions, then OEM resources."""
    return functions(group) + _by_kind(group, sg.OEM)


def classification(group):
    """(contract type, catalogue entry, the function that says so) or (None, None, None)."""
    fns = id_sources(group)
    for fn in fns:
        kind, entry = classify.function_type(fn)
        if entry is not None and kind:
            return kind, entry, fn
    for proc in _by_kind(group, sg.PROCESSOR):
        kind = classify.processor_type(proc)
        if kind:
            return kind, None, next((f for f in fns if f.vendor_id), None)
    if _by_kind(group, sg.GRAPHICS):
        return "GPU", None, next((f for f in fns if f.vendor_id), None)
    if any(s.kind == sg.SYSTEM for s in group):
        return "DPU", None, None
    for fn in fns:
        kind, _entry = classify.function_type(fn)
        if kind:
            return kind, None, fn
    for dev in _by_kind(group, sg.PCIE):
        kind = classify.cxl_type(dev)
        if kind:
            return kind, None, next((f for f in fns if f.vendor_id), None)
    for adapter in _by_kind(group, sg.ADAPTER):
        kind = classify.adapter_type(adapter)
        if kind:
            return kind, None, next((f for f in fns if f.vendor_id), None)
    return None, None, None


def primary(group):
    """The sighting that names the device: by kind, best first, preferring an Id with
    letters (iDRAC's adapter ``NIC.Slot.5`` over its PCIe device ``177-0``)."""
    ordered = [s for kind in _PRIMARY for s in group if s.kind == kind]
    for sight in ordered:
        if re.search(r"[A-Za-z]", sight.res.identity or ""):
            return sight
    return ordered[0] if ordered else group[0]


def _first(group, attr):
    for kind in _PRIMARY:
        for sight in group:
            if sight.kind == kind:
                value = getattr(sight.res, attr, None)
                if value:
                    return value
    return None


def device_name(text):
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", str(text)).strip("_") or "device"


def accelerator(group, kind, entry, fn, components):
    main = primary(group)
    procs = _by_kind(group, sg.PROCESSOR)
    vendor_id = (fn.vendor_id if fn else None) or next(
        (p.processor_vendor_id for p in procs if p.processor_vendor_id), None)
    manufacturer = _first(group, "manufacturer") or _first(group, "oem_vendor")
    product = _first(group, "model") or _first(group, "product") or (
        entry.product if entry else None)
    return {
        "id": device_name(main.res.ident),
        "type": kind,
        "processor_type": next((p.processor_type for p in procs if p.processor_type), kind),
        "vendor_id": vendor_id,
        "device_id": fn.device_id if fn else None,
        "vendor": (entry.vendor if entry else None) or classify.vendor_word(vendor_id,
                                                                          manufacturer),
        "manufacturer": manufacturer,
        "model": entry.model if entry else (product or " ".join(
            w for w in (classify.vendor_word(vendor_id, manufacturer), kind) if w)),
        "product": product or (entry.product if entry else None),
        "catalogued": entry is not None,
        "serial": _first(group, "serial_number"),
        "uuid": _first(group, "uuid"),
        "pci_address": next((f.pci_address for f in id_sources(group) if f.pci_address),
                            None),
        "uri": main.uri,
        "uris": [s.uri for s in group],
        "places": [p for s in group for p in s.places],
        "pci_functions": [{k: f.json.get(k) for k in _FUNCTION_KEYS} for f in functions(group)],
        "fpga": next((p.fpga for p in procs if p.fpga), None),
        "firmware": components,
    }


def owned_chassis(group, chassis):
    """Chassis a device's card is: the module chassis holding it, the chassis a DPU
    system links (and links it), and every chassis those contain."""
    uris = {s.uri for s in group}
    owned = set()
    for ch in chassis:
        if set(ch.computer_systems) & uris and any(s.kind == sg.SYSTEM for s in group):
            owned.add(ch.uri)
        if (ch.chassis_type or "").lower() in ("module", "card") and (
                {p.uri for p in ch.processors} | {d.uri for d in ch.pcie_devices}) & uris:
            owned.add(ch.uri)
    for sight in group:
        if sight.kind == sg.SYSTEM:
            owned.update(sight.res.chassis)
    by_uri = {c.uri: c for c in chassis}
    grown = True
    while grown:
        grown = False
        for ch in chassis:
            if ch.uri in owned:
                continue
            if ch.contained_by in owned or any(ch.uri in by_uri[o].contains
                                               for o in owned if o in by_uri):
                owned.add(ch.uri)
                grown = True
    return owned


def unique_names(accelerators):
    """Give every accelerator a distinct ``id``: a clash is qualified with the id of the
    resource holding it (``CXLType1.FPGA``), then numbered."""
    counts = {}
    for acc in accelerators:
        counts[acc["id"]] = counts.get(acc["id"], 0) + 1
    taken = set()
    for acc in accelerators:
        name = acc["id"]
        if counts[name] > 1:
            parts = acc["uri"].rstrip("/").split("/")
            holder = parts[-3] if len(parts) >= 3 else "dev"
            name = device_name(f"{holder}.{name}")
        base, n = name, 2
        while name in taken:
            name, n = f"{base}.{n}", n + 1
        taken.add(name)
        acc["id"] = name
    return accelerators

