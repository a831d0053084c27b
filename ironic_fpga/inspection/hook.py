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
* the inventory is pushed to accel_api when ``[accel_api] url`` is set.
"""

from ironic import objects
from ironic.common import exception
from ironic.drivers.modules.inspector.hooks import base
from oslo_config import cfg
from oslo_log import log as logging

from accel_contract import inventory as contract
from accel_contract.errors import AccelError, InventoryError
from ironic_fpga.conf import inspection as conf_inspection
from ironic_fpga.inspection import push, rules

LOG = logging.getLogger(__name__)
CONF = cfg.CONF
conf_inspection.register_opts(CONF)

#: Where the hook remembers what it set, so re-inspection can take it back.
STATE_KEY = "accel_inspection"
#: Ironic's own limit of traits on one node.
IRONIC_MAX_TRAITS = 50


def _opts():
    return CONF[conf_inspection.GROUP]


def parse_capabilities(text):
    """Ironic's ``"k1:v1,k2:v2"`` capabilities string -> ordered dict."""
    caps = {}
    if isinstance(text, dict):
        return dict(text)
    for item in str(text or "").split(","):
        if ":" in item:
            key, value = item.split(":", 1)
            caps[key.strip()] = value.strip()
    return caps


def format_capabilities(caps):
    return ",".join(f"{k}:{v}" for k, v in caps.items())


def _plain_hex(value):
    return str(value or "").lower().removeprefix("0x")


def accelerators_property(doc):
    """``properties['accelerators']``: the built-in hook's shape plus our fields."""
    out = []
    for device in doc["devices"]:
        traits = list(device.get("traits", []))
        for dep in device["deployables"]:
            traits.extend(t for t in dep["traits"] if t not in traits)
        out.append({
            "vendor_id": _plain_hex(device["vendor_id"]),
            "device_id": _plain_hex(device["device_id"]),
            "type": device["type"],
            "device_info": device.get("product") or device["model"],
            "pci_address": device["id"],
            "model": device["model"],
            "vendor": device.get("vendor"),
            "driver": device["driver"],
            "numa_node": device.get("numa_node"),
            "firmware": {fw["component"]: fw["version"] for fw in device.get("firmware", [])},
            "traits": traits,
        })
    return out


def inventory_traits(doc, rule_traits=()):
    """Device traits (what a card is), rule traits, then deployable traits (regions, functions).

    This order is the priority when Ironic's 50-trait limit forces a cut.
    """
    traits = []
    for device in doc["devices"]:
        for trait in device.get("traits", []):
            if trait not in traits:
                traits.append(trait)
    traits += [t for t in rule_traits if t not in traits]
    for device in doc["devices"]:
        for dep in device["deployables"]:
            for trait in dep["traits"]:
                if trait not in traits:
                    traits.append(trait)
    return traits


def type_capabilities(doc):
    counts = {}
    for device in doc["devices"]:
        if device["type"] in ("NIC", "FABRIC"):
            continue
        key = f"accel_{device['type'].lower()}_count"
        counts[key] = counts.get(key, 0) + 1
    return {k: str(v) for k, v in counts.items()}


class Plan:
    """What the node should carry for one inventory (computed before any change)."""

    def __init__(self, doc, rule_list):
        rule_traits, rule_caps, self.matched_rules = rules.apply(rule_list, doc)
        self.traits = inventory_traits(doc, rule_traits)
        self.capabilities = type_capabilities(doc) if _opts().set_capabilities else {}
        self.capabilities.update(rule_caps)
        self.accelerators = accelerators_property(doc)
        self.hostname = doc["host"]["hostname"]


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
            Plan(doc, rules.load(_opts().rules_file))
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
        plan = Plan(doc, rules.load(_opts().rules_file))
        self._push(task, doc, plan)
        node = task.node
        state = dict(node.driver_internal_info.get(STATE_KEY) or {})
        ours = self._converge_traits(task, state.get("traits", []), plan.traits)
        caps = parse_capabilities(node.properties.get("capabilities"))
        for key in state.get("capabilities", []):
            caps.pop(key, None)
        caps.update(plan.capabilities)
        props = dict(node.properties)
        if caps:
            props["capabilities"] = format_capabilities(caps)
        else:
            props.pop("capabilities", None)
        props["accelerators"] = plan.accelerators
        node.properties = props
        node.set_driver_internal_info(STATE_KEY, {
            "traits": ours,
            "capabilities": sorted(plan.capabilities),
            "rules": plan.matched_rules,
            "collected_at": doc.get("collected_at"),
        })
        node.save()
        LOG.info("Node %(node)s: %(n)d accelerator(s), traits %(traits)s, capabilities "
                 "%(caps)s", {"node": node.uuid, "n": len(plan.accelerators),
                              "traits": ours, "caps": plan.capabilities})

    def _converge_traits(self, task, previous, wanted):
        node = task.node
        ctx = task.context
        existing = {t.trait for t in (node.traits or [])}
        previous = set(previous)
        for trait in sorted((previous - set(wanted)) & existing):
            try:
                objects.Trait.destroy(ctx, node_id=node.id, trait=trait)
            except exception.NodeTraitNotFound:
                pass
            existing.discard(trait)
        operator = existing - previous
        budget = min(_opts().max_traits, IRONIC_MAX_TRAITS - len(operator))
        ours = [t for t in wanted if t not in operator]
        if len(ours) > budget:
            LOG.warning("Node %(node)s: %(n)d accelerator traits but room for %(b)d; "
                        "dropping %(dropped)s", {"node": node.uuid, "n": len(ours),
                                                 "b": budget, "dropped": ours[budget:]})
            for trait in ours[budget:]:
                if trait in existing and trait in previous:
                    objects.Trait.destroy(ctx, node_id=node.id, trait=trait)
            ours = ours[:max(budget, 0)]
        for trait in ours:
            if trait not in existing:
                objects.Trait(ctx, node_id=node.id, trait=trait).create()
        return ours

    def _push(self, task, doc, plan):
        if not CONF[conf_inspection.API_GROUP].url:
            return
        try:
            status = push.push_inventory(CONF, plan.hostname, doc)
            LOG.info("Pushed the accelerator inventory of node %s to accel_api (HTTP %s)",
                     task.node.uuid, status)
        except AccelError as exc:
            if CONF[conf_inspection.API_GROUP].strict:
                raise exception.HardwareInspectionFailure(error=str(exc)) from None
            LOG.error("Node %(node)s: accelerator inventory not pushed to accel_api "
                      "(inspection goes on; set [accel_api] strict to fail it): %(err)s",
                      {"node": task.node.uuid, "err": exc})
