"""GPU partitions made and removed by the host's accel-agent when a claim or bind needs one.

A handle whose ``partition_form`` is set is a partition, not a whole device:

* ``mdev``: the agent creates the mdev with the handle's uuid (``instance``) on its parent;
* ``mig``: the agent creates a GPU instance of the profile with its default compute
  instance; a ``slot<N>`` handle becomes ``gi<ID>`` (the id the driver gave it);
* ``vgpu_vf``: the agent writes the asked vGPU type to the VF's ``current_vgpu_type``
  (a VF that already holds that type is handed out as it is).

What was made is recorded on the ARQ/claim (``partition``) and removed when it is
released, unbound or deleted. ``create`` runs inside the claim's or bind's transaction:
if the agent refuses or cannot be reached, the claim or bind fails and nothing is kept.
Which forms Nova can consume is decided here too (``nova_refusal``): only PCI handles.
"""

import logging

import sqlalchemy as sa

from accel_api import errors, inventory_import
from accel_api.agents import rpc
from accel_api.db import models as m
from accel_contract import naming

LOG = logging.getLogger(__name__)
FORMS = ("mdev", "mig", "vgpu_vf")
#: Profile group key naming the vGPU type a VF of the vendor VFIO framework gets at bind.
VGPU_TYPE_KEY = "accel:vgpu_type"


class PartitionRefused(errors.Conflict):
    """The partition cannot be made (no agent, the driver refused, no room)."""


def nova_refusal(groups):
    """Why Nova cannot consume what these device-profile groups ask for, or None.

    ``POST /v2/accelerator_requests`` is Nova's path (Nova creates ARQs from the flavor's
    device profile and attaches only PCI handles: MDEV ARQs are "ignored" and the VM boots
    without them; MIG instances have no device form at all). The one-call claim
    ``POST /v2/claims`` is the path of every other consumer.
    """
    for gid, group in enumerate(groups or ()):
        for key, value in group.items():
            if key.startswith("resources:") and naming.is_partition_resource_class(key[10:]):
                return (f"group {gid} asks for {key[10:]}, a MIG instance: MIG instances have "
                        "no PCI function or mdev, so Nova cannot attach one to a VM; claim it "
                        "with POST /v2/claims (containers, bare metal), or ask for a "
                        "MIG-backed vGPU type on the vendor VFIO framework")
            if key.startswith("trait:") and str(value).lower() == "required" and (
                    naming.nova_unusable_trait(key[6:])):
                form = "a MIG instance" if key[6:].startswith("CUSTOM_GPU_MIG_") else \
                    "an mdev vGPU (MDEV attach handle)"
                return (f"group {gid} requires {key[6:]}, which only {form} offers: Nova's "
                        "libvirt driver attaches PCI devices only and boots the VM without "
                        "an MDEV or MIG accelerator; use a vGPU type of the vendor VFIO "
                        "framework (VF as a PCI device, trait CUSTOM_VGPU_<TYPE>) or "
                        "POST /v2/claims")
    return None


def bind_refusal(handle):
    """Why a handle cannot be bound to a Nova ARQ, or None."""
    if handle.type != "PCI":
        return (f"the resource provider offers {handle.type} handles ({handle.partition_type}):"
                " Nova's libvirt driver attaches PCI devices only, so the instance would "
                "boot without its accelerator; claim it with POST /v2/claims")
    return None


def wanted_vgpu_type(group=None, traits=(), explicit=None):
    """The vGPU type a request names: explicit, ``accel:vgpu_type``, or its one
    ``CUSTOM_VGPU_<TYPE>`` trait (required traits of a profile group)."""
    if explicit:
        return str(explicit)
    if group and group.get(VGPU_TYPE_KEY):
        return str(group[VGPU_TYPE_KEY])
    names = list(traits)
    if group:
        names += [k[6:] for k, v in group.items()
                  if k.startswith("trait:") and str(v).lower() == "required"]
    found = [t for t in names if t.startswith("CUSTOM_VGPU_") and not
             t.startswith("CUSTOM_VGPU_TYPE_")]
    return found[0] if len(found) == 1 else None


