"""Make Placement match one host's inventory: nested providers per allocatable deployable.

The host's root provider is the compute node's (found by its name, the hypervisor
hostname); an Ironic-only host has none, so one named after the host is created.
Each allocatable deployable (``accel_contract.inventory.allocatable``) gets a child
provider with uuid ``accel_contract.identity.deployable_rp_uuid(hostname, id)``
(the ``rp_uuid`` accel_api stores, the one Nova binds with), an inventory of
``num_accelerators`` of its resource class (``reserved = total`` while its device is
disabled), and the device's and deployable's traits plus ``MANAGED_TRAIT``, which
marks providers this reporter owns so that vanished deployables are removed without
touching providers other services put in the same tree.

Every write carries the provider generation; a 409 generation conflict re-reads
the provider and retries (a few times). A provider that cannot be deleted because
it still has allocations is kept with everything reserved and reported.

Ownership (docs/gpu-partitioning.rst): every provider made here also carries
``OWNER_CYBORG`` (accel-api is the Cyborg-compatible service; Nova marks its own
``OWNER_NOVA``). A function Nova already reports is never reported again: a deployable
is skipped when the host's tree holds a provider that is not ours for its PCI address,
by Nova's names (``<host>_<address>`` for PCI in Placement, ``<host>_pci_<address with
_>`` for mdev vGPU parents). MDEV and MIG partition pools are
reported only for the hosts listed in ``[gpu_partitions] placement_hosts``.
"""

import dataclasses
import hashlib
import logging

from accel_api.placement.client import GenerationConflict, InUse
from accel_contract import identity, inventory, naming

LOG = logging.getLogger(__name__)
#: Trait on every provider this reporter created (and may delete).
MANAGED_TRAIT = naming.custom("IRONIC_ACCEL_MANAGED")
#: os-traits' owner trait of Cyborg-style services, on every provider made here.
OWNER_TRAIT = "OWNER_CYBORG"
#: Deployable kinds that are partition pools (reported only where opted in).
PARTITION_KINDS = ("mdev", "mig")
MAX_NAME = 200  # Placement's provider name limit
RETRIES = 5


@dataclasses.dataclass
class SyncResult:
    root_uuid: str = ""
    created: list = dataclasses.field(default_factory=list)
    updated: list = dataclasses.field(default_factory=list)
    deleted: list = dataclasses.field(default_factory=list)
    unchanged: list = dataclasses.field(default_factory=list)
    kept_in_use: list = dataclasses.field(default_factory=list)
    #: Deployables not reported because Nova reports their function (id -> provider).
    owned_by_nova: dict = dataclasses.field(default_factory=dict)

    def as_dict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass
class DesiredProvider:
    uuid: str
    name: str
    resource_class: str
    total: int
    reserved: int
    traits: set
    addresses: set = dataclasses.field(default_factory=set)  # of its attach handles
    deployable: str = ""


def provider_name(hostname, deployable_id):
    """``<hostname>_<deployable id>``; over-long names keep a hash so they stay unique."""
    name = f"{hostname}_{deployable_id}"
    if len(name) > MAX_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()[:12]
        name = f"{name[: MAX_NAME - 13]}_{digest}"
    return name


def reports_partitions(hostname, placement_hosts):
    hosts = list(placement_hosts or ())
    return "*" in hosts or hostname in hosts


def desired_providers(hostname, doc, disabled_devices=(), partition_pools=False):
    """What Placement should hold for this host, keyed by provider uuid."""
    out = {}
    for device, dep in inventory.allocatable(doc):
        if dep["kind"] in PARTITION_KINDS and not partition_pools:
            continue
        total = int(dep["num_accelerators"])
        traits = (set(device.get("traits", [])) | set(dep["traits"])
                  | {MANAGED_TRAIT, OWNER_TRAIT})
        uuid = identity.deployable_rp_uuid(hostname, dep["id"])
        out[uuid] = DesiredProvider(
            uuid=uuid, name=provider_name(hostname, dep["id"]),
            resource_class=dep["resource_class"], total=total,
            reserved=total if device["id"] in disabled_devices else 0, traits=traits)
        out[uuid].addresses = {h["address"] for h in dep["attach_handles"]}
        out[uuid].deployable = dep["id"]
    return out


def nova_provider_names(hostname, address):
    """The names Nova gives providers of a PCI function: PCI in Placement and mdev parents."""
    return {f"{hostname}_{address}",
            f"{hostname}_pci_{address.replace(':', '_').replace('.', '_')}"}


