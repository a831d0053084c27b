"""Hardware type ``redfish-accel``: Ironic's ``redfish`` type plus the ``redfish-accel``
firmware interface.

Why a new hardware type: Ironic's driver factory accepts an interface for a node only if
its class is *exactly* one of the hardware type's ``supported_firmware_interfaces``
(``ironic/common/driver_factory.py``), so a ``redfish`` node cannot load a firmware
interface registered by another package, even a subclass of Ironic's own. This type
adds ours in front of Ironic's, and the ``redfish-accel`` inspect interface (Ironic's
``redfish`` one, tolerating a BMC that lists no processor) after Ironic's; every other
interface is ``redfish``'s, unchanged.
"""

from ironic.drivers import redfish

from ironic_fpga import firmware_interface, inspect_interface


class RedfishAccelHardware(redfish.RedfishHardware):
    """Redfish hardware whose firmware interface also updates accelerators."""

    @property
    def supported_firmware_interfaces(self):
        return [firmware_interface.RedfishAccelFirmware] + list(
            super().supported_firmware_interfaces)

    @property
    def supported_inspect_interfaces(self):
        # After Ironic's own: ``redfish`` stays the default.
        return list(super().supported_inspect_interfaces) + [
            inspect_interface.RedfishAccelInspect]
