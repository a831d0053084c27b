"""Every firmware version of an accelerator, wherever the BMC keeps it, as contract
firmware components.

FirmwareInventory entries are tied to a device

1. by ``RelatedItem``: the entry names one of the device's resources, a sub-resource
   of one (``Systems/Bluefield/Bios`` of a BlueField's SoC), or a chassis the device's
   card contains (its ERoT);
2. else by the vendor's naming: NVIDIA HGX ``HGX_FW_<dev>``/``HGX_InfoROM_<dev>``/
   ``HGX_FW_ERoT_<dev>`` (``<dev>`` = ``GPU_SXM_<n>``, matched to ``GPU_SXM_<n>`` or
   ``GPU<n>``), Dell ``Installed-<id>-<version>__<FQDD>`` (FQDD ``NIC.Slot.2-1`` ->
   adapter ``NIC.Slot.2``), an entry whose Id is the device's Id (Lenovo/Supermicro
   ``GPU<n>``), HPE ``Oem.Hpe.DeviceContext`` = the device's slot label.

Entries that are not the running firmware are skipped (Dell ``Previous-``/
``Available-``, ``*-Pending``/``*_pending``, staged ``Staging_*``, ``golden_image_*``
backups), as are entries without a version.

The device's own fields follow: ``Processor.FirmwareVersion`` (``firmware``),
``Processor.FPGA.FirmwareVersion`` (``fpga_firmware``), ``PCIeDevice.FirmwareVersion``
(``device_firmware``), ``GraphicsController.BiosVersion`` (``vbios``),
``NetworkAdapter.Controllers[n].FirmwarePackageVersion`` (``adapter_firmware``,
``adapter_firmware_<n>``), a DPU system's ``BiosVersion`` (``bios``). A field whose
version an entry of the device already shows is that entry (not listed twice); a field
alone is not updatable, with the reason.
"""

from __future__ import annotations

import re

from ironic_fpga.redfish.inventory import resources as rs
from ironic_fpga.redfish.inventory import sighting as sg

COMPONENT_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_SKIP_PREFIXES = ("previous-", "available-", "golden_image", "staging_")
_SKIP_SUFFIXES = ("-pending", "_pending")
_HGX = re.compile(r"^HGX_(FW|InfoROM)_(ERoT_)?(.+)$", re.IGNORECASE)
_DELL = re.compile(r"^(Installed|Current)-[^-]*-.*?__(.+)$", re.IGNORECASE)
_GPU_NUMBER = re.compile(r"^(?:HGX_)?GPU_?(?:SXM_?)?(\d+)$", re.IGNORECASE)

#: (resource class, attribute, component) of the version fields, in priority order.
FIELDS = (
    (rs.Processor, "firmware_version", "firmware", "Processor.FirmwareVersion"),
    (rs.Processor, "fpga_firmware_version", "fpga_firmware", "Processor.FPGA.FirmwareVersion"),
    (rs.PCIeDevice, "firmware_version", "device_firmware", "PCIeDevice.FirmwareVersion"),
    (rs.GraphicsController, "bios_version", "vbios", "GraphicsController.BiosVersion"),
    (rs.DellVideo, "firmware_version", "firmware", "Oem.Dell.DellVideo.FirmwareVersion"),
)


def slug(text):
    """A contract component name (``^[a-z][a-z0-9_]{0,63}$``) made from ``text``."""
    out = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
    out = out if out[:1].isalpha() else f"fw_{out}"
    return out[:64].rstrip("_") or "firmware"


def running(entry):
    """False for entries that are not the firmware now running (or have no version)."""
    ident = entry.ident.lower()
    if ident.startswith(_SKIP_PREFIXES) or ident.endswith(_SKIP_SUFFIXES):
        return False
    return entry.version is not None


def component_name(entry):
    """The contract component name of a FirmwareInventory entry: its ``SoftwareId`` when
    that is already one, the FQDD of a Dell entry (the Id holds the version, which
    changes with every update), else its Id."""
    if entry.software_id and COMPONENT_RE.match(entry.software_id):
        return entry.software_id
    ident = entry.ident
    dell = _DELL.match(ident)
    return slug(dell.group(2) if dell else ident)


