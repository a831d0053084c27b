"""Make Placement match one host: a child provider per allocatable deployable under the
host's root (``roots``), nothing else touched.

``sync`` takes where the providers go (``desired.Target``), what they should hold
(``desired`` providers) and what the last sync wrote (``Stored``, kept in the
database), and returns a ``SyncResult`` with the new ``Stored`` state:

* unchanged report (same digest, the host synced): **no request** while the caller
  trusts the last check (``trust``), else **one read** — the root's tree — whose
  generations show nobody changed our providers since; no write;
* otherwise: the root is found (or waited for), providers are created (a new one is
  written without reading it: generation 0, nothing in it), moved under the root
  when they are elsewhere (allocations stay), and converged — inventory, then traits,
  each a read-modify-write carrying the generation, retried on 409 — only when their
  generation or desired state differs from what was stored; providers of ours that
  are no longer desired are deleted (kept with everything reserved while allocations
  remain); other providers in the tree (Nova's) are never touched.

A provider is ours when we stored it, or it carries ``CUSTOM_IRONIC_ACCEL_MANAGED``;
each also carries ``OWNER_CYBORG``. A function Nova already reports (a provider of
Nova's in the compute node's tree named after its PCI address) is never reported again
(docs/gpu-partitioning.rst); partition pools (MDEV, MIG) are reported only for the
hosts of ``[gpu_partitions] placement_hosts``.
"""

import dataclasses
import datetime as dt
import logging

from accel_api.placement import desired, roots
from accel_api.placement.client import GenerationConflict, InUse, PlacementError
from accel_api.placement.desired import (  # noqa: F401  (re-exported)
    MANAGED_TRAIT,
    MAX_NAME,
    NOVA,
    OWNER_TRAIT,
    PARTITION_KINDS,
    STANDALONE,
    DesiredProvider,
    Target,
    nova_provider_names,
    provider_name,
    reports_partitions,
)

LOG = logging.getLogger(__name__)
RETRIES = 5
SYNCED, WAITING, ERROR = "synced", "waiting", "error"


@dataclasses.dataclass
class Stored:
    """What the database remembers of a host's last sync (``HostPlacement``)."""

    state: str | None = None
    root_uuid: str | None = None
    digest: str | None = None
    #: {provider uuid: [generation, desired digest]} as last written or checked.
    providers: dict = dataclasses.field(default_factory=dict)
    suspect_root_uuid: str | None = None
    suspect_since: dt.datetime | None = None


@dataclasses.dataclass
class SyncResult:
    state: str = SYNCED
    reason: str | None = None
    root_uuid: str = ""
    created: list = dataclasses.field(default_factory=list)
    moved: list = dataclasses.field(default_factory=list)
    updated: list = dataclasses.field(default_factory=list)
    deleted: list = dataclasses.field(default_factory=list)
    unchanged: list = dataclasses.field(default_factory=list)
    kept_in_use: list = dataclasses.field(default_factory=list)
    repaired: list = dataclasses.field(default_factory=list)
    #: Deployables not reported because Nova reports their function (id -> provider).
    owned_by_nova: dict = dataclasses.field(default_factory=dict)
    stored: Stored = dataclasses.field(default_factory=Stored)
    #: False when an unchanged host was trusted without reading Placement.
    verified: bool = True

    def summary(self):
        """Counts, state and root, for the import's answer."""
        out = {k: len(getattr(self, k)) for k in
               ("created", "moved", "updated", "deleted", "unchanged", "kept_in_use")}
        out.update(state=self.state, root_uuid=self.root_uuid or None)
        if self.reason:
            out["reason"] = self.reason
        if self.repaired:
            out["repaired"] = list(self.repaired)
        if self.owned_by_nova:
            out["owned_by_nova"] = dict(self.owned_by_nova)
        return out


def retrying(fn, what):
    for attempt in range(RETRIES):
        try:
            return fn()
        except GenerationConflict:
            if attempt + 1 == RETRIES:
                raise
            LOG.debug("generation conflict on %s; re-reading and retrying", what)
    raise AssertionError("unreachable")


def _same_inventory(current, body):
    if set(current) != set(body):
        return False
    keys = ("total", "reserved", "min_unit", "max_unit", "step_size", "allocation_ratio")
    return all(float(current[rc][k]) == float(body[rc][k]) for rc in body for k in keys)


def _ensure_names(client, want):
    client.ensure_resource_class(want.resource_class)
    for trait in sorted(want.traits):
        client.ensure_trait(trait)


