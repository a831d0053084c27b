"""``/v2/claims``: the one-call claim for users without Nova (standalone Ironic,
Kubernetes): host + resource class + traits (+ bitstream) -> the device's PCI address."""

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from accel_api import claims, errors
from accel_api.api import util
from accel_api.api.responses import json_response
from accel_api.db import models as m

CREATE_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["hostname", "resource_class"],
    "properties": {
        "hostname": {"type": "string", "minLength": 1, "maxLength": 255},
        "resource_class": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]{0,254}$"},
        "traits": {"type": "array", "maxItems": 64, "uniqueItems": True,
                   "items": {"type": "string", "pattern": "^[A-Z0-9_]{1,255}$"}},
        "bitstream_id": {"type": ["string", "null"], "minLength": 1, "maxLength": 255},
        "vgpu_type": {"type": ["string", "null"], "minLength": 1, "maxLength": 255,
                      "pattern": "^[A-Za-z0-9][A-Za-z0-9 ._+-]*$"},
    },
}


def view(req, row, dep=None, device=None):
    handle = row.attach_handle
    return {
        "uuid": row.uuid, "state": row.state, "project_id": row.project_id,
        "hostname": row.hostname, "resource_class": row.resource_class,
        "traits": row.traits or [], "bitstream_id": row.bitstream_id,
        "device_rp_uuid": row.device_rp_uuid,
        "deployable_uuid": dep.uuid if dep else None,
        "device_uuid": device.uuid if device else None,
        "attach_handle_type": handle.type if handle else None,
        "attach_handle_uuid": claims.handle_uuid(handle.type, handle.uuid, handle.instance)
        if handle else None,
        "attach_handle_info": claims.attach_handle_info(handle, row.partition),
        "pci_address": handle.address if handle and handle.type == "PCI" else None,
        "partition": row.partition,
        "created_at": util.ts(row.created_at),
        "links": util.links(req, "claims", row.uuid),
    }


def create(req):
    req.app.enforcer.authorize("accel:claim:create", req.ctx)
    doc = util.body(req, CREATE_SCHEMA)
    row, dep, device = claims.claim(req.db, req.ctx.project_id, doc["hostname"],
                                    doc["resource_class"], doc.get("traits", []),
                                    doc.get("bitstream_id"), req.app.programmer,
                                    vgpu_type=doc.get("vgpu_type"),
                                    partitioner=req.app.partitioner)
    return json_response(201, view(req, row, dep, device))


def _select():
    return (sa.select(m.AcceleratorRequest, m.Deployable, m.Device)
            .options(joinedload(m.AcceleratorRequest.attach_handle))
            .outerjoin(m.Deployable, m.Deployable.rp_uuid == m.AcceleratorRequest.device_rp_uuid)
            .outerjoin(m.Device, m.Device.id == m.Deployable.device_id)
            .where(m.AcceleratorRequest.kind == "claim"))


def list_(req):
    req.app.enforcer.authorize("accel:claim:get", req.ctx)
    query = _select().order_by(m.AcceleratorRequest.id)
    if not req.app.enforcer.allowed("accel:claim:get_all_projects", req.ctx):
        query = query.where(m.AcceleratorRequest.project_id == (req.ctx.project_id or ""))
    hostname = util.query(req, "hostname")
    if hostname is not None:
        query = query.where(m.AcceleratorRequest.hostname == hostname)
    with req.db.transaction() as session:
        rows = session.execute(query).unique().all()
    return json_response(200, {"claims": [view(req, *r) for r in rows]})


def get(req, uuid):
    uuid = util.check_uuid(uuid)
    with req.db.transaction() as session:
        row = session.execute(_select().where(m.AcceleratorRequest.uuid == uuid)).first()
    if row is None or not req.app.enforcer.allowed(
            "accel:claim:get", req.ctx, {"project_id": row[0].project_id or ""}):
        raise errors.NotFound(f"claim {uuid} not found")
    return json_response(200, view(req, *row))


def delete(req, uuid):
    req.app.enforcer.authorize("accel:claim:delete", req.ctx)
    uuid = util.check_uuid(uuid)
    project = None
    if not req.app.enforcer.allowed("accel:claim:get_all_projects", req.ctx):
        project = req.ctx.project_id or ""
    claims.release(req.db, uuid, project, partitioner=req.app.partitioner)
    return json_response(204)


def add_routes(router):
    router.add("GET", "/v2/claims", list_)
    router.add("POST", "/v2/claims", create)
    router.add("GET", "/v2/claims/{uuid}", get)
    router.add("DELETE", "/v2/claims/{uuid}", delete)
