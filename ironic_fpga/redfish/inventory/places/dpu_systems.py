"""DPU systems: ``SystemType: DPU`` beside the host, or the node's own system on a
BlueField BMC (whose only system is the DPU's SoC, typed ``Physical``)."""


def read(scope):
    for system in scope.dpus:
        yield system, "Systems"
