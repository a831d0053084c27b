"""``/v2/devices``: physical cards; read by admin/service, enabled/disabled by admin."""

import json

import sqlalchemy as sa

from accel_api import errors
from accel_api.api import util
from accel_api.api.responses import json_response
from accel_api.db import models as m
from accel_api.placement import report


def view(req, device, host):
    out = {
        "uuid": device.uuid, "type": device.type, "vendor": device.vendor,
        "model": device.model, "hostname": host.hostname,
        # Cyborg serialises board info as JSON text; kept for compatibility.
        "std_board_info": json.dumps(device.std_board_info, sort_keys=True),
        "vendor_board_info": json.dumps(device.vendor_board_info, sort_keys=True),
        "created_at": util.ts(device.created_at), "updated_at": util.ts(device.updated_at),
        "links": util.links(req, "devices", device.uuid),
    }
    if req.version >= (2, 3):
        out["status"] = "lost" if device.lost else device.status
    return out


def _select():
    return sa.select(m.Device, m.Host).join(m.Host, m.Device.host_id == m.Host.id)


def list_(req):
    req.app.enforcer.authorize("accel:device:get", req.ctx)
    query = _select().order_by(m.Device.id)
    for param, column in (("type", m.Device.type), ("vendor", m.Device.vendor),
                          ("hostname", m.Host.hostname), ("model", m.Device.model)):
        value = util.query(req, param)
        if value is not None:
            query = query.where(column == value)
    with req.db.transaction() as session:
        rows = session.execute(query).all()
    return json_response(200, {"devices": [view(req, d, h) for d, h in rows]})


def get(req, uuid):
    req.app.enforcer.authorize("accel:device:get", req.ctx)
    uuid = util.check_uuid(uuid)
    with req.db.transaction() as session:
        row = session.execute(_select().where(m.Device.uuid == uuid)).first()
    if row is None:
        raise errors.NotFound(f"Device {uuid} not found")
    return json_response(200, view(req, *row))


def _set_status(req, uuid, status):
    req.app.enforcer.authorize("accel:device:update", req.ctx)
    uuid = util.check_uuid(uuid)

    def _do(session):
        row = session.execute(_select().where(m.Device.uuid == uuid)).first()
        if row is None:
            raise errors.NotFound(f"Device {uuid} not found")
        row[0].status = status
        providers = session.execute(
            sa.select(m.Deployable.rp_uuid, m.Deployable.resource_class)
            .where(m.Deployable.device_id == row[0].id,
                   m.Deployable.resource_class.is_not(None))).all()
        return row, [tuple(p) for p in providers]

    (device, host), providers = req.db.run(_do)
    report.after_status_change(req.app, providers, disabled=status != "enabled")
    return json_response(200, view(req, device, host))


def enable(req, uuid):
    return _set_status(req, uuid, "enabled")


def disable(req, uuid):
    return _set_status(req, uuid, "disabled")


def add_routes(router):
    router.add("GET", "/v2/devices", list_)
    router.add("GET", "/v2/devices/{uuid}", get)
    router.add("POST", "/v2/devices/{uuid}/enable", enable)
    router.add("POST", "/v2/devices/{uuid}/disable", disable)
