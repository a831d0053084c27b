"""Glue between accel_api and Placement, when ``[placement] auth_type`` is set: report
after each inventory import, and reserve (or free) a device's providers as soon as an
admin disables (or enables) it, so that Nova stops (or resumes) scheduling onto it
without waiting for the host's next report. A Placement failure never fails the import
or the status change (the next report converges): it is logged, and returned in the
import summary."""

import logging
import threading

import sqlalchemy as sa

from accel_api.db import models as m
from accel_api.placement import client as pclient
from accel_api.placement import sync

LOG = logging.getLogger(__name__)
_LOCK = threading.Lock()


def enabled(conf):
    return bool(conf.placement.auth_type)


def _client(app):
    with _LOCK:
        if app.placement is None:
            app.placement = pclient.PlacementClient.from_conf(app.conf)
        return app.placement


def disabled_devices(db, hostname):
    with db.transaction() as session:
        return set(session.scalars(
            sa.select(m.Device.address).join(m.Host, m.Device.host_id == m.Host.id)
            .where(m.Host.hostname == hostname, m.Device.status != "enabled")))


def after_status_change(app, providers, disabled):
    """Set ``reserved`` on these providers' inventories (``[(rp_uuid, resource class)]``):
    everything while the device is disabled, nothing once enabled. Providers Placement
    does not have (not reported yet) are left to the next report. Returns how many
    changed, or None when Placement is not configured."""
    if not enabled(app.conf):
        return None
    client = _client(app)
    changed = 0
    for rp_uuid, resource_class in providers:

        def _reserve(rp_uuid=rp_uuid, resource_class=resource_class):
            if client.provider(rp_uuid) is None:
                return False
            current = client.inventories(rp_uuid)
            inventory = current["inventories"].get(resource_class)
            if inventory is None:
                return False
            reserved = inventory["total"] if disabled else 0
            if inventory["reserved"] == reserved:
                return False
            body = dict(current["inventories"])
            body[resource_class] = dict(inventory, reserved=reserved)
            client.set_inventories(rp_uuid, current["resource_provider_generation"], body)
            return True

        try:
            changed += sync.retrying(_reserve, f"inventory of {rp_uuid}")
        except pclient.PlacementError as exc:
            LOG.error("Placement: could not %s provider %s (the next report retries): %s",
                      "reserve" if disabled else "free", rp_uuid, exc)
    return changed


def after_import(app, hostname, doc):
    """Sync Placement for this host; returns a summary dict (or None when not configured)."""
    if not enabled(app.conf):
        return None
    try:
        result = sync.sync_host(_client(app), hostname, doc, disabled_devices(app.db, hostname),
                                app.conf.gpu_partitions.placement_hosts)
    except pclient.PlacementError as exc:
        LOG.error("Placement report of %s failed (the next report retries): %s", hostname, exc)
        return {"error": str(exc)}
    return {k: len(v) if isinstance(v, list) else v for k, v in result.as_dict().items()}
