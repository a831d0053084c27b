"""The root provider a host's providers go under, and the roots in Nova's way.

Nova's compute node provider is named after the hypervisor nodename, has a random
uuid, inventory (VCPU, MEMORY_MB, ...) and the ``COMPUTE_NODE`` and ``OWNER_NOVA``
traits. accel-api never creates a provider under a name Nova may need:

* a ``nova`` host's providers wait until the compute node's provider exists;
* a ``standalone`` host's root is ``ironic-accel:standalone:<hostname>`` with a uuid5
  (``accel_contract.identity``): no name and no uuid Nova makes.

Earlier accel-api versions created a bare root named after the host when Nova had
none yet, and nova-compute then failed on the name. Such a root is a *leftover*:
no inventory, no traits, every child ours. ``find`` lists leftovers (and, for a
``nova`` host, the standalone root it had before) for ``sync`` to empty — the
children move under the host's root, or out of the tree while Nova's root is
missing, keeping their allocations — and delete. A bare root with no children may
also be Nova's in the making (it creates the provider, then sets inventory and
traits): it counts as a leftover only when still bare ``empty_root_grace`` seconds
after it was first seen.
"""

import dataclasses
import datetime as dt
import logging

from accel_api.placement import desired
from accel_contract import identity

LOG = logging.getLogger(__name__)
NOVA_TRAITS = frozenset({"COMPUTE_NODE", "OWNER_NOVA"})
#: What a root found under a host's name is.
NOVAS, OURS, EMPTY, OTHER = "nova", "ours", "empty", "other"


@dataclasses.dataclass
class Found:
    """Where a host's providers go, and what stands in the way."""

    root: dict | None = None          # the provider to report under; None: waiting
    tree: list | None = None          # the root's tree when already read
    reason: str | None = None         # why there is no root yet
    leftovers: list = dataclasses.field(default_factory=list)  # [(provider, its tree)]
    suspect_uuid: str | None = None   # a bare root seen, not yet a leftover
    suspect_since: dt.datetime | None = None


def classify(client, provider, tree, ours):
    """``nova`` (a compute node), ``other`` (someone's provider with inventory or traits),
    ``ours`` (a bare root whose children are all ours) or ``empty`` (bare, childless).
    ``ours``: uuids known to be ours."""
    traits = set(client.traits(provider["uuid"])["traits"])
    if traits & NOVA_TRAITS:
        return NOVAS
    if traits - {desired.MANAGED_TRAIT} or client.inventories(provider["uuid"])["inventories"]:
        return OTHER
    children = [p for p in tree if p["uuid"] != provider["uuid"]]
    if not children:
        return EMPTY
    for child in children:
        if child["uuid"] not in ours and \
                desired.MANAGED_TRAIT not in client.traits(child["uuid"])["traits"]:
            return OTHER
    return OURS


def _root_named(client, name):
    provider = client.provider_by_name(name)
    if provider is None or provider.get("parent_provider_uuid"):
        return None, None
    return provider, client.tree(provider["uuid"])


def _judge(client, provider, tree, ours, stored, now, grace, found):
    """Is a root under a name of the host's a leftover? Records it, or the suspicion."""
    kind = classify(client, provider, tree, ours)
    if kind == EMPTY:
        since = stored.suspect_since if stored.suspect_root_uuid == provider["uuid"] else None
        if since is None or (now - since).total_seconds() < grace:
            found.suspect_uuid, found.suspect_since = provider["uuid"], since or now
            return kind
        kind = OURS
    if kind == OURS:
        found.leftovers.append((provider, tree))
    return kind


def find(client, target, stored, ours, now, grace):
    """Look for the host's root (a standalone host's is created) and its leftovers.

    Leftovers are looked for until the host is first synced under its root; after that
    only the root is checked (by its stored uuid, in ``sync``'s one read)."""
    found = Found()
    settled = stored.state == "synced" and stored.root_uuid is not None
    if target.kind == desired.STANDALONE:
        uuid = identity.standalone_root_uuid(target.hostname)
        root = client.provider(uuid)
        if root is None:
            root = client.create_provider(target.root_name, uuid=uuid)
            root.setdefault("parent_provider_uuid", None)
            found.tree = [root]
            LOG.info("host %s (standalone): created root provider %r (%s)",
                     target.hostname, target.root_name, uuid)
        found.root = root
        if not settled:
            provider, tree = _root_named(client, target.hostname)
            if provider is not None:
                _judge(client, provider, tree, ours, stored, now, grace, found)
        return found

    name = target.root_name
    provider = client.provider_by_name(name)
    if provider is not None and provider.get("parent_provider_uuid"):
        found.reason = (f"the provider named {name!r} is not a root (its parent is "
                        f"{provider['parent_provider_uuid']}), so not a compute node")
        return found
    if provider is not None:
        tree = client.tree(provider["uuid"])
        known = settled and stored.root_uuid == provider["uuid"]
        kind = NOVAS if known else _judge(client, provider, tree, ours, stored, now, grace,
                                          found)
        if kind in (NOVAS, OTHER):
            found.root, found.tree = provider, tree
    if not settled:
        if target.nodename and target.nodename != target.hostname:
            other, tree = _root_named(client, target.hostname)
            if other is not None and classify(client, other, tree, ours) == OURS:
                found.leftovers.append((other, tree))
        standalone = client.provider(identity.standalone_root_uuid(target.hostname))
        if standalone is not None:
            found.leftovers.append((standalone, client.tree(standalone["uuid"])))
    if found.root is None:
        if found.suspect_uuid is not None:
            found.reason = (f"waiting for compute node provider {name!r}: a provider of that "
                            "name exists with no inventory, traits or children (nova-compute "
                            "making it, or a leftover removed if it stays bare)")
        else:
            found.reason = f"waiting for compute node provider {name!r}"
    return found


def remove(client, provider, parent_uuid, hostname):
    """Move what is left under a leftover root (to ``parent_uuid``, or out of the tree),
    then delete it. Returns (a line saying what was done, the providers moved)."""
    moved = []
    for child in client.tree(provider["uuid"]):
        if child.get("parent_provider_uuid") == provider["uuid"]:
            moved.append(client.move_provider(child["uuid"], child["name"], parent_uuid))
    client.delete_provider(provider["uuid"])
    where = f"under {parent_uuid}" if parent_uuid else "out of its tree, allocations kept"
    LOG.warning("host %s: removed root provider %r (%s), a leftover in Nova's way or of "
                "an earlier placement of the host; %d child provider(s) moved %s",
                hostname, provider["name"], provider["uuid"], len(moved), where)
    return f"removed root {provider['name']!r} ({provider['uuid']}); {len(moved)} moved", moved