def _write_new(client, want, generation):
    """A provider just created holds nothing: write inventory and traits unread."""
    _ensure_names(client, want)
    generation = client.set_inventories(
        want.uuid, generation, want.inventory_body())["resource_provider_generation"]
    return client.set_traits(want.uuid, generation,
                             want.traits)["resource_provider_generation"]


def _converge(client, want, result):
    """Inventory first, then traits; each read-modify-write retried on conflicts.
    Returns (changed, generation after)."""
    changed = False
    generation = None

    def _inv():
        nonlocal generation
        current = client.inventories(want.uuid)
        generation = current["resource_provider_generation"]
        body = want.inventory_body()
        if _same_inventory(current["inventories"], body):
            return False
        _ensure_names(client, want)
        generation = client.set_inventories(
            want.uuid, generation, body)["resource_provider_generation"]
        return True

    def _traits():
        nonlocal generation
        current = client.traits(want.uuid)
        generation = current["resource_provider_generation"]
        if set(current["traits"]) == want.traits:
            return False
        _ensure_names(client, want)
        try:
            answer = client.set_traits(want.uuid, generation, want.traits)
        except GenerationConflict:
            raise
        except PlacementError:
            # A custom trait we believed created was deleted since: create and retry.
            client.forget_custom_names()
            _ensure_names(client, want)
            answer = client.set_traits(want.uuid, generation, want.traits)
        generation = answer["resource_provider_generation"]
        return True

    try:
        changed |= retrying(_inv, f"inventory of {want.uuid}")
    except InUse as exc:
        LOG.warning("provider %s: inventory change refused, allocations exceed it: %s",
                    want.uuid, exc)
        result.kept_in_use.append(want.uuid)
    changed |= retrying(_traits, f"traits of {want.uuid}")
    return changed, generation


#: Marks a stored entry whose function Nova reports: [NOVA_OWNED, Nova's provider uuid].
NOVA_OWNED = "nova"


def _unchanged(tree, stored, want):
    """True when the tree shows the root and every provider as the last sync left them
    (and Nova's providers that report some of the functions still there)."""
    by_uuid = {p["uuid"]: p for p in tree}
    root = by_uuid.get(stored.root_uuid)
    if root is None or root.get("parent_provider_uuid"):
        return False
    for uuid, spec in want.items():
        entry = stored.providers.get(uuid)
        if entry and entry[0] == NOVA_OWNED:
            if entry[1] not in by_uuid:
                return False
            continue
        p = by_uuid.get(uuid)
        if p is None or p.get("parent_provider_uuid") != stored.root_uuid or \
                entry != [p["generation"], spec.digest]:
            return False
    return True


def _nova_owned(client, target, want, tree):
    """Desired providers whose function Nova already reports in the compute node's tree
    (PCI in Placement, mdev parents): {uuid: Nova's provider}. A function is never
    reported twice."""
    if target.kind != NOVA:
        return {}
    foreign = {p["name"]: p for p in tree
               if p["uuid"] not in want and p.get("parent_provider_uuid")}
    owned = {}
    for uuid, spec in want.items():
        for address in spec.addresses:
            hit = next((foreign[n] for n in nova_provider_names(target.root_name, address)
                        if n in foreign), None)
            if hit is not None and MANAGED_TRAIT not in client.traits(hit["uuid"])["traits"]:
                owned[uuid] = hit
                break
    return owned


