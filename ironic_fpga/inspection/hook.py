"""Inspection hook ``accelerators_ext``: the ramdisk's accelerator inventory onto the node.

``preprocess()`` validates the document (accel_contract.inventory) and the
operator rules, so a bad or hostile document fails inspection before any hook
changes the node. ``__call__()`` then converges the node:

* traits: the inventory's device and deployable traits plus rule traits. The
  traits this hook set last time are remembered in
  ``driver_internal_info['accel_inspection']``; those no longer found are
  removed, traits the operator set are never touched;
* capabilities: ``accel_<type>_count:<n>`` and rule capabilities (ours tracked
  the same way);
* ``properties['accelerators']``: the list Ironic's built-in ``accelerators``
  hook writes (``vendor_id``, ``device_id``, ``type``, ``device_info``,
  ``pci_address``) extended with ``model``, ``driver``, ``numa_node``,
  ``firmware`` (component -> version) and ``traits``;
* the inventory is pushed to accel_api when ``[accel_api] url`` is set, as the host
  named after the node (``[accel_api] host_identity``: its name or uuid, never the
  ramdisk's hostname), declared standalone (no Nova compute node for it).

What the node ends with is the merge of this record and the one out-of-band
inspection (``accelerators_bmc``) stored, if it ran (``ironic_fpga.inspection.merge``:
in-band is authoritative for what it read), so neither undoes the other.
"""

from ironic.common import exception
from ironic.drivers.modules.inspector.hooks import base
from oslo_config import cfg
from oslo_log import log as logging

from accel_contract import inventory as contract
from accel_contract.errors import AccelError, InventoryError
from ironic_fpga.conf import inspection as conf_inspection
from ironic_fpga.inspection import converge, merge, push, rules
from ironic_fpga.inspection.converge import IRONIC_MAX_TRAITS, STATE_KEY  # noqa: F401
from ironic_fpga.inspection.plan import (  # noqa: F401  (re-exported)
    Plan,
    accelerators_property,
    format_capabilities,
    inventory_traits,
    parse_capabilities,
    type_capabilities,
)

LOG = logging.getLogger(__name__)
CONF = cfg.CONF
conf_inspection.register_opts(CONF)


def _opts():
    return CONF[conf_inspection.GROUP]


def _plan(doc):
    return Plan(doc, rules.load(_opts().rules_file), _opts().set_capabilities)


class AcceleratorsExtHook(base.InspectionHook):
    """Apply the ironic-accel inventory (plugin data ``accelerators_inventory``)."""

    dependencies = []

    def _document(self, task, plugin_data):
        key = _opts().plugin_data_key
        doc = plugin_data.get(key)
        if doc is None:
            if _opts().require_inventory:
                raise exception.InvalidNodeInventory(
                    node=task.node.uuid,
                    reason=f"no accelerator inventory in plugin data key {key!r} "
                    "(is the 'accelerators' collector enabled in the ramdisk?)")
            return None
        return doc

    def preprocess(self, task, inventory, plugin_data):
        doc = self._document(task, plugin_data)
        if doc is None:
            return
        try:
            contract.validate(doc)
            _plan(doc)
        except InventoryError as exc:
            raise exception.InvalidNodeInventory(node=task.node.uuid, reason=str(exc)) from None
        except rules.RulesError as exc:
            raise exception.InvalidNodeInventory(
                node=task.node.uuid, reason=f"accelerator rules: {exc}") from None

    def __call__(self, task, inventory, plugin_data):
        doc = self._document(task, plugin_data)
        if doc is None:
            LOG.info("No accelerator inventory for node %s; accelerator traits unchanged",
                     task.node.uuid)
            return
        plan = _plan(doc)
        self._push(task, doc)
        merged = converge.apply(task, merge.INBAND, {
            "traits": plan.traits,
            "capabilities": plan.record_capabilities,
            "accelerators": plan.accelerators,
            "rules": plan.matched_rules,
            "collected_at": doc.get("collected_at"),
        }, max_traits=_opts().max_traits, set_capabilities=_opts().set_capabilities)
        LOG.info("Node %(node)s: %(n)d accelerator(s) in-band, %(m)d in all; traits "
                 "%(traits)s, capabilities %(caps)s",
                 {"node": task.node.uuid, "n": len(plan.accelerators),
                  "m": len(merged["accelerators"]), "traits": merged["applied_traits"],
                  "caps": merged["capabilities"]})

    def _push(self, task, doc):
        if not CONF[conf_inspection.API_GROUP].url:
            return
        try:
            hostname = push.node_hostname(CONF, task.node)
            status = push.push_inventory(CONF, hostname, push.node_document(doc, hostname))
            LOG.info("Pushed the accelerator inventory of node %s to accel_api as host %s "
                     "(HTTP %s)", task.node.uuid, hostname, status)
        except AccelError as exc:
            if CONF[conf_inspection.API_GROUP].strict:
                raise exception.HardwareInspectionFailure(error=str(exc)) from None
            LOG.error("Node %(node)s: accelerator inventory not pushed to accel_api "
                      "(inspection goes on; set [accel_api] strict to fail it): %(err)s",
                      {"node": task.node.uuid, "err": exc})
