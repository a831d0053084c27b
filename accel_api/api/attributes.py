"""``/v2/attributes``: key/value facts on deployables; admin writes."""

import uuid as uuidlib

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from accel_api import errors, inventory_import
from accel_api.api import inputs, util
from accel_api.api.responses import json_response
from accel_api.db import models as m

CREATE_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["deployable_id", "key", "value"],
    "properties": {
        "deployable_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        "key": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"},
        "value": {"type": "string", "maxLength": 4096},
    },
}


def view(req, a):
    return {"uuid": a.uuid, "deployable_id": a.deployable_id, "key": a.key, "value": a.value,
            "created_at": util.ts(a.created_at), "updated_at": util.ts(a.updated_at),
            "links": util.links(req, "attributes", a.uuid)}


def list_(req):
    req.app.enforcer.authorize("accel:attribute:get", req.ctx)
    query = sa.select(m.Attribute).order_by(m.Attribute.id)
    dep = util.query(req, "deployable_id")
    if dep is not None:
        dep = inputs.parse_int(dep, "deployable_id", 1, 2**31 - 1)
        query = query.where(m.Attribute.deployable_id == dep)
    key = util.query(req, "key")
    if key is not None:
        query = query.where(m.Attribute.key == key)
    with req.db.transaction() as session:
        rows = session.scalars(query).all()
    return json_response(200, {"attributes": [view(req, a) for a in rows]})


def get(req, uuid):
    req.app.enforcer.authorize("accel:attribute:get", req.ctx)
    uuid = util.check_uuid(uuid)
    with req.db.transaction() as session:
        a = session.scalar(sa.select(m.Attribute).where(m.Attribute.uuid == uuid))
    if a is None:
        raise errors.NotFound(f"Attribute {uuid} not found")
    return json_response(200, view(req, a))


def create(req):
    req.app.enforcer.authorize("accel:attribute:create", req.ctx)
    doc = util.body(req, CREATE_SCHEMA, unwrap="attribute")

    def _do(session):
        if session.get(m.Deployable, doc["deployable_id"]) is None:
            raise errors.BadRequest(f"deployable {doc['deployable_id']} does not exist")
        a = m.Attribute(uuid=str(uuidlib.uuid4()), deployable_id=doc["deployable_id"],
                        key=doc["key"], value=doc["value"], source="api")
        session.add(a)
        session.flush()
        return a

    try:
        a = req.db.run(_do)
    except sa_exc.IntegrityError:
        raise errors.Conflict(f"deployable {doc['deployable_id']} already has attribute "
                              f"{doc['key']}") from None
    return json_response(201, view(req, a))


def delete(req, uuid):
    req.app.enforcer.authorize("accel:attribute:delete", req.ctx)
    uuid = util.check_uuid(uuid)

    def _do(session):
        dep_id = session.scalar(sa.select(m.Attribute.deployable_id)
                                .where(m.Attribute.uuid == uuid))
        count = session.execute(sa.delete(m.Attribute).where(m.Attribute.uuid == uuid)).rowcount
        if not count:
            raise errors.NotFound(f"Attribute {uuid} not found")
        # An inventory attribute comes back with the host's next report.
        inventory_import.forget_report(session, dep_id)

    req.db.run(_do)
    return json_response(204)


def add_routes(router):
    router.add("GET", "/v2/attributes", list_)
    router.add("POST", "/v2/attributes", create)
    router.add("GET", "/v2/attributes/{uuid}", get)
    router.add("DELETE", "/v2/attributes/{uuid}", delete)
