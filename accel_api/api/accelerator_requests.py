"""``/v2/accelerator_requests``: ARQs, Nova's bind/unbind protocol, project-scoped."""

from accel_api import claims, errors, states
from accel_api.api import inputs, util
from accel_api.api.responses import error_body, json_response

MAX_BATCH = 64
UUID = {"type": "string", "format": "uuid", "minLength": 32, "maxLength": 36}
CREATE_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["device_profile_name"],
    "properties": {
        "device_profile_name": {"type": "string", "minLength": 1, "maxLength": 255},
        # python-cyborgclient sends null when no group is given, and the CLI's
        # ``--group-id`` as a string: Cyborg takes both (201).
        "device_profile_group_id": {"type": ["integer", "string", "null"], "minimum": 0,
                                    "maximum": 15, "pattern": "^(1[0-5]|[0-9])$"},
        "image_uuid": dict(UUID, type=["string", "null"]),
    },
}
PATCH_OP = {
    "type": "object", "additionalProperties": False, "required": ["path", "op"],
    "properties": {
        "path": {"enum": ["/hostname", "/device_rp_uuid", "/instance_uuid", "/project_id"]},
        "op": {"enum": ["add", "remove"]},
        "value": {"type": "string", "minLength": 1, "maxLength": 255},
    },
}
PATCH_SCHEMA = {
    "type": "object", "minProperties": 1, "maxProperties": MAX_BATCH,
    "propertyNames": {"pattern": "^[0-9a-fA-F-]{32,36}$"},
    "additionalProperties": {"type": "array", "minItems": 1, "maxItems": 4, "items": PATCH_OP},
}


def view(req, arq):
    """``arq``: a ``claims.Arq`` (the hot path reads rows with Core, not ORM objects)."""
    handle_type = arq.attach_handle_type if arq.attach_handle_id else None
    return {
        "uuid": arq.uuid, "state": arq.state,
        "device_profile_name": arq.device_profile_name,
        "device_profile_group_id": arq.device_profile_group_id,
        "hostname": arq.hostname, "device_rp_uuid": arq.device_rp_uuid,
        "instance_uuid": arq.instance_uuid, "project_id": arq.project_id,
        "attach_handle_type": handle_type,
        "attach_handle_uuid": claims.handle_uuid(handle_type, arq.attach_handle_uuid,
                                                 arq.attach_handle_instance)
        if handle_type else None,
        "attach_handle_info": claims.handle_info(handle_type, arq.attach_handle_address,
                                                 arq.attach_handle_partition_type,
                                                 arq.attach_handle_instance, None,
                                                 arq.attach_handle_physical_network),
        "links": util.links(req, "accelerator_requests", arq.uuid),
    }


def _visible_project(req, all_rule):
    """None when the caller sees every project, else the caller's project."""
    if req.app.enforcer.allowed(all_rule, req.ctx):
        return None
    return req.ctx.project_id or ""


def create(req):
    req.app.enforcer.authorize("accel:arq:create", req.ctx)
    doc = util.body(req, CREATE_SCHEMA, fast=True)
    group_id = doc.get("device_profile_group_id")
    rows = claims.create_arqs(req.db, doc["device_profile_name"], req.ctx.project_id,
                              None if group_id is None else int(group_id))
    return json_response(201, {"arqs": [view(req, arq) for arq in rows]})


def _query():
    return claims.ARQ_VIEW.where(claims.ARQ.c.kind == "arq")


def list_(req):
    req.app.enforcer.authorize("accel:arq:get", req.ctx)
    bind_state = util.query(req, "bind_state")
    if bind_state is not None and bind_state != "resolved":
        raise errors.BadRequest(f"bind_state {bind_state[:40]!r} is invalid; only 'resolved'")
    instance = util.query(req, "instance")
    arq = claims.ARQ.c
    query = _query().order_by(arq.id)
    project = _visible_project(req, "accel:arq:get_all_projects")
    if project is not None:
        query = query.where(arq.project_id == project)
    if instance is not None:
        query = query.where(arq.instance_uuid == util.check_uuid(instance, "instance"))
    elif bind_state:
        query = query.where(arq.state.in_(states.RESOLVED))
    with req.db.reading() as conn:
        rows = [claims.Arq.from_row(r) for r in conn.execute(query)]
    if instance is not None and bind_state and any(
            a.state not in states.RESOLVED for a in rows):
        return json_response(423, error_body(
            f"accelerator requests of instance {instance} are not all resolved yet", 423))
    return json_response(200, {"arqs": [view(req, a) for a in rows]})


def get(req, uuid):
    arq_uuid = util.check_uuid(uuid)
    arq = claims.get_arq(req.db, arq_uuid)
    if arq is None or not req.app.enforcer.allowed(
            "accel:arq:get", req.ctx, {"project_id": arq.project_id or ""}):
        raise errors.NotFound(f"Accelerator Request {arq_uuid} not found")
    return json_response(200, view(req, arq))


