"""``Systems/<id>/Processors`` of the node's system and its companions (GPU baseboards)."""

from ironic_fpga.redfish.inventory import classify


def read(scope):
    for system in scope.systems:
        if system is not scope.system and system in scope.dpus:
            continue  # a DPU's own Arm cores are not accelerators of the host
        for proc in system.processors:
            if classify.maybe_accelerator(proc):
                yield proc, f"Systems/{system.identity}/Processors"
