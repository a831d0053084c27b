"""``Chassis/<id>/NetworkAdapters`` (DPUs, SmartNICs) and their ``Processors`` (the FPGA
of a SmartNIC)."""

from ironic_fpga.redfish.inventory import classify


def read(scope):
    for chassis in scope.chassis:
        for adapter in chassis.network_adapters:
            place = f"Chassis/{chassis.identity}/NetworkAdapters"
            yield adapter, place
            for proc in adapter.processors:
                if classify.maybe_accelerator(proc):
                    yield proc, f"{place}/{adapter.identity}/Processors"
