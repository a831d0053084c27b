"""Ironic inspect interface ``redfish-accel``: Ironic's ``redfish`` inspect interface,
also for BMCs whose layout Ironic 39's own code trips on before any hook runs.

* Ironic reads the first member of the system's Processors collection without checking
  there is one: a BMC whose system lists none (an NVIDIA BlueField DPU's BMC,
  ``Systems/Bluefield/Processors`` is empty) fails with ``IndexError``. Here such a
  system has no CPU (``cpu_arch`` must then already be in the node's properties, as
  Ironic requires it).
* sushy refuses a Storage resource whose controllers lack ``MemberId`` (DMTF's
  ``public-tower``), a BlueField BMC's storage makes Ironic's disk listing fail with
  ``TypeError``, and Ironic lets either fail the whole inspection. Here the disks,
  storage controllers and local disk size such a BMC shows are left out, with a warning.
* A system without ``EthernetInterfaces`` (the emulator's, a DPU's) fails Ironic's
  interface listing (``MissingAttributeError``). Here it has no interfaces.

Not tolerated (Ironic's ``inspect_hardware`` itself reads it): a system without
``Boot`` (DMTF's ``public-cxl-multiswitch`` hosts).

Everything else, inspection hooks included (``[redfish] inspection_hooks``), is Ironic's.
"""

import sushy
from ironic.drivers.modules.redfish import inspect as redfish_inspect
from oslo_log import log

LOG = log.getLogger(__name__)


#: What Ironic's reading of a BMC layout it does not expect raises.
_UNREADABLE = (sushy.exceptions.SushyError, TypeError, ValueError)


def _tolerating(name, fallback, what):
    """An override of ``RedfishInspect.<name>`` answering ``fallback`` (with a warning)
    where Ironic's own raises on the BMC's answer."""
    def method(self, *args):
        try:
            return getattr(super(RedfishAccelInspect, self), name)(*args)
        except _UNREADABLE as exc:
            LOG.warning("%s left out of the inspection: the BMC's answer cannot be read "
                        "(%s)", what.capitalize(), exc)
            return type(fallback)(fallback)
    method.__name__ = name
    return method


class RedfishAccelInspect(redfish_inspect.RedfishInspect):
    """Ironic's Redfish inspection, tolerating an empty Processors collection."""

    def _get_processor_info(self, task, system):
        try:
            members = system.processors.get_members() if system.processors else []
        except sushy.exceptions.SushyError:
            members = []
        if not members:
            return {}
        return super()._get_processor_info(task, system)

    _detect_local_gb = _tolerating("_detect_local_gb", 0, "the local disk size")
    _get_interface_info = _tolerating("_get_interface_info", [], "network interfaces")
    _get_simple_disks = _tolerating("_get_simple_disks", [], "disks")
    _get_storage_controllers = _tolerating("_get_storage_controllers", [],
                                           "storage controllers")
