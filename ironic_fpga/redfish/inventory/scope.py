"""Which system is the node's, and which other systems and chassis belong to it.

A BMC may serve several systems: a DGX host ``DGX`` beside its GPU baseboard
``HGX_Baseboard_0``, a host beside its DPUs' SoCs (``SystemType: DPU``), a composable
or CXL rack with many hosts. The node's accelerators are read from its own system,
the *companion* systems that are part of the same machine (GPU baseboards, DPUs) and
the chassis that belong to it:

* chassis the system links (``Links.Chassis``) and every chassis they contain;
* when the BMC serves a single host, also the chassis that link the system
  (``Links.ComputerSystems``) and every other chassis, unless it (or a chassis
  containing it) is linked to another system.

With no ``redfish_system_id`` the only system is used; GPU baseboards and DPUs do not
count as hosts, so a DGX BMC resolves to its host. Several hosts: a clear error.
"""

from __future__ import annotations

import dataclasses

from ironic_fpga.redfish import errors
from ironic_fpga.redfish.inventory import resources as rs
from ironic_fpga.redfish.inventory.bmc import normalize

#: Ids of systems that are a GPU baseboard of the host (NVIDIA HGX behind a host BMC).
BASEBOARD_PREFIXES = ("HGX_Baseboard",)
#: Service roots of NVIDIA BlueField BMCs (the only system is the DPU's Arm SoC, and
#: it says SystemType Physical).
DPU_PRODUCTS = ("nvidia-bmcmezz", "bluefield")


def is_dpu_system(system, root=None):
    """A DPU's SoC: ``SystemType: DPU``, or the system of a BlueField BMC."""
    if (system.system_type or "").upper() == "DPU":
        return True
    product = ((root.product or "") if root is not None else "").lower()
    if any(p in product for p in DPU_PRODUCTS):
        return True
    return (system.identity or "").lower() == "bluefield" or "bluefield" in (
        system.model or "").lower()


def is_baseboard(system):
    return (system.identity or "").startswith(BASEBOARD_PREFIXES)


@dataclasses.dataclass
class Scope:
    bmc: object
    root: rs.ServiceRoot
    system: rs.ComputerSystem
    #: other systems of the same machine: GPU baseboards and DPUs
    companions: list
    chassis: list

    @property
    def systems(self):
        return [self.system] + self.companions

    @property
    def dpus(self):
        """DPU systems: DPU companions, and the node's own system on a BlueField BMC."""
        return [s for s in self.systems
                if is_dpu_system(s, self.root if s is self.system else None)]


def _systems_uri(root):
    return root.systems_uri or normalize(f"{root.uri}/Systems")


def _readable(bmc, uris):
    """The systems at ``uris`` the BMC answers for (``BMC.resource`` warns of the rest)."""
    return [s for s in (bmc.resource(rs.ComputerSystem, u, "system") for u in uris) if s]


def choose_system(bmc, root, system_id):
    """(the node's system, every readable system of the BMC)."""
    members = bmc.members(_systems_uri(root))
    systems = _readable(bmc, members)
    if system_id:
        wanted = normalize(system_id) if str(system_id).startswith("/") else \
            f"{_systems_uri(root)}/{system_id}"
        for system in systems:
            if system.uri == wanted:
                return system, systems
        try:  # not listed, but there (a BMC hiding some members)
            system = rs.ComputerSystem(bmc, wanted)
        except errors.DeviceNotFound:
            names = ", ".join(m.rsplit("/", 1)[-1] for m in members) or "none"
            raise errors.SystemNotFound(
                f"the BMC has no system {system_id} (it has: {names}); fix driver_info "
                "redfish_system_id") from None
        return system, [system] + systems
    if not systems:
        raise errors.SystemNotFound("the BMC lists no readable system; check that it has "
                                    "finished booting and that the account may see systems")
    if len(systems) == 1:
        return systems[0], systems
    hosts = _hosts(systems)
    if len(hosts) == 1:
        return hosts[0], systems
    names = ", ".join(s.identity or s.uri for s in systems)
    raise errors.SystemNotFound(
        f"the BMC serves {len(systems)} systems ({names}) and the node does not say which "
        "is its own: set driver_info redfish_system_id to one of them")


def _hosts(systems):
    return [s for s in systems if not is_baseboard(s) and (s.system_type or "").upper()
            != "DPU"]


def resolve(bmc, system_id):
    """The Scope of the node whose system is ``system_id`` (None: the only one)."""
    root = rs.ServiceRoot(bmc, "/redfish/v1")
    system, systems = choose_system(bmc, root, system_id)
    single_host = len(_hosts(systems)) <= 1
    if single_host:
        chassis = _all_chassis(bmc, root)
    else:  # a rack or a many-host emulator: only what the node's systems lead to
        chassis = _reachable(bmc, [system] + [s for s in systems if s is not system and (
            is_baseboard(s) or is_dpu_system(s))])
    mine = _chassis_of([system], chassis, systems, single_host)
    companions = []
    for other in systems:
        if other.uri == system.uri or not (is_baseboard(other) or is_dpu_system(other)):
            continue
        if single_host or set(other.chassis) & {c.uri for c in mine}:
            companions.append(other)
    scoped = _chassis_of([system] + companions, chassis, systems, single_host)
    return Scope(bmc, root, system, companions, scoped)


def _all_chassis(bmc, root):
    try:
        uris = bmc.members(root.chassis_uri) if root.chassis_uri else []
    except errors.DeviceNotFound:
        bmc.warn(f"the BMC links the chassis collection {root.chassis_uri} but answers 404 "
                 "for it; only the system's own resources are read")
        uris = []
    return [c for c in (bmc.resource(rs.Chassis, u, "chassis") for u in uris) if c]


def _reachable(bmc, systems):
    """The chassis the systems link, and every chassis those contain."""
    out, seen = [], set()
    queue = [u for s in systems for u in s.chassis]
    while queue:
        uri = queue.pop(0)
        if uri in seen:
            continue
        seen.add(uri)
        res = bmc.resource(rs.Chassis, uri, "chassis")
        if res is not None:
            out.append(res)
            queue.extend(res.contains)
    return out


def _chassis_of(own, chassis, systems, single_host):
    own_uris = {s.uri for s in own}
    other_uris = {s.uri for s in systems} - own_uris
    by_uri = {c.uri: c for c in chassis}
    linked = set()
    for sys in own:
        linked.update(sys.chassis)
    for c in chassis:
        if own_uris & set(c.computer_systems):
            linked.add(c.uri)

    def containers(c):
        seen = []
        while c is not None and c.uri not in seen:
            seen.append(c.uri)
            c = by_uri.get(c.contained_by) if c.contained_by else None
        return seen

    contains = {}
    for c in chassis:
        for child in c.contains:
            contains.setdefault(c.uri, set()).add(child)
        if c.contained_by:
            contains.setdefault(c.contained_by, set()).add(c.uri)

    def below(uri, acc):
        for child in contains.get(uri, ()):
            if child not in acc:
                acc.add(child)
                below(child, acc)
        return acc

    members = set()
    for uri in linked:
        members.add(uri)
        below(uri, members)
    if single_host:
        for c in chassis:
            if c.uri in members:
                continue
            chain = containers(c)
            if not any(other_uris & set(by_uri[u].computer_systems) for u in chain
                       if u in by_uri):
                members.add(c.uri)
    return [c for c in chassis if c.uri in members]
