"""Dell iDRAC's ``Systems/<id>/Oem/Dell/DellVideo``: per GPU FQDD its firmware version,
PCI ids and address (the standard ``Processors/Video.Slot.<n>-<m>`` has none)."""

from ironic_fpga.redfish.inventory import resources as rs


def read(scope):
    for system in scope.systems:
        oem = ((system.json.get("Links") or {}).get("Oem") or {}).get("Dell") or {}
        collection = oem.get("DellVideoCollection")
        if not isinstance(collection, dict):
            continue
        for video in system._children(rs.DellVideo, collection, "Dell video controller"):
            yield video, f"Systems/{system.identity}/Oem/Dell/DellVideo"
