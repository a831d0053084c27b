"""Grouping PCI functions into devices (one physical card = one device).

* a VF joins its PF's device;
* an Alveo's management and user PFs (same slot) are one device, named by the
  management PF;
* an N3000's companion functions (XXV710 NIC PFs with their VFs, the extra
  0b32 function) join the FPGA that sits behind the same on-card PCIe switch;
  a companion with no such FPGA is not an accelerator and is left out.
"""

from __future__ import annotations

from ipa_fpga.discovery.reader import Warnings


class Device:
    """One accelerator device being assembled: functions in, contract fields out."""

    def __init__(self, primary):
        self.primary = primary
        self.functions = [primary]
        self.roles = {primary.address: _role(primary)}
        entry = primary.entry
        self.entry = entry
        self.type = entry.type if entry else primary.fallback_type
        self.plugin = entry.plugin if entry else "generic"
        self.model = entry.model if entry else f"{primary.vendor_id[2:]}:{primary.device_id[2:]}"
        self.product = entry.product if entry else primary.name
        self.vendor = entry.vendor if entry else None
        # Filled by the driver:
        self.firmware = []
        self.attributes = {}
        self.traits = []
        self.deployables = []
        self.partitions = None  # the contract's ``partitions`` of a partitioned GPU
        self.warnings = Warnings()

    @property
    def id(self):
        return self.primary.address

    @property
    def catalogued(self):
        return self.entry is not None

    def add(self, info, role):
        self.functions.append(info)
        self.roles[info.address] = role

    def by_role(self, role):
        return [f for f in self.functions if self.roles[f.address] == role]

    def function(self, address):
        return next(f for f in self.functions if f.address == address)


def _role(info):
    if info.physfn:
        return "vf"
    return info.entry.role if info.entry else "accelerator"


def _card_anchor(info):
    """The on-card switch's upstream port above ``info`` (... up, down, fn), or None."""
    return info.chain[-3] if len(info.chain) >= 3 else None


def group(functions):
    """Devices, in address order of their primary function."""
    devices = {}
    slots = {}
    companions = []
    interesting = [f for f in functions.values() if f.interesting]
    for info in interesting:
        if info.physfn and info.physfn in functions:
            continue
        role = _role(info)
        if role == "companion":
            companions.append(info)
        elif role in ("management", "user"):
            slot = info.address[:-2]
            dev = slots.get(slot)
            if dev is None:
                slots[slot] = devices[info.address] = Device(info)
            elif role == "management" and dev.roles[dev.primary.address] != "management":
                # management PF names the device: rebuild with it as primary.
                del devices[dev.id]
                new = Device(info)
                for other in dev.functions:
                    new.add(other, dev.roles[other.address])
                slots[slot] = devices[info.address] = new
            else:
                dev.add(info, role)
        else:
            devices[info.address] = Device(info)
    anchors = {}
    for dev in devices.values():
        anchor = _card_anchor(dev.primary)
        if anchor and dev.entry and dev.entry.role == "accelerator":
            anchors.setdefault(anchor, []).append(dev)
    for info in companions:
        owner = None
        for bridge in info.chain[:-1]:
            for dev in anchors.get(bridge, ()):
                if dev.entry.model == info.entry.model:
                    owner = dev
        if owner is not None:
            owner.add(info, "companion")
            for vf in info.vfs:
                if vf in functions:
                    owner.add(functions[vf], "vf")
    for dev in devices.values():
        for pf in list(dev.functions):
            if dev.roles[pf.address] == "companion":
                continue
            for vf in pf.vfs:
                if vf in functions and vf not in dev.roles:
                    dev.add(functions[vf], "vf")
    return [devices[k] for k in sorted(devices)]
