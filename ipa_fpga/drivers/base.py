"""The vendor driver interface: what a driver reads about one device, and the default tree.

A driver is a stevedore plugin (namespace ``ipa_fpga.drivers``; the name is the
catalogue's ``plugin`` value). Discovery calls ``describe(ctx)`` once per device;
the driver reads only below ``ctx.root`` and fills ``ctx.device``: ``firmware``,
``attributes``, ``traits`` and ``deployables``. Anything it raises becomes a
warning on that device and the device falls back to the generic description.

Write operations (flash firmware, program a bitstream, configure VFs) are not
part of reading: they live in their own modules and use the reading helpers
each driver module exposes at module level (e.g. ``intel_dfl.fme_dir``), and a
driver advertises them through ``operations`` so callers can ask before acting.
"""

from __future__ import annotations

import dataclasses
import os

from accel_contract import naming


@dataclasses.dataclass
class DeviceContext:
    """Everything a driver needs for one device: root, reader (warnings land on the device)."""

    root: str
    reader: object  # ipa_fpga.discovery.reader.Reader bound to the device's warnings
    device: object  # ipa_fpga.discovery.grouping.Device
    shared: dict  # per-discovery cache shared by all devices (e.g. one nvidia-smi run)

    def function_dir(self, address):
        """``<root>/sys/bus/pci/devices/<address>`` (kernel resolves the symlink)."""
        return os.path.join(self.root, "sys/bus/pci/devices", address)

    def host_path(self, path):
        return self.reader.host_path(path)

    def read(self, path, required=True):
        return self.reader.read(path, self.device.id, required)

    def warn(self, code, message, path=None):
        self.device.warnings.add(code, message, self.host_path(path) if path else None,
                                 self.device.id)


class AcceleratorDriver:
    """Base driver: generic description (PF, or PF -> VFs) from catalogue + PCI facts only."""

    #: Entry-point name; equals the catalogue's ``plugin`` value.
    name = "generic"
    #: Write operations other modules implement for this driver (e.g. {"fw_upload"}).
    operations = frozenset()

    def describe(self, ctx: DeviceContext) -> None:
        """Fill ``ctx.device`` (firmware, attributes, traits, deployables)."""
        ctx.device.traits = self.device_traits(ctx.device)
        self.pf_vf_tree(ctx, root_kind="accelerator")

    # -- helpers shared by drivers ------------------------------------------------------------

    @staticmethod
    def device_traits(device):
        p = device.primary
        return naming.device_traits(device.type, p.vendor_id, p.device_id, device.model,
                                    catalogued=device.catalogued)

    @staticmethod
    def deployable(dep_id, name, kind, parent=None, root=None, resource_class=None, traits=(),
                   handles=(), num=None, programmable=None, attributes=None):
        """A contract ``deployable``; ``num`` defaults to 1 when offered (resource class set)."""
        dep = {
            "id": dep_id,
            "name": name,
            "kind": kind,
            "parent": parent,
            "root": root or dep_id,
            "num_accelerators": (1 if resource_class else 0) if num is None else num,
            "resource_class": resource_class,
            "traits": list(dict.fromkeys(traits)),
            "attach_handles": [{"type": "PCI", "address": a} for a in handles],
        }
        if programmable is not None:
            dep["programmable"] = programmable
        if attributes:
            dep["attributes"] = attributes
        return dep

    def pf_vf_tree(self, ctx, root_kind, extra_traits=(), root_attributes=None):
        """PF as the root; with VFs enabled the VFs are the allocatable children."""
        dev = ctx.device
        pf = dev.primary
        vfs = [f for f in dev.functions if dev.roles[f.address] == "vf" and f.physfn == pf.address]
        traits = list(dict.fromkeys(list(dev.traits) + list(extra_traits)))
        label = f"{dev.model} {pf.address}"
        if vfs:
            dev.deployables.append(self.deployable(
                pf.address, label, root_kind, attributes=root_attributes,
                traits=traits, num=0,
            ))
            rc = naming.resource_class(dev.type, "vf")
            for vf in vfs:
                dev.deployables.append(self.deployable(
                    vf.address, f"{dev.model} VF {vf.address}", "vf", parent=pf.address,
                    root=pf.address, resource_class=rc, traits=traits,
                    handles=[vf.address],
                ))
        else:
            rc = naming.resource_class(dev.type, root_kind)
            dev.deployables.append(self.deployable(
                pf.address, label, root_kind, resource_class=rc, traits=traits,
                handles=[pf.address], attributes=root_attributes,
            ))

    def companion_tree(self, ctx, parent):
        """Companion PFs (e.g. an N3000's XXV710) and their VFs: listed, not offered."""
        dev = ctx.device
        for pf in dev.functions:
            if dev.roles[pf.address] != "companion":
                continue
            if pf.entry is not None and pf.entry.type != "NIC":
                continue  # non-NIC companions (0b32) are functions only
            dev.deployables.append(self.deployable(
                pf.address, f"{pf.name or 'companion'} {pf.address}", "pf", parent=parent,
                root=parent, handles=[pf.address],
            ))
            for vf in pf.vfs:
                if dev.roles.get(vf) == "vf":
                    dev.deployables.append(self.deployable(
                        vf, f"companion VF {vf}", "vf", parent=pf.address, root=parent,
                        handles=[vf],
                    ))