class Partitioner:
    """Asks the host's accel-agent (JSON-RPC) to make or remove a partition."""

    def __init__(self, conf=None):
        self.conf = conf

    def _client(self, conn, hostname):
        agent = conn.execute(sa.select(m.Agent.rpc_host, m.Agent.rpc_port,
                                       m.Agent.registered_by_agent)
                             .where(m.Agent.hostname == hostname)).first()
        if agent is None:
            raise PartitionRefused(f"no accel-agent registered for host {hostname}: the agent "
                                   "creates GPU partitions there (start accel-agent)")
        if self.conf is None:
            raise PartitionRefused("this accel-api has no configuration for its agents")
        if not agent.registered_by_agent:
            # Someone else pointed the endpoint: the host's credential never goes there.
            raise PartitionRefused(f"the agent endpoint of host {hostname} was not registered "
                                   "by that host's agent; nothing was sent to it")
        return rpc.AgentClient(self.conf, hostname, agent.rpc_host, agent.rpc_port)

    def create(self, conn, hostname, handle, vgpu_type=None):
        """Make the partition of ``handle`` (a Core row with the partition columns);
        returns the record to keep on the ARQ (None: nothing to make)."""
        form = handle.partition_form
        if form not in FORMS:
            return None
        want = {"form": form, "parent": handle.address, "type": handle.partition_type,
                "instance": handle.instance or None}
        if form == "vgpu_vf":
            if vgpu_type is None and handle.partition_type is None:
                raise PartitionRefused(
                    f"VF {handle.address} holds no vGPU type and the request names none "
                    f"({VGPU_TYPE_KEY} in the device profile group, a CUSTOM_VGPU_<TYPE> "
                    "trait, or vgpu_type in a claim)")
            want["type"] = vgpu_type or handle.partition_type
        try:
            made = self._client(conn, hostname).create_partition(want)
        except (rpc.AgentUnreachable, rpc.AgentError) as exc:
            raise PartitionRefused(f"the agent on {hostname} could not create {form} "
                                   f"{want['type']} on {handle.address}: {exc}") from None
        record = {k: made.get(k) for k in ("form", "parent", "type", "instance", "created",
                                           "compute_instance_id", "gpu_uuid")}
        changes = {}
        if form == "mig" and record["instance"] and record["instance"] != handle.instance:
            changes["instance"] = record["instance"]  # slot<N> -> gi<ID>
        if form == "vgpu_vf" and record["type"] != handle.partition_type:
            changes["partition_type"] = str(record["type"])
        if changes:
            conn.execute(sa.update(m.AttachHandle).where(m.AttachHandle.id == handle.id)
                         .values(**changes))
            # The host's next report (even the same document) is imported in full.
            inventory_import.forget_report(conn, handle_id=handle.id)
        return record

    def remove(self, conn, hostname, partition):
        """Remove what ``create`` made; failures are logged (a release must not fail).

        A partition left behind is reported by the host's next inventory and handed out
        again as it is (creating is idempotent)."""
        if not partition or not partition.get("created"):
            return False
        try:
            self._client(conn, hostname).remove_partition(
                {k: partition.get(k) for k in ("form", "parent", "type", "instance")})
        except (PartitionRefused, rpc.AgentUnreachable, rpc.AgentError) as exc:
            LOG.error("host %s: %s %s on %s not removed (kept until the agent removes it or "
                      "it is claimed again): %s", hostname, partition.get("form"),
                      partition.get("instance") or partition.get("type"),
                      partition.get("parent"), exc)
            return False
        return True


def set_partition(conn, arq_id, record):
    conn.execute(sa.update(m.AcceleratorRequest).where(m.AcceleratorRequest.id == arq_id)
                 .values(partition=record))
