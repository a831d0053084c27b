"""PCIe devices: the system's ``PCIeDevices`` (links into chassis, or a collection),
the devices of its ``PCIeFunctions``, and every scoped chassis' ``PCIeDevices``
(Supermicro's HGX GPUs exist only there; CXL devices too)."""

from ironic_fpga.redfish.inventory import resources as rs


def read(scope):
    for system in scope.systems:
        place = f"Systems/{system.identity}/PCIeDevices"
        for dev in system.pcie_devices:
            yield dev, place
        for fn in system.pcie_functions:
            uri = fn.device_uri
            dev = scope.bmc.resource(rs.PCIeDevice, uri, "PCIe device") if uri else None
            if dev is not None:
                yield dev, f"Systems/{system.identity}/PCIeFunctions"
    for chassis in scope.chassis:
        for dev in chassis.pcie_devices:
            yield dev, f"Chassis/{chassis.identity}/PCIeDevices"