def _nova_owned(client, hostname, want, existing):
    """Desired providers whose function Nova already reports: {uuid: Nova's provider}."""
    ours = set(want)
    foreign = {}
    for uuid, prov in existing.items():
        if uuid in ours or prov.get("parent_provider_uuid") is None:
            continue
        foreign[prov["name"]] = prov
    owned = {}
    for uuid, spec in want.items():
        for address in spec.addresses:
            hit = next((foreign[n] for n in nova_provider_names(hostname, address)
                        if n in foreign), None)
            if hit is not None and MANAGED_TRAIT not in client.traits(hit["uuid"])["traits"]:
                owned[uuid] = hit
                break
    return owned


def _inventory_body(want):
    return {want.resource_class: {"total": want.total, "reserved": want.reserved,
                                  "min_unit": 1, "max_unit": want.total, "step_size": 1,
                                  "allocation_ratio": 1.0}}


def _same_inventory(current, body):
    if set(current) != set(body):
        return False
    keys = ("total", "reserved", "min_unit", "max_unit", "step_size", "allocation_ratio")
    return all(float(current[rc][k]) == float(body[rc][k]) for rc in body for k in keys)


def root_provider(client, hostname):
    """The compute node's provider (by name), or a new root named after the host."""
    found = client.provider_by_name(hostname)
    if found is not None:
        return found
    LOG.info("no resource provider named %s: creating a root provider for it", hostname)
    return client.create_provider(hostname)


def retrying(fn, what):
    for attempt in range(RETRIES):
        try:
            return fn()
        except GenerationConflict:
            if attempt + 1 == RETRIES:
                raise
            LOG.debug("generation conflict on %s; re-reading and retrying", what)
    raise AssertionError("unreachable")


def _converge(client, want, result):
    """Inventory first, then traits; each read-modify-write retried on conflicts."""
    changed = False
    for rc in [want.resource_class]:
        client.ensure_resource_class(rc)
    for trait in want.traits:
        client.ensure_trait(trait)

    def _inv():
        current = client.inventories(want.uuid)
        body = _inventory_body(want)
        if _same_inventory(current["inventories"], body):
            return False
        client.set_inventories(want.uuid, current["resource_provider_generation"], body)
        return True

    def _traits():
        current = client.traits(want.uuid)
        if set(current["traits"]) == want.traits:
            return False
        client.set_traits(want.uuid, current["resource_provider_generation"], want.traits)
        return True

    try:
        changed |= retrying(_inv, f"inventory of {want.uuid}")
    except InUse as exc:
        LOG.warning("provider %s: inventory change refused, allocations exceed it: %s",
                    want.uuid, exc)
        result.kept_in_use.append(want.uuid)
    changed |= retrying(_traits, f"traits of {want.uuid}")
    return changed


def sync_host(client, hostname, doc, disabled_devices=(), placement_hosts=()):
    """Converge Placement to ``doc`` for ``hostname``; return a ``SyncResult``."""
    result = SyncResult()
    root = root_provider(client, hostname)
    result.root_uuid = root["uuid"]
    want = desired_providers(hostname, doc, set(disabled_devices),
                             reports_partitions(hostname, placement_hosts))
    existing = {p["uuid"]: p for p in client.tree(root["root_provider_uuid"])}
    for uuid, prov in _nova_owned(client, hostname, want, existing).items():
        LOG.info("placement: %s is reported by Nova (%s); not reported again",
                 want[uuid].deployable, prov["name"])
        result.owned_by_nova[want.pop(uuid).deployable] = prov["name"]
    for uuid, spec in want.items():
        created = False
        if uuid not in existing:
            other = client.provider(uuid)
            if other is not None and other.get("parent_provider_uuid") != root["uuid"]:
                # Moved (e.g. re-parented host): drop the stale provider, recreate.
                _delete(client, uuid, result)
            if other is None or other.get("parent_provider_uuid") != root["uuid"]:
                client.create_provider(spec.name, uuid=uuid, parent_uuid=root["uuid"])
                created = True
        changed = _converge(client, spec, result)
        if created:
            result.created.append(uuid)
        elif changed:
            result.updated.append(uuid)
        else:
            result.unchanged.append(uuid)
    for uuid in existing:
        if uuid in want or uuid == root["uuid"]:
            continue
        if MANAGED_TRAIT in client.traits(uuid)["traits"]:
            _delete(client, uuid, result)
    LOG.info("placement sync of %s: %d created, %d updated, %d deleted, %d unchanged",
             hostname, len(result.created), len(result.updated), len(result.deleted),
             len(result.unchanged))
    return result


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