def _parse_patch(arq_uuid, patch, version):
    ops = {p["op"] for p in patch}
    if len(ops) != 1:
        raise errors.BadRequest(f"{arq_uuid}: every op must be add, or every op remove")
    fields = {}
    for p in patch:
        name = p["path"].lstrip("/")
        if name == "project_id" and version < (2, 1):
            raise errors.NotAcceptable("project_id in a bind needs microversion 2.1")
        if name in fields:
            raise errors.BadRequest(f"{arq_uuid}: {p['path']} given twice")
        if p["op"] == "add":
            if "value" not in p:
                raise errors.BadRequest(f"{arq_uuid}: add {p['path']} needs a value")
            value = p["value"]
            if name in ("device_rp_uuid", "instance_uuid"):
                value = util.check_uuid(value, name)
            fields[name] = value
        else:
            fields[name] = None
    op = ops.pop()
    if op == "add":
        missing = [f for f in claims.BIND_FIELDS if f not in fields]
        if missing:
            raise errors.BadRequest(f"{arq_uuid}: fields absent in patch: {', '.join(missing)}")
    return op, fields


def patch(req):
    """Bind (all ``add``) or unbind (all ``remove``) a batch; 202 like Cyborg. ARQs whose
    bind programs through the agent are ``BindStarted`` then (see ``async_binds``); the
    others are resolved before the answer."""
    req.app.enforcer.authorize("accel:arq:update", req.ctx)
    doc = util.body(req, PATCH_SCHEMA, fast=True)
    parsed = {}
    for arq_uuid, ops in doc.items():
        parsed[util.check_uuid(arq_uuid)] = _parse_patch(arq_uuid, ops, req.version)
    kinds = {op for op, _ in parsed.values()}
    if len(kinds) != 1:
        raise errors.BadRequest("a request either binds or unbinds; not both")
    if kinds.pop() == "add":
        done = claims.bind(req.db, {u: f for u, (_, f) in parsed.items()},
                           req.app.programmer, req.app.partitioner, req.app.async_binds)
        started = [a.uuid for a in done if a.state == states.BIND_STARTED]
        if started:  # committed: programming goes on in the background (Cyborg's way)
            req.app.async_binds.submit(started)
    else:
        claims.unbind(req.db, list(parsed), req.app.partitioner)
    return json_response(202, None)


def patch_one(req, uuid):
    """openstacksdk's form: ``PATCH /v2/accelerator_requests/{uuid}``, same body."""
    uuid = util.check_uuid(uuid)
    doc = inputs.json_body(req)  # parsed once: ``patch`` reads the same document
    keys = list(doc) if isinstance(doc, dict) else []
    if [util.is_uuid(k) and util.check_uuid(k) for k in keys] != [uuid]:
        raise errors.BadRequest(f"the body must be {{\"{uuid}\": [patch ops]}}")
    return patch(req)


def delete_one(req, uuid):
    """``DELETE /v2/accelerator_requests/{uuid}`` (what openstacksdk sends)."""
    req.app.enforcer.authorize("accel:arq:delete", req.ctx)
    project = _visible_project(req, "accel:arq:get_all_projects")
    claims.delete_arqs(req.db, uuids=[util.check_uuid(uuid)], project_id=project,
                       partitioner=req.app.partitioner)
    return json_response(204)


def delete(req):
    arqs = util.query(req, "arqs")
    instance = util.query(req, "instance")
    if bool(arqs) == bool(instance):
        raise errors.BadRequest("Provide either an ARQ uuid list or an instance UUID")
    if arqs:
        req.app.enforcer.authorize("accel:arq:delete", req.ctx)
        uuids = [util.check_uuid(u) for u in arqs.split(",") if u]
        if not uuids or len(uuids) > 1000:
            raise errors.BadRequest("arqs must list 1 to 1000 uuids")
        project = _visible_project(req, "accel:arq:get_all_projects")
        claims.delete_arqs(req.db, uuids=uuids, project_id=project,
                           partitioner=req.app.partitioner)
    else:
        req.app.enforcer.authorize("accel:arq:delete_by_instance", req.ctx)
        claims.delete_arqs(req.db, instance_uuid=util.check_uuid(instance, "instance"),
                           partitioner=req.app.partitioner)
    return json_response(204)


def add_routes(router):
    util.prepare(CREATE_SCHEMA, PATCH_SCHEMA, fast=True)
    router.add("GET", "/v2/accelerator_requests", list_)
    router.add("POST", "/v2/accelerator_requests", create)
    router.add("PATCH", "/v2/accelerator_requests", patch)
    router.add("DELETE", "/v2/accelerator_requests", delete)
    router.add("GET", "/v2/accelerator_requests/{uuid}", get)
    router.add("PATCH", "/v2/accelerator_requests/{uuid}", patch_one)
    router.add("DELETE", "/v2/accelerator_requests/{uuid}", delete_one)
