"""One reader per place a BMC puts an accelerator.

Each reader is ``read(scope) -> iterable of (resource, place)``; ``place`` names the
place for the operator (``Systems/<id>/Processors``...). A resource may be found in
several places (a GPU under the system's processors and a chassis' processors); the
de-duplicator keeps it once.
"""

from ironic_fpga.redfish.inventory.places import (
    adapters,
    chassis_processors,
    connected,
    dpu_systems,
    graphics,
    oem_dell,
    pcie,
    system_processors,
)

#: Every reader, in the order their sightings are reported (processors first: they
#: name the device best).
READERS = (system_processors, chassis_processors, adapters, graphics, pcie, dpu_systems,
           connected, oem_dell)
