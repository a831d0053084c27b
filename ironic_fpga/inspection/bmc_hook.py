"""Inspection hook ``accelerators_bmc``: the BMC's view of a node's accelerators.

For Ironic's out-of-band ``redfish`` inspect interface (``[redfish] inspection_hooks =
$default_inspection_hooks,accelerators_bmc``): no ramdisk boots; the hook reads the
node's accelerators from its BMC through ``ironic_fpga.redfish`` (every place a BMC
puts one, each device once, with every firmware version) and converges the node's
traits, ``accel_<type>_count`` capabilities and ``properties['accelerators']`` with
what in-band inspection (``accelerators_ext``) wrote, if it ran: see
``ironic_fpga.inspection.merge`` for which source wins each field. Operator rules
(``[accel_inspection] rules_file``) apply to the BMC's devices too. The devices read are
kept in the inspection's plugin data (``accelerators_bmc``).

A node whose ``driver_info`` has no ``redfish_address`` is left unchanged (logged).
A BMC that cannot be read fails the inspection with the reason.
"""

from ironic.common import exception
from ironic.drivers.modules.inspector.hooks import base
from oslo_config import cfg
from oslo_log import log as logging

from ironic_fpga.conf import inspection as conf_inspection
from ironic_fpga.inspection import converge, merge, rules
from ironic_fpga.inspection.plan import BmcPlan
from ironic_fpga.redfish import client, errors, ironic_node

LOG = logging.getLogger(__name__)
CONF = cfg.CONF
conf_inspection.register_opts(CONF)
#: Plugin data key where the devices read from the BMC are kept.
PLUGIN_DATA_KEY = "accelerators_bmc"


def _opts():
    return CONF[conf_inspection.GROUP]


class AcceleratorsBmcHook(base.InspectionHook):
    """Accelerators from the node's BMC, merged with the in-band inventory."""

    dependencies = []

    def _read(self, task):
        node = task.node
        root = None
        try:
            root, info = ironic_node.connect(node)
            return client.read_accelerators(root, info["system_id"])
        except errors.RedfishAccelError as exc:
            raise exception.HardwareInspectionFailure(
                error=f"cannot read the accelerators of node {node.uuid} from its BMC: "
                f"{exc}") from None
        except (exception.InvalidParameterValue, exception.MissingParameterValue) as exc:
            raise exception.HardwareInspectionFailure(
                error=f"node {node.uuid}: the BMC cannot be reached for accelerators with "
                f"this driver_info: {exc}") from None
        finally:
            if root is not None:
                client.close(root)

    def preprocess(self, task, inventory, plugin_data):
        try:
            rules.load(_opts().rules_file)
        except rules.RulesError as exc:
            raise exception.InvalidNodeInventory(
                node=task.node.uuid, reason=f"accelerator rules: {exc}") from None

    def __call__(self, task, inventory, plugin_data):
        node = task.node
        if not (node.driver_info or {}).get("redfish_address"):
            LOG.info("Node %s has no redfish_address: no accelerators read from a BMC",
                     node.uuid)
            return
        accelerators = self._read(task)
        plan = BmcPlan(accelerators, rules.load(_opts().rules_file))
        plugin_data[PLUGIN_DATA_KEY] = [
            {k: acc.get(k) for k in ("id", "type", "vendor_id", "device_id", "vendor",
                                     "model", "product", "serial", "pci_address", "uri",
                                     "uris", "places")}
            | {"firmware": [{k: fw.get(k) for k in ("component", "version", "updatable",
                                                      "update_target", "source",
                                                      "not_updatable_reason")}
                            for fw in acc["firmware"]]}
            for acc in accelerators]
        merged = converge.apply(task, merge.BMC, {
            "traits": plan.traits,
            "capabilities": plan.rule_capabilities,
            "accelerators": plan.accelerators,
            "rules": plan.matched_rules,
        }, max_traits=_opts().max_traits, set_capabilities=_opts().set_capabilities)
        LOG.info("Node %(node)s: %(n)d accelerator(s) on the BMC, %(m)d in all; traits "
                 "%(traits)s, capabilities %(caps)s",
                 {"node": node.uuid, "n": len(accelerators), "m": len(merged["accelerators"]),
                  "traits": merged["applied_traits"], "caps": merged["capabilities"]})
