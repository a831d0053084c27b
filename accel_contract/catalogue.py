"""The data-driven device catalogue: which PCI functions are accelerators, and what they are.

Entries come from ``data/catalogue.json`` (derived from real PCI ids, see its
``source``). A function absent from the catalogue but carrying an accelerator
class code still becomes a generic accelerator, so new hardware is never invisible.
"""

import dataclasses
import functools
import json
from importlib import resources

#: PCI class codes (upper 16 bits of ``class``) that mean "accelerator" when uncatalogued.
ACCELERATOR_CLASSES = {
    0x1200: "GENERIC",  # processing accelerator
    0x0302: "GPU",  # 3D controller
    0x0B40: "GENERIC",  # co-processor
}


@dataclasses.dataclass(frozen=True)
class Entry:
    """One catalogued PCI function (ids are lower-case ``0x%04x`` strings)."""

    vendor_id: str
    device_id: str
    subsystem_vendor_id: str | None
    subsystem_device_id: str | None
    function: str  # "pf" | "vf"
    physfn_device_id: str | None
    type: str  # FPGA, GPU, CRYPTO, FEC, NPU, SMARTNIC, DPU, NIC, FABRIC
    vendor: str  # short vendor word
    model: str  # short model word used in traits (N3000, H100, U250...)
    product: str  # human product name
    kernel_driver: str | None
    plugin: str  # ipa_fpga.drivers entry point name
    role: str  # accelerator | management | user | companion | fabric
    golden: bool = False


@functools.cache
def entries():
    """All catalogue entries, in file order."""
    raw = json.loads(resources.files("accel_contract").joinpath("data/catalogue.json").read_text())
    return tuple(Entry(**item) for item in raw["devices"])


@functools.cache
def _index():
    exact, by_id = {}, {}
    for entry in entries():
        key = (entry.vendor_id, entry.device_id)
        if entry.subsystem_device_id:
            exact[key + (entry.subsystem_vendor_id, entry.subsystem_device_id)] = entry
        else:
            by_id.setdefault(key, entry)
    return exact, by_id


def lookup(vendor_id, device_id, subsystem_vendor_id=None, subsystem_device_id=None):
    """Catalogue entry for these ids (subsystem match first), or None."""
    exact, by_id = _index()
    key = (str(vendor_id).lower(), str(device_id).lower())
    if subsystem_device_id:
        hit = exact.get(key + (str(subsystem_vendor_id).lower(), str(subsystem_device_id).lower()))
        if hit:
            return hit
    hit = by_id.get(key)
    if hit:
        return hit
    # An id known only with subsystem ids: any of them tells the family.
    for (vid, did, _sv, _sd), entry in exact.items():
        if (vid, did) == key:
            return entry
    return None


def class_fallback(class_code):
    """Device type for an uncatalogued function from its class code, or None."""
    try:
        value = int(str(class_code), 16)
    except ValueError:
        return None
    return ACCELERATOR_CLASSES.get(value >> 8)