def sync(client, target, want, stored=None, now=None, empty_root_grace=60, trust=False):
    """Converge Placement for one host; returns a ``SyncResult`` (``result.stored`` is
    what to remember). Raises ``PlacementError`` when Placement fails.

    ``trust``: an unchanged host (same digest, synced) is not even read (``verified``
    is then False in the result): the caller decides how long it trusts a check."""
    stored = stored or Stored()
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    result = SyncResult()
    host_digest = desired.digest(target, want)
    if stored.state == SYNCED and stored.digest == host_digest and stored.root_uuid:
        if trust:
            result.root_uuid, result.unchanged, result.verified = \
                stored.root_uuid, list(want), False
            result.stored = dataclasses.replace(stored, providers=dict(stored.providers))
            return result
        tree = client.tree(stored.root_uuid)
        if _unchanged(tree, stored, want):
            result.root_uuid = stored.root_uuid
            result.unchanged = list(want)
            result.stored = dataclasses.replace(stored, providers=dict(stored.providers))
            return result

    ours = set(want) | set(stored.providers)
    found = roots.find(client, target, stored, ours, now, empty_root_grace)
    result.stored = Stored(suspect_root_uuid=found.suspect_uuid,
                           suspect_since=found.suspect_since)
    if found.root is None:
        for provider, _tree in found.leftovers:
            if provider["name"] == target.root_name:  # in Nova's way: out now
                line, moved = roots.remove(client, provider, None, target.hostname)
                result.repaired.append(line)
                result.moved += [p["uuid"] for p in moved]
        if found.leftovers and target.kind == NOVA:
            # The name is free now: nova-compute may have taken it meanwhile.
            found = roots.find(client, target, Stored(state=WAITING), ours, now,
                               empty_root_grace)
        if found.root is None:
            result.state, result.reason = WAITING, found.reason
            result.stored.state = WAITING
            result.stored.providers = {u: v for u, v in stored.providers.items()
                                       if u in want}
            return result
    root = found.root
    result.root_uuid = root["uuid"]
    tree = found.tree if found.tree is not None else client.tree(root["uuid"])
    by_uuid = {p["uuid"]: p for p in tree}
    providers = {}
    want = dict(want)
    for uuid, prov in _nova_owned(client, target, want, tree).items():
        LOG.info("placement: %s is reported by Nova (%s); not reported again",
                 want[uuid].deployable, prov["name"])
        result.owned_by_nova[want.pop(uuid).deployable] = prov["name"]
        providers[uuid] = [NOVA_OWNED, prov["uuid"]]
    for uuid, spec in want.items():
        current = by_uuid.get(uuid)
        if current is None:
            try:
                made = client.create_provider(spec.name, uuid=uuid, parent_uuid=root["uuid"])
            except PlacementError:
                made = None
                current = client.provider(uuid)
                if current is None:
                    raise
            if made is not None:
                providers[uuid] = [_write_new(client, spec, made.get("generation", 0)),
                                   spec.digest]
                result.created.append(uuid)
                continue
        if current.get("parent_provider_uuid") != root["uuid"]:
            # Elsewhere (out of a leftover root, another tree): moved, allocations kept.
            client.move_provider(uuid, spec.name, root["uuid"])
            result.moved.append(uuid)
            current = dict(current, generation=None)
        if stored.providers.get(uuid) == [current.get("generation"), spec.digest]:
            providers[uuid] = stored.providers[uuid]
            result.unchanged.append(uuid)
            continue
        changed, generation = _converge(client, spec, result)
        providers[uuid] = [generation, spec.digest]
        if changed:
            result.updated.append(uuid)
        elif uuid not in result.moved:
            result.unchanged.append(uuid)
    for provider, _tree in found.leftovers:
        line, moved = roots.remove(client, provider, root["uuid"], target.hostname)
        result.repaired.append(line)
        for p in moved:
            by_uuid.setdefault(p["uuid"], p)
    for uuid, provider in by_uuid.items():
        if uuid == root["uuid"] or uuid in want:
            continue
        if uuid in stored.providers or (
                provider["name"].startswith(f"{target.hostname}_")
                and MANAGED_TRAIT in client.traits(uuid)["traits"]):
            _delete(client, uuid, result)
    for uuid in result.kept_in_use:
        if uuid not in want:  # deleted once its allocations are gone: tried again
            providers[uuid] = [None, None]
    result.stored = Stored(state=SYNCED, root_uuid=root["uuid"], digest=host_digest,
                           providers=providers)
    LOG.info("placement sync of %s under %s: %d created, %d moved, %d updated, %d deleted, "
             "%d unchanged", target.hostname, root["name"], len(result.created),
             len(result.moved), len(result.updated), len(result.deleted),
             len(result.unchanged))
    return result


def sync_document(client, target, doc, disabled_devices=(), stored=None, placement_hosts=(),
                  **kwargs):
    """``sync`` for an inventory document (tests, the benchmark)."""
    want = desired.from_document(target.hostname, doc, set(disabled_devices),
                                 reports_partitions(target.hostname, placement_hosts))
    return sync(client, target, want, stored, **kwargs)


def desired_providers(hostname, doc, disabled_devices=(), partition_pools=False):
    return desired.from_document(hostname, doc, disabled_devices, partition_pools)


def _delete(client, uuid, result):
    try:
        client.delete_provider(uuid)
        result.deleted.append(uuid)
    except InUse:
        # Instances still hold it: keep it, offer nothing more from it.
        def _reserve():
            current = client.inventories(uuid)
            inv = {rc: dict(v, reserved=v["total"]) for rc, v in current["inventories"].items()}
            if inv != current["inventories"]:
                client.set_inventories(uuid, current["resource_provider_generation"], inv)

        retrying(_reserve, f"reserving {uuid}")
        LOG.warning("provider %s vanished from the inventory but has allocations; "
                    "kept with everything reserved", uuid)
        result.kept_in_use.append(uuid)
