"""``/v2/deployables``: the assignable units, with their resource-provider uuids.

Programming (``PATCH /v2/deployables/{uuid}/program``) arrives with issue 5.
"""

import sqlalchemy as sa

from accel_api import errors
from accel_api.api import util
from accel_api.api.responses import json_response
from accel_api.db import models as m


def view(req, dep, device, host, attrs=()):
    return {
        "uuid": dep.uuid, "name": dep.name, "parent_id": dep.parent_id,
        "root_id": dep.root_id, "num_accelerators": dep.num_accelerators,
        "device_id": dep.device_id, "rp_uuid": dep.rp_uuid, "driver_name": dep.driver_name,
        "bitstream_id": dep.bitstream_id,
        "attributes_list": ",".join(f"{a.key}:{a.value}" for a in attrs),
        "device_uuid": device.uuid, "hostname": host.hostname, "kind": dep.kind,
        "resource_class": dep.resource_class, "traits": dep.traits,
        "programmable": dep.programmable, "lost": dep.lost,
        "created_at": util.ts(dep.created_at), "updated_at": util.ts(dep.updated_at),
        "links": util.links(req, "deployables", dep.uuid),
    }


def _select():
    return (sa.select(m.Deployable, m.Device, m.Host)
            .join(m.Device, m.Deployable.device_id == m.Device.id)
            .join(m.Host, m.Device.host_id == m.Host.id))


def _attrs(session, ids):
    out = {}
    if ids:
        for a in session.scalars(sa.select(m.Attribute).where(
                m.Attribute.deployable_id.in_(ids)).order_by(m.Attribute.key)):
            out.setdefault(a.deployable_id, []).append(a)
    return out


def list_(req):
    req.app.enforcer.authorize("accel:deployable:get", req.ctx)
    query = _select().order_by(m.Deployable.id)
    for param, column in (("name", m.Deployable.name), ("rp_uuid", m.Deployable.rp_uuid),
                          ("hostname", m.Host.hostname),
                          ("resource_class", m.Deployable.resource_class),
                          ("device_uuid", m.Device.uuid)):
        value = util.query(req, param)
        if value is not None:
            query = query.where(column == value)
    with req.db.transaction() as session:
        rows = session.execute(query).all()
        attrs = _attrs(session, [r[0].id for r in rows])
    return json_response(200, {"deployables": [
        view(req, d, dev, h, attrs.get(d.id, ())) for d, dev, h in rows]})


def get(req, uuid):
    req.app.enforcer.authorize("accel:deployable:get", req.ctx)
    uuid = util.check_uuid(uuid)
    with req.db.transaction() as session:
        row = session.execute(_select().where(m.Deployable.uuid == uuid)).first()
        if row is None:
            raise errors.NotFound(f"Deployable {uuid} not found")
        attrs = _attrs(session, [row[0].id])
    return json_response(200, view(req, *row, attrs.get(row[0].id, ())))


def add_routes(router):
    router.add("GET", "/v2/deployables", list_)
    router.add("GET", "/v2/deployables/{uuid}", get)
