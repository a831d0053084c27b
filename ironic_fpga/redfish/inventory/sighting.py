"""A sighting: one Redfish resource that may describe (part of) an accelerator.

Readers (``places``) report sightings; the de-duplicator groups the sightings of one
physical device; the mapper turns a group into an accelerator.
"""

from __future__ import annotations

import dataclasses

from ironic_fpga.redfish.inventory import resources as rs

#: Kinds of sighting, from the resource class.
PROCESSOR, PCIE, GRAPHICS, ADAPTER, SYSTEM, OEM = ("processor", "pcie", "graphics", "adapter",
                                                  "system", "oem")
KINDS = {rs.Processor: PROCESSOR, rs.PCIeDevice: PCIE, rs.GraphicsController: GRAPHICS,
         rs.NetworkAdapter: ADAPTER, rs.ComputerSystem: SYSTEM, rs.DellVideo: OEM}
CLASSES = {kind: cls for cls, kind in KINDS.items()}
#: A group never holds two distinct resources of these kinds (two processors are two devices).
SINGULAR = (PROCESSOR, GRAPHICS, ADAPTER, SYSTEM, OEM)


@dataclasses.dataclass
class Sighting:
    res: rs.Resource
    #: where it was found, e.g. ``Chassis/<id>/PCIeDevices`` (several when seen again)
    places: list
    #: (kind, URI) of the other device resources it names (its PCIe device, processors...)
    links: list = dataclasses.field(default_factory=list)

    @property
    def kind(self):
        return KINDS[type(self.res)]

    @property
    def uri(self):
        return self.res.uri


def links_of(res):
    """(kind, URI) of the device resources ``res`` names through its Links."""
    out = []
    if isinstance(res, rs.Processor):
        out += [(PCIE, res.pcie_device)] if res.pcie_device else []
        out += [(GRAPHICS, res.graphics_controller)] if res.graphics_controller else []
        out += [(PCIE, rs.function_device_uri(u)) for u in res.linked_functions]
    elif isinstance(res, rs.PCIeDevice):
        out += [(PROCESSOR, u) for u in res.linked_processors]
        out += [(PCIE, rs.function_device_uri(u)) for u in res.linked_functions]
    elif isinstance(res, rs.GraphicsController):
        out += [(PROCESSOR, u) for u in res.linked_processors]
        out += [(PCIE, res.pcie_device)] if res.pcie_device else []
    elif isinstance(res, rs.NetworkAdapter):
        out += [(PCIE, u) for u in res.linked_pcie_devices]
        out += [(PROCESSOR, p.uri) for p in res.processors]  # a SmartNIC's FPGA
    elif isinstance(res, rs.DellVideo) and res.fqdd:
        # iDRAC names the GPU's Processor after the same FQDD
        system = res.uri.split("/Oem/", 1)[0]
        out.append((PROCESSOR, f"{system}/Processors/{res.fqdd}"))
    return [(k, u) for k, u in out if u and u != res.uri]