class Owner:
    """What identifies one device to the firmware matcher."""

    def __init__(self, group, owned_chassis=()):
        self.group = group
        self.uris = {s.uri for s in group}
        self.owned = set(self.uris) | set(owned_chassis)
        self.ids = {(s.res.identity or "").lower() for s in group if s.res.identity}
        self.labels = {s.res.label.lower() for s in group if s.res.label}
        self.numbers = {int(m.group(1)) for m in (_GPU_NUMBER.match(i) for i in self.ids) if m}

    def related(self, uri):
        """0 when ``uri`` is one of the device's resources (or below one), 5 when it is a
        chassis its card contains (an ERoT), None when it is not the device's."""
        if uri in self.uris or any(uri.startswith(u + "/") for u in self.uris):
            return 0
        return 5 if uri in self.owned else None

    def named(self, entry):
        """(rank, how) when the entry's name says it is this device's; None otherwise."""
        ident = entry.ident
        hgx = _HGX.match(ident)
        if hgx:
            target = hgx.group(3).lower()
            number = _GPU_NUMBER.match(target)
            if target in self.ids or f"hgx_{target}" in self.ids or (
                    number and int(number.group(1)) in self.numbers):
                rank = 10 if hgx.group(1).upper() == "FW" and not hgx.group(2) else \
                    20 if not hgx.group(2) else 30
                return rank, "HGX naming"
            return None
        dell = _DELL.match(ident)
        if dell:
            fqdd = dell.group(2).lower()
            if fqdd in self.ids or any(fqdd.startswith(i + "-") for i in self.ids):
                return (10 if dell.group(1).lower() == "installed" else 11), "Dell FQDD"
            return None
        context = (((entry.json.get("Oem") or {}).get("Hpe") or {}).get("DeviceContext"))
        if isinstance(context, str):  # iLO ties an entry to a slot, nothing else
            return (10, "HPE DeviceContext") if context.strip().lower() in self.labels \
                else None
        # An entry named as the device (GPU1): only a name with letters says so; iLO
        # numbers both its entries and its PCIe devices 1..N.
        if ident.lower() in self.ids and re.search(r"[a-z]", ident.lower()):
            return 10, "Id"
        return None


def assign(entries, owners):
    """{owner index: [(rank, entry)]}: each running entry to at most one device."""
    out = {}
    for order, entry in enumerate(e for e in entries if running(e)):
        hit = None
        for i, owner in enumerate(owners):
            ranks = [r for r in (owner.related(u) for u in entry.related_items) if r is not None]
            if ranks:
                hit = (i, (min(ranks), order))
                break
        if hit is None:
            for i, owner in enumerate(owners):
                named = owner.named(entry)
                if named:
                    hit = (i, (named[0], order))
                    break
        if hit is not None:
            out.setdefault(hit[0], []).append((hit[1], entry))
    return out


def _field_versions(group):
    """(component, version, source) of the device's own version fields, in order."""
    out = []
    for cls, attr, component, source in FIELDS:
        for sight in group:
            if isinstance(sight.res, cls):
                version = getattr(sight.res, attr)
                if version:
                    out.append((component, version, f"{source} of {sight.uri}"))
    for sight in group:
        if sight.kind == sg.ADAPTER:
            for n, version in enumerate(sight.res.firmware_versions):
                if version:
                    name = "adapter_firmware" if n == 0 else f"adapter_firmware_{n}"
                    out.append((name, version, f"NetworkAdapter.Controllers[{n}]."
                                f"FirmwarePackageVersion of {sight.uri}"))
        elif sight.kind == sg.SYSTEM and sight.res.bios_version:
            out.append(("bios", sight.res.bios_version,
                        f"ComputerSystem.BiosVersion of {sight.uri}"))
    return out


def components(group, ranked_entries, no_update_reason=None):
    """The device's contract firmware components (plus ``source`` and, when not
    updatable, ``not_updatable_reason``), the ones to update first."""
    out, names, versions = [], set(), set()
    for _rank, entry in sorted(ranked_entries, key=lambda pair: pair[0]):
        name = component_name(entry)
        if name in names:
            continue
        names.add(name)
        versions.add(entry.version)
        updatable = bool(entry.updateable) and no_update_reason is None
        out.append({
            "component": name,
            "name": entry.name,
            "version": entry.version,
            "updatable": updatable,
            "update_method": "redfish" if updatable else "none",
            "update_target": entry.uri,
            "lowest_supported_version": entry.lowest_supported_version,
            "source": entry.uri,
            "not_updatable_reason": None if updatable else (
                no_update_reason or f"the BMC marks {entry.uri} as not updateable"),
        })
    for name, version, source in _field_versions(group):
        if version in versions or name in names:
            continue
        names.add(name)
        versions.add(version)
        out.append({
            "component": name,
            "name": None,
            "version": version,
            "updatable": False,
            "update_method": "none",
            "update_target": None,
            "lowest_supported_version": None,
            "source": source,
            "not_updatable_reason": no_update_reason or (
                f"the BMC shows this version only in {source.split(' of ')[0]}; no "
                "FirmwareInventory entry of the BMC is tied to the device, so there is "
                "nothing to target"),
        })
    return out
