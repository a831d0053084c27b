"""``/v2/hosts``: imported hosts (with where their providers are in Placement), and the
inventory import the Ironic hook and accel-agent call
(``PUT /v2/hosts/{hostname}/inventory``)."""

import sqlalchemy as sa

from accel_api import errors, inventory_import
from accel_api.api import inputs, util
from accel_api.api.responses import json_response
from accel_api.db import models as m
from accel_api.placement import report


def view(host, num_devices, placement=None):
    return {"hostname": host.hostname, "system_uuid": host.system_uuid,
            "collected_at": host.collected_at, "collector": host.collector,
            "num_devices": num_devices, "placement": report.view(placement),
            "created_at": util.ts(host.created_at), "updated_at": util.ts(host.updated_at)}


def _select():
    count = (sa.select(sa.func.count(m.Device.id)).where(m.Device.host_id == m.Host.id)
             .correlate(m.Host).scalar_subquery())
    return (sa.select(m.Host, count, m.HostPlacement)
            .outerjoin(m.HostPlacement, m.HostPlacement.host_id == m.Host.id))


def list_(req):
    req.app.enforcer.authorize("accel:host:get", req.ctx)
    with req.db.transaction() as session:
        rows = session.execute(_select().order_by(m.Host.hostname)).all()
    return json_response(200, {"hosts": [view(*row) for row in rows]})


def get(req, hostname):
    req.app.enforcer.authorize("accel:host:get", req.ctx)
    with req.db.transaction() as session:
        row = session.execute(_select().where(m.Host.hostname == hostname)).first()
    if row is None:
        raise errors.NotFound(f"host {hostname[:255]} not found")
    return json_response(200, view(*row))


def put_inventory(req, hostname):
    """Idempotent upsert of the host's inventory; 400 and no change when malformed."""
    req.app.enforcer.authorize("accel:host:import_inventory", req.ctx,
                               {"hostname": hostname, "project_id": req.ctx.project_id})
    inventory_import.check_hostname(hostname)
    # Checked by the contract's validation, after its size limits (inventory.validate).
    doc = inputs.json_body(req, req.app.conf.api.max_inventory_size, "inventory",
                           verify=False)
    summary = inventory_import.import_inventory(req.db, hostname, doc)
    placement = report.after_import(req.app, hostname, doc)
    if placement is not None:
        summary["placement"] = placement
    return json_response(200, summary)


put_inventory.max_body_option = "max_inventory_size"


def add_routes(router):
    router.add("GET", "/v2/hosts", list_)
    router.add("GET", "/v2/hosts/{hostname}", get)
    router.add("PUT", "/v2/hosts/{hostname}/inventory", put_inventory)
