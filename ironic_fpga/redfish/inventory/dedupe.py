"""Group the sightings of one physical device, wherever the BMC linked it from.

Two sightings are the same device when

* one links the other (``Processor.Links.PCIeDevice``/``PCIeFunctions``,
  ``GraphicsController.Links.Processors``/``PCIeDevice``, ``PCIeDevice.Links.Processors``,
  ``NetworkAdapter.Controllers[].Links.PCIeDevices``); a linked resource no reader
  reached is fetched and joins the group;
* a module chassis (``ChassisType`` Module/Card/Component, e.g. NVIDIA's
  ``HGX_GPU_SXM_<n>``) holds exactly one processor and exactly one PCIe device;
* they carry the same serial number or UUID, and that value identifies one resource in
  each place it appears (DMTF mockups give every part the same serial: such a value
  identifies nothing), and their PCIe ids, when both have them, agree.

A group never joins two distinct processors, graphics controllers, network adapters or
systems: two processors behind one PCIe card are two devices.
"""

from __future__ import annotations

from ironic_fpga.redfish.inventory import resources as rs
from ironic_fpga.redfish.inventory import sighting as sg

MODULE_CHASSIS = ("module", "card", "component")


class _Groups:
    """Union-find over sightings with the one-of-each-singular-kind guard."""

    def __init__(self, sightings):
        self.parent = {s.uri: s.uri for s in sightings}
        self.singular = {s.uri: ({s.kind: s.uri} if s.kind in sg.SINGULAR else {})
                         for s in sightings}
        self.ids = {s.uri: _ids(s) for s in sightings}

    def find(self, uri):
        while self.parent[uri] != uri:
            self.parent[uri] = self.parent[self.parent[uri]]
            uri = self.parent[uri]
        return uri

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        sa, sb = self.singular[ra], self.singular[rb]
        if any(k in sb and sb[k] != v for k, v in sa.items()):
            return False
        ia, ib = self.ids[ra], self.ids[rb]
        if ia and ib and ia != ib:
            return False
        self.parent[rb] = ra
        sa.update(sb)
        self.ids[ra] = ia or ib
        return True


def _ids(sight):
    """(vendor id, device id) a sighting states, for the conflict check; None if none."""
    res = sight.res
    if isinstance(res, rs.PCIeDevice):
        for fn in res.functions:
            if fn.vendor_id and fn.device_id:
                return fn.vendor_id, fn.device_id
    if isinstance(res, rs.DellVideo) and res.vendor_id and res.device_id:
        return res.vendor_id, res.device_id
    return None


def collect(bmc, found):
    """Sightings (in first-seen order) from ``(resource, place)`` pairs, plus every
    device resource they link that no reader reached."""
    sightings = {}
    for res, place in found:
        _add(sightings, res, place)
    queue = list(sightings.values())
    while queue:
        sight = queue.pop(0)
        sight.links = sg.links_of(sight.res)
        for kind, uri in sight.links:
            if uri in sightings:
                continue
            res = bmc.resource(sg.CLASSES[kind], uri, kind)
            if res is not None:
                queue.append(_add(sightings, res, f"linked from {sight.uri}"))
    return list(sightings.values())


def _add(sightings, res, place):
    sight = sightings.get(res.uri)
    if sight is None:
        sight = sightings[res.uri] = sg.Sighting(res, [place])
    elif place not in sight.places:
        sight.places.append(place)
    return sight


def group(sightings, chassis=()):
    """Lists of sightings, one list per physical device, in first-seen order."""
    by_uri = {s.uri: s for s in sightings}
    groups = _Groups(sightings)
    for sight in sightings:
        for _kind, uri in sight.links:
            if uri in by_uri:
                groups.union(sight.uri, uri)
    for ch in chassis:
        if (ch.chassis_type or "").lower() not in MODULE_CHASSIS:
            continue
        procs = [p.uri for p in ch.processors if p.uri in by_uri]
        devs = [d.uri for d in ch.pcie_devices if d.uri in by_uri]
        if len(procs) == 1 and len(devs) == 1:
            groups.union(procs[0], devs[0])
    for attr in ("serial_number", "uuid"):
        for members in _identifying(sightings, attr):
            for other in members[1:]:
                groups.union(members[0].uri, other.uri)
    out = {}
    for sight in sightings:
        out.setdefault(groups.find(sight.uri), []).append(sight)
    return list(out.values())


def _identifying(sightings, attr):
    """Sightings sharing a value of ``attr`` that identifies one resource per place."""
    by_value = {}
    for sight in sightings:
        value = getattr(sight.res, attr)
        if value:
            by_value.setdefault(value.strip().lower(), []).append(sight)
    for members in by_value.values():
        if len(members) < 2:
            continue
        places = [(s.kind, p) for s in members for p in s.places[:1]]
        if len(places) != len(set(places)):
            continue  # two resources of one kind in one place share it: not an identity
        yield members
