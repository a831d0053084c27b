"""``Links.ConnectedProcessors``: processors reached from another processor (a CPU's
attached GPU, a GPU's partner), wherever they live; followed transitively, each once."""

from ironic_fpga.redfish.inventory import classify
from ironic_fpga.redfish.inventory import resources as rs


def read(scope):
    queue = [p for s in scope.systems for p in s.processors]
    for chassis in scope.chassis:
        queue += chassis.processors
    seen = {p.uri for p in queue}
    while queue:
        proc = queue.pop(0)
        for uri in proc.connected_processors:
            if uri in seen:
                continue
            seen.add(uri)
            other = scope.bmc.resource(rs.Processor, uri, "connected processor")
            if other is None:
                continue
            queue.append(other)
            if classify.maybe_accelerator(other):
                yield other, f"{proc.uri.removeprefix('/redfish/v1/')}/Links.ConnectedProcessors"
