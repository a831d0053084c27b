"""Bring a node to the merged accelerator state of its inspections (in-band and BMC).

``driver_internal_info['accel_inspection']`` keeps each source's record (``sources``)
and what was applied (``traits``, ``capabilities`` keys), so an inspection takes back
only what no source wants any more, never the operator's own traits or capabilities.
"""

from __future__ import annotations

from ironic import objects
from ironic.common import exception
from oslo_log import log as logging

from ironic_fpga.inspection import merge
from ironic_fpga.inspection.plan import format_capabilities, parse_capabilities

LOG = logging.getLogger(__name__)

#: Where the hooks remember what they set, so re-inspection can take it back.
STATE_KEY = "accel_inspection"
#: Ironic's own limit of traits on one node.
IRONIC_MAX_TRAITS = 50
_TYPE_COUNT = ("accel_", "_count")


def records(node):
    """The stored record of each source; a state written before there were two sources
    is the in-band record."""
    state = node.driver_internal_info.get(STATE_KEY) or {}
    if "sources" in state:
        return {k: dict(v) for k, v in state["sources"].items()}
    if not state:
        return {}
    caps = parse_capabilities(node.properties.get("capabilities"))
    return {merge.INBAND: {
        "traits": list(state.get("traits") or []),
        "capabilities": {k: caps[k] for k in state.get("capabilities") or []
                         if k in caps and not (k.startswith(_TYPE_COUNT[0])
                                               and k.endswith(_TYPE_COUNT[1]))},
        "accelerators": list(node.properties.get("accelerators") or []),
        "rules": list(state.get("rules") or []),
        "collected_at": state.get("collected_at"),
    }}


def apply(task, source, record, max_traits=IRONIC_MAX_TRAITS, set_capabilities=True):
    """Store ``record`` as ``source``'s and converge the node; returns the merged state."""
    node = task.node
    state = node.driver_internal_info.get(STATE_KEY) or {}
    sources = records(node)
    sources[source] = record
    merged = merge.merge(sources, set_capabilities=set_capabilities)
    ours = converge_traits(task, state.get("traits") or [], merged["traits"], max_traits)
    # Ironic's redfish inspect interface writes back the properties dict it read before
    # the hooks ran: change that very dict, so what the hooks set survives.
    props = node.properties
    caps = parse_capabilities(props.get("capabilities"))
    for key in state.get("capabilities") or []:
        caps.pop(key, None)
    caps.update(merged["capabilities"])
    if caps:
        props["capabilities"] = format_capabilities(caps)
    else:
        props.pop("capabilities", None)
    props["accelerators"] = merged["accelerators"]
    node.properties = props
    node.set_driver_internal_info(STATE_KEY, {
        "traits": ours,
        "capabilities": sorted(merged["capabilities"]),
        "rules": merged["rules"],
        "collected_at": record.get("collected_at"),
        "sources": sources,
    })
    node.save()
    merged["applied_traits"] = ours
    return merged


def converge_traits(task, previous, wanted, max_traits=IRONIC_MAX_TRAITS):
    """Add the wanted traits, remove the ones set before and no longer wanted; never
    touch the operator's. Returns the traits now set by us."""
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
    budget = min(max_traits, IRONIC_MAX_TRAITS - len(operator))
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
