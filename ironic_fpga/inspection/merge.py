"""Merge what in-band inspection (the ramdisk) and out-of-band inspection (the BMC) saw.

Pure functions: a node's accelerator state is a function of the two stored records
only, so re-running either inspection converges to the same result, and neither undoes
the other. Precedence, per field:

* the devices in-band inspection found come first, in its order; a BMC device is the
  same device when its PCI address, then its UUID, then its PCI vendor/device ids
  (the n-th such device with the n-th), then its type and vendor (when the BMC hides the
  ids) match one not matched yet;
* in-band is authoritative for what it read: PCI address, ids, driver, NUMA node, and
  each firmware component it reports; the BMC fills the fields in-band left empty
  (serial, the BMC's device id ``bmc_id``...) and adds the firmware components in-band
  did not read (``accel:`` names on the BMC);
* a device only the BMC shows (a DPU in NIC mode, any device when no ramdisk ran) is
  added after the in-band ones;
* traits: in-band's, then the BMC's; capabilities: ``accel_<type>_count`` from the
  merged list, rule capabilities of both (in-band wins a clash).

Each accelerator carries ``source``: ``in-band``, ``bmc`` or ``in-band+bmc``.
"""

from __future__ import annotations

INBAND, BMC = "in-band", "bmc"
#: Record order: the first is authoritative.
SOURCES = (INBAND, BMC)
_EMPTY = (None, "", [], {})


def _same(a, b, key):
    return a.get(key) not in _EMPTY and a.get(key) == b.get(key)


def _agreement(a, b):
    """How many firmware components two views of a device report alike."""
    fa, fb = a.get("firmware") or {}, b.get("firmware") or {}
    return sum(1 for k, v in fa.items() if fb.get(k) == v)


def _match(out, free, device):
    """Index in ``out`` (among ``free``) of the in-band device ``device`` is, or None."""
    for key in ("pci_address", "uuid"):
        for i in free:
            if _same(out[i], device, key):
                return i
    if device.get("vendor_id") and device.get("device_id"):
        same = [i for i in free if _same(out[i], device, "vendor_id")
                and _same(out[i], device, "device_id")]
        # Several cards of one model: the one whose firmware versions agree, else the first.
        return max(same, key=lambda i: (_agreement(out[i], device), -i)) if same else None
    for i in free:
        if _same(out[i], device, "type") and str(out[i].get("vendor") or "").upper() == str(
                device.get("vendor") or "").upper() and device.get("vendor"):
            return i
    return None


def accelerators(inband, bmc):
    """The merged ``properties['accelerators']`` list."""
    out = [dict(a, source=INBAND) for a in inband or []]
    free = list(range(len(out)))
    extra = []
    for device in bmc or []:
        i = _match(out, free, device)
        if i is None:
            extra.append(dict(device, source=BMC))
            continue
        free.remove(i)
        merged = dict(out[i])
        for key, value in device.items():
            if key not in ("firmware", "traits", "source") and merged.get(key) in _EMPTY \
                    and value not in _EMPTY:
                merged[key] = value
        firmware = dict(device.get("firmware") or {})
        firmware.update(out[i].get("firmware") or {})
        merged["firmware"] = firmware
        traits = list(out[i].get("traits") or [])
        merged["traits"] = traits + [t for t in device.get("traits") or [] if t not in traits]
        merged["source"] = f"{INBAND}+{BMC}"
        out[i] = merged
    return out + extra


def type_counts(devices):
    counts = {}
    for device in devices:
        if device.get("type") in ("NIC", "FABRIC", None):
            continue
        key = f"accel_{str(device['type']).lower()}_count"
        counts[key] = counts.get(key, 0) + 1
    return {k: str(v) for k, v in counts.items()}


def merge(records, set_capabilities=True):
    """``{"accelerators", "traits", "capabilities", "rules"}`` of the stored records
    (``{source: {"accelerators", "traits", "capabilities", "rules"}}``)."""
    inband, bmc = records.get(INBAND) or {}, records.get(BMC) or {}
    devices = accelerators(inband.get("accelerators"), bmc.get("accelerators"))
    traits = []
    for record in (inband, bmc):
        traits += [t for t in record.get("traits") or [] if t not in traits]
    caps = type_counts(devices) if set_capabilities else {}
    for record in (bmc, inband):  # in-band last: it wins a clash
        caps.update(record.get("capabilities") or {})
    rules = []
    for record in (inband, bmc):
        rules += [r for r in record.get("rules") or [] if r not in rules]
    return {"accelerators": devices, "traits": traits, "capabilities": caps, "rules": rules}
