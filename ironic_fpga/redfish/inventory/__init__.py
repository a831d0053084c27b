"""Read every accelerator of a system from its BMC, each once, with all its firmware.

``read(conn, system_id)`` runs: ``scope`` (the node's system, its GPU baseboards and
DPUs, its chassis) -> every reader of ``places`` -> ``dedupe`` (one group per physical
device) -> ``mapper`` + ``firmware`` (contract terms). See docs/redfish.rst for the
layouts this reads and how each names a firmware component.
"""

from __future__ import annotations

import dataclasses

from ironic_fpga.redfish import errors
from ironic_fpga.redfish.inventory import dedupe, firmware, mapper, places, scope
from ironic_fpga.redfish.inventory import resources as rs
from ironic_fpga.redfish.inventory.bmc import BMC


@dataclasses.dataclass
class Inventory:
    system: str
    accelerators: list
    #: the UpdateService (None when the BMC has none)
    update_service: dict | None
    #: why nothing can be updated on this BMC (no UpdateService...), else None
    no_update_reason: str | None
    warnings: list
    requests: int


def _update_service(bmc, root):
    """(UpdateService resource or None, FirmwareInventory entries, reason if none)."""
    if not root.update_service_uri:
        return None, [], "the BMC has no UpdateService: firmware versions can be read, not set"
    try:
        service = rs.UpdateService(bmc, root.update_service_uri)
    except errors.DeviceNotFound:
        return None, [], (f"the BMC links an UpdateService ({root.update_service_uri}) "
                          "but answers 404 for it")
    if not service.firmware_inventory_uri:
        return service, [], "the BMC's UpdateService has no FirmwareInventory"
    return service, service.firmware_inventory, None


def read(conn, system_id=None, bmc=None):
    """The ``Inventory`` of the system ``system_id`` (an Id, a URI, or None for the only
    system) behind the sushy connector ``conn``. Raises the typed errors."""
    bmc = bmc or BMC(conn)
    where = scope.resolve(bmc, system_id)
    found = []
    for reader in places.READERS:
        found.extend(reader.read(where))
    sightings = dedupe.collect(bmc, found)
    groups = []
    for group in dedupe.group(sightings, where.chassis):
        kind, entry, fn = mapper.classification(group)
        if kind:
            groups.append((group, kind, entry, fn))
    service, entries, no_update = _update_service(bmc, where.root)
    owners = [firmware.Owner(g, mapper.owned_chassis(g, where.chassis))
              for g, *_ in groups]
    assigned = firmware.assign(entries, owners)
    accelerators = [
        mapper.accelerator(group, kind, entry, fn,
                           firmware.components(group, assigned.get(i, []), no_update))
        for i, (group, kind, entry, fn) in enumerate(groups)]
    return Inventory(system=where.system.uri, accelerators=mapper.unique_names(accelerators),
                     update_service=service.json if service is not None else None,
                     no_update_reason=no_update, warnings=list(bmc.warnings),
                     requests=bmc.requests)
