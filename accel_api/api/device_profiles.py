"""``/v2/device_profiles``: named request groups, public to every project, admin-written."""

import uuid

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from accel_api import errors
from accel_api.api import inputs, util
from accel_api.api.responses import json_response
from accel_api.claims import group_units
from accel_api.db import models as m
from accel_contract import naming

MAX_UNITS = 64
GROUP_KEY = r"^(resources:[A-Z][A-Z0-9_]{0,254}|trait:[A-Z0-9_]{1,255}|accel:[a-z0-9_:.-]{1,128})$"
CREATE_SCHEMA = {
    "type": "array", "minItems": 1, "maxItems": 1,
    "items": {
        "type": "object", "additionalProperties": False, "required": ["name", "groups"],
        "properties": {
            "name": {"type": "string", "pattern": "^[a-zA-Z0-9-_]+$", "maxLength": 255},
            "description": {"type": ["string", "null"], "maxLength": 255},
            "uuid": {"type": "string", "format": "uuid", "maxLength": 36},
            "groups": {
                "type": "array", "minItems": 1, "maxItems": 16,
                "items": {"type": "object", "minProperties": 1, "maxProperties": 64,
                          "propertyNames": {"pattern": GROUP_KEY},
                          "additionalProperties": {"type": "string", "maxLength": 255}},
            },
        },
    },
}


def _check_groups(groups):
    total = 0
    for gi, group in enumerate(groups):
        if not any(k.startswith("resources:") for k in group):
            raise errors.BadRequest(f"group {gi} asks for no resources: key")
        for key, value in group.items():
            kind, _, name = key.partition(":")
            if kind == "resources":
                if not naming.is_valid_resource_class(name):
                    raise errors.BadRequest(f"group {gi}: {name!r} is not a resource class")
                inputs.parse_int(value, f"group {gi}: {key} (a positive integer)", 1, MAX_UNITS)
            elif kind == "trait":
                if not naming.is_valid_trait(name):
                    raise errors.BadRequest(f"group {gi}: {name!r} is not a valid trait")
                if value not in ("required", "forbidden"):
                    raise errors.BadRequest(
                        f"group {gi}: {key} must be 'required' or 'forbidden'")
        total += group_units(group)
    if total > MAX_UNITS:
        raise errors.BadRequest(f"a device profile may ask for at most {MAX_UNITS} units")


def view(req, p):
    return {"uuid": p.uuid, "name": p.name, "description": p.description,
            "groups": p.groups, "created_at": util.ts(p.created_at),
            "updated_at": util.ts(p.updated_at),
            "links": util.links(req, "device_profiles", p.uuid)}


def create(req):
    req.app.enforcer.authorize("accel:device_profile:create", req.ctx)
    doc = util.body(req, CREATE_SCHEMA)[0]
    _check_groups(doc["groups"])

    def _create(session):
        profile = m.DeviceProfile(uuid=doc.get("uuid") or str(uuid.uuid4()), name=doc["name"],
                                  description=doc.get("description"), groups=doc["groups"])
        session.add(profile)
        session.flush()
        return profile

    try:
        profile = req.db.run(_create)
    except sa_exc.IntegrityError:
        raise errors.Conflict(f"a device profile named {doc['name']} or with that uuid "
                              "already exists") from None
    return json_response(201, view(req, profile))


def list_(req):
    req.app.enforcer.authorize("accel:device_profile:get", req.ctx)
    query = sa.select(m.DeviceProfile).order_by(m.DeviceProfile.id)
    name = util.query(req, "name")
    if name is not None:
        query = query.where(m.DeviceProfile.name.in_(name.split(",")))
    with req.db.transaction() as session:
        rows = session.scalars(query).all()
    return json_response(200, {"device_profiles": [view(req, p) for p in rows]})


def _find(session, req, ident):
    if util.is_uuid(ident):
        column = m.DeviceProfile.uuid
        ident = util.check_uuid(ident)
    elif req.version >= (2, 2):
        column = m.DeviceProfile.name
    else:
        # Cyborg's answer (exception.NotAcceptable) below MINOR_2_DP_BY_NAME.
        raise errors.NotAcceptable(
            f"{ident[:80]!r} is not a uuid; getting a profile by name needs microversion "
            "2.2 (Request not acceptable. The minimal required API version should be 2.2)")
    profile = session.scalar(sa.select(m.DeviceProfile).where(column == ident))
    if profile is None:
        raise errors.NotFound(f"Device profile {ident[:80]} not found")
    return profile


def get(req, name_or_uuid):
    req.app.enforcer.authorize("accel:device_profile:get", req.ctx)
    with req.db.transaction() as session:
        profile = _find(session, req, name_or_uuid)
    return json_response(200, {"device_profile": view(req, profile)})


def _delete(req, idents):
    req.app.enforcer.authorize("accel:device_profile:delete", req.ctx)

    def _do(session):
        for ident in idents:
            column = m.DeviceProfile.uuid if util.is_uuid(ident) else m.DeviceProfile.name
            profile = session.scalar(sa.select(m.DeviceProfile).where(column == ident))
            if profile is None:
                raise errors.NotFound(f"Device profile {ident[:80]} not found")
            session.delete(profile)

    req.db.run(_do)
    return json_response(204)


def delete_one(req, name_or_uuid):
    return _delete(req, [v for v in name_or_uuid.split(",") if v])


def delete_many(req):
    value = util.query(req, "value")
    if not value:
        raise errors.BadRequest("give ?value=<name>[,<name>...] or DELETE .../{uuid}")
    return _delete(req, [v for v in value.split(",") if v])


def add_routes(router):
    router.add("GET", "/v2/device_profiles", list_)
    router.add("POST", "/v2/device_profiles", create)
    router.add("DELETE", "/v2/device_profiles", delete_many)
    router.add("GET", "/v2/device_profiles/{name_or_uuid}", get)
    router.add("DELETE", "/v2/device_profiles/{name_or_uuid}", delete_one)
