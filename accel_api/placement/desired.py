"""What Placement should hold for one host: one provider per allocatable deployable.

Computed from the inventory document (``from_document``) or from what accel-api
stored of it (``from_rows``: the retries of a waiting host have no document), both
giving the same ``DesiredProvider`` values. ``digest`` summarises them, with where
they go (``Target``), so that an unchanged report is recognised without asking
Placement what it holds.
"""

import dataclasses
import hashlib
import json

from accel_contract import identity, inventory, naming

#: Trait on every provider this reporter created (and may delete).
MANAGED_TRAIT = naming.custom("IRONIC_ACCEL_MANAGED")
#: os-traits' owner trait of Cyborg-style services, on every provider made here (Nova
#: marks its own OWNER_NOVA; docs/gpu-partitioning.rst).
OWNER_TRAIT = "OWNER_CYBORG"
#: Deployable kinds that are partition pools (reported only where opted in:
#: ``[gpu_partitions] placement_hosts``).
PARTITION_KINDS = ("mdev", "mig")
MAX_NAME = identity.MAX_PROVIDER_NAME
NOVA, STANDALONE = "nova", "standalone"
#: Bump when the digest's input changes meaning, so stored digests stop matching.
_DIGEST_VERSION = 1


@dataclasses.dataclass(frozen=True)
class Target:
    """Where a host's providers go: under Nova's compute node provider (``nova``, found
    by ``nodename``) or under a root of ours (``standalone``)."""

    hostname: str
    kind: str
    nodename: str | None = None

    @property
    def root_name(self):
        if self.kind == NOVA:
            return self.nodename or self.hostname
        return identity.standalone_root_name(self.hostname)


@dataclasses.dataclass
class DesiredProvider:
    uuid: str
    name: str
    resource_class: str
    total: int
    reserved: int
    traits: set
    #: PCI addresses of its attach handles, and its deployable id (not in the digest:
    #: they say which of Nova's providers would report the same function).
    addresses: set = dataclasses.field(default_factory=set, compare=False)
    deployable: str = dataclasses.field(default="", compare=False)

    @property
    def digest(self):
        data = [self.name, self.resource_class, self.total, self.reserved,
                sorted(self.traits)]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]

    def inventory_body(self):
        return {self.resource_class: {
            "total": self.total, "reserved": self.reserved, "min_unit": 1,
            "max_unit": self.total, "step_size": 1, "allocation_ratio": 1.0}}


def provider_name(hostname, deployable_id):
    """``<hostname>_<deployable id>``; over-long names keep a hash so they stay unique."""
    return identity.bounded_name(f"{hostname}_{deployable_id}")


def reports_partitions(hostname, placement_hosts):
    """Whether ``[gpu_partitions] placement_hosts`` opts this host's partition pools in."""
    hosts = list(placement_hosts or ())
    return "*" in hosts or hostname in hosts


def _provider(hostname, local_id, rp_uuid, resource_class, total, traits, reserve_all,
              addresses):
    return DesiredProvider(
        uuid=rp_uuid, name=provider_name(hostname, local_id), resource_class=resource_class,
        total=total, reserved=total if reserve_all else 0,
        traits=set(traits) | {MANAGED_TRAIT, OWNER_TRAIT}, addresses=set(addresses),
        deployable=local_id)


def from_document(hostname, doc, disabled_devices=(), partition_pools=False):
    """Desired providers of an inventory document, keyed by provider uuid."""
    out = {}
    for device, dep in inventory.allocatable(doc):
        if dep["kind"] in PARTITION_KINDS and not partition_pools:
            continue
        uuid = identity.deployable_rp_uuid(hostname, dep["id"])
        out[uuid] = _provider(
            hostname, dep["id"], uuid, dep["resource_class"], int(dep["num_accelerators"]),
            set(device.get("traits", [])) | set(dep["traits"])
            | physnet_traits(h.get("physical_network") for h in dep["attach_handles"]),
            device["id"] in disabled_devices, (h["address"] for h in dep["attach_handles"]))
    return out


def row_columns(m):
    """The columns ``from_rows`` reads, labelled, from the models module ``m``."""
    dep, dev = m.Deployable, m.Device
    return (dep.id, dep.local_id, dep.kind, dep.rp_uuid, dep.resource_class,
            dep.num_accelerators, dep.traits.label("dep_traits"), dep.lost.label("dep_lost"),
            dev.traits.label("dev_traits"), dev.status.label("dev_status"),
            dev.lost.label("dev_lost"))


def physnet_traits(physical_networks):
    """The ``CUSTOM_PHYSNET_<NAME>`` traits of a provider whose handles are wired to
    these physical networks (None: not a network function)."""
    return {naming.physnet_trait(p) for p in physical_networks if p}


def from_rows(hostname, rows, addresses=None, partition_pools=False, physnets=None):
    """Desired providers of stored deployable rows (``row_columns``), keyed by uuid;
    ``addresses``: {deployable id: its attach handles' addresses}; ``physnets``:
    {deployable id: its handles' physical networks}.

    A disabled device's providers are fully reserved; so are those of a deployable that
    vanished from the host while an instance holds it (``lost``): kept for the holder,
    offered to no one."""
    out = {}
    for row in rows:
        if not row.resource_class or not row.num_accelerators or row.num_accelerators <= 0:
            continue
        if row.kind in PARTITION_KINDS and not partition_pools:
            continue
        reserve = row.dev_status != "enabled" or row.dep_lost or row.dev_lost
        out[row.rp_uuid] = _provider(
            hostname, row.local_id, row.rp_uuid, row.resource_class,
            int(row.num_accelerators), set(row.dev_traits or []) | set(row.dep_traits or [])
            | physnet_traits((physnets or {}).get(row.id, ())),
            reserve, (addresses or {}).get(row.id, ()))
    return out


def nova_provider_names(hostname, address):
    """The names Nova gives providers of a PCI function: PCI in Placement and mdev parents."""
    return {f"{hostname}_{address}",
            f"{hostname}_pci_{address.replace(':', '_').replace('.', '_')}"}


def digest(target, want):
    """One digest of where the providers go and what each holds."""
    data = [_DIGEST_VERSION, target.kind, target.root_name,
            sorted((uuid, p.digest) for uuid, p in want.items())]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()
