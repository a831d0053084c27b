"""``Chassis/<id>/Processors`` (CXL devices, GPU modules) and ``Links.Processors``."""

from ironic_fpga.redfish.inventory import classify


def read(scope):
    for chassis in scope.chassis:
        for proc in chassis.processors:
            if classify.maybe_accelerator(proc):
                yield proc, f"Chassis/{chassis.identity}/Processors"
