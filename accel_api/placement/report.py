"""Glue between inventory imports and Placement: report after each import when
``[placement] auth_type`` is set; a Placement failure never fails the import (the
next report converges), it is logged and returned in the import summary."""

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


def after_import(app, hostname, doc):
    """Sync Placement for this host; returns a summary dict (or None when not configured)."""
    if not enabled(app.conf):
        return None
    try:
        result = sync.sync_host(_client(app), hostname, doc, disabled_devices(app.db, hostname))
    except pclient.PlacementError as exc:
        LOG.error("Placement report of %s failed (the next report retries): %s", hostname, exc)
        return {"error": str(exc)}
    return {k: len(v) if isinstance(v, list) else v for k, v in result.as_dict().items()}
