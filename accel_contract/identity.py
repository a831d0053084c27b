"""Stable identities derived from the inventory, so every part names the same thing alike.

accel_api stores ``rp_uuid`` on each deployable; Placement reporting creates the
resource provider with that uuid; Nova binds ARQs with it. Deriving it (uuid5)
from the host name and the deployable's id makes it survive re-imports and lets
any part compute it without asking a database.
"""

import uuid

#: Namespace of all ironic-accel uuid5 identities (never change it: uuids are stored).
NAMESPACE = uuid.UUID("6f1c0d6e-2b0e-5c55-9a3e-3c9f4f8a1a01")


def deployable_rp_uuid(hostname, deployable_id):
    """Resource-provider uuid of one deployable of one host."""
    return str(uuid.uuid5(NAMESPACE, f"deployable:{hostname}/{deployable_id}"))


def device_uuid(hostname, device_id):
    """Stable uuid of one device (its primary PCI address) of one host."""
    return str(uuid.uuid5(NAMESPACE, f"device:{hostname}/{device_id}"))


def mdev_slot_uuid(hostname, parent, type_id, index):
    """The uuid an mdev of ``type_id`` on ``parent`` will be created with, for free slot
    ``index`` of one host: stable across reports, so a claim's handle keeps its identity
    once the agent creates the mdev with it (Cyborg creates mdevs with the handle's uuid)."""
    return str(uuid.uuid5(NAMESPACE, f"mdev-slot:{hostname}/{parent}/{type_id}/{index}"))
