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

    def _detect_local_gb(self, task, system):
        try:
            return super()._detect_local_gb(task, system)
        except (sushy.exceptions.SushyError, TypeError, ValueError) as exc:
            LOG.warning("Node %s: local disk size not inspected, the BMC's storage cannot "
                        "be read: %s", task.node.uuid, exc)
            return 0

    def _get_interface_info(self, task, system):
        try:
            return super()._get_interface_info(task, system)
        except sushy.exceptions.SushyError as exc:
            LOG.warning("Node %s: no network interfaces inspected, the BMC lists none: %s",
                        task.node.uuid, exc)
            return []

    def _get_simple_disks(self, system):
        try:
            return super()._get_simple_disks(system)
        except (sushy.exceptions.SushyError, TypeError, ValueError) as exc:
            LOG.warning("System %s: disks left out of the inspection, the BMC's storage "
                        "cannot be read: %s", system.identity, exc)
            return []

    def _get_storage_controllers(self, task, system):
        try:
            return super()._get_storage_controllers(task, system)
        except (sushy.exceptions.SushyError, TypeError, ValueError) as exc:
            LOG.warning("Node %s: storage controllers left out of the inspection, the "
                        "BMC's storage cannot be read: %s", task.node.uuid, exc)
            return []
