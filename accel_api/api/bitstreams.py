"""``/v2/bitstreams``: the bitstream registry (metadata, streamed upload, download).

Two steps, as Glance: ``POST /v2/bitstreams`` records the metadata (201, status
``uploading``), ``PUT /v2/bitstreams/{uuid}/data`` streams the bytes into the
configured store while they are hashed (sha512 and sha256) and counted against
``[bitstreams] max_size``; only a complete upload becomes ``active``. Reads are
project-scoped: a project sees its own and public bitstreams, admins see all.
"""

import contextlib
import logging
import sqlite3
import threading
import uuid as uuidlib

import sqlalchemy as sa
import webob

from accel_api import errors
from accel_api.api import util
from accel_api.api.responses import json_response
from accel_api.bitstreams import backends, store, uploads
from accel_api.db import models as m
from accel_api.db.engine import MutexTimeout
from accel_api.jobs import norm_id

LOG = logging.getLogger(__name__)
_OPENING = threading.Lock()
#: ``_activate``'s answer when the upload's lease was taken and its image swept.
_SWEPT = object()
_ID = {"type": ["string", "null"], "maxLength": 64,
       "pattern": "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                  "[0-9a-fA-F]{12}$"}
CREATE_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 255},
        "vendor": {"type": ["string", "null"], "maxLength": 64},
        "type": {"type": ["string", "null"], "maxLength": 255},
        "function_id": _ID,
        "interface_id": _ID,
        "board": {"type": ["string", "null"], "maxLength": 64},
        "visibility": {"type": "string", "enum": ["private", "public"]},
    },
}


def view(req, b):
    return {"uuid": b.uuid, "name": b.name, "project_id": b.project_id,
            "visibility": b.visibility, "vendor": b.vendor, "type": b.type,
            "function_id": b.function_id, "interface_id": b.interface_id, "board": b.board,
            "status": b.status, "size": b.size, "checksum": b.sha512,
            "os_hash_algo": "sha512" if b.sha512 else None, "os_hash_value": b.sha512,
            "sha256": b.sha256, "backend": b.backend,
            "created_at": util.ts(b.created_at), "updated_at": util.ts(b.updated_at),
            "links": util.links(req, "bitstreams", b.uuid)}


def _store(req):
    return open_store(req.app)


def open_store(app):
    """The app's store ([bitstreams] backend), opened on first use; opening it sweeps
    what interrupted uploads left (in the background: it never delays a request). A
    store whose uploads are recorded (Glance) gets ``app.uploads``, whose thread sweeps
    once started (``AccelApi.start_background``, or the first upload)."""
    if getattr(app, "bitstream_store", None) is None:
        with _OPENING:
            if getattr(app, "bitstream_store", None) is None:
                opened = backends.load(app.conf)
                if opened.records_uploads:
                    app.uploads = uploads.PendingUploads(app.conf, app.db, opened)
                app.bitstream_store = opened
                threading.Thread(target=_sweep_quietly, args=(app,), daemon=True,
                                 name="bitstream-sweep").start()
    return app.bitstream_store


def _sweep_quietly(app):
    try:
        sweep(app)
    except Exception:  # a sweep that fails leaves leftovers, never a broken store
        LOG.exception("sweeping the bitstream store failed")


def _visible(req, query):
    if req.app.enforcer.allowed("accel:bitstream:get_all_projects", req.ctx):
        return query
    return query.where(sa.or_(m.Bitstream.visibility == "public",
                              m.Bitstream.project_id == req.ctx.project_id))


def _get_visible(req, session, ident, for_update=False):
    ident = util.check_uuid(ident)
    query = _visible(req, sa.select(m.Bitstream).where(m.Bitstream.uuid == ident))
    row = session.scalar(query.with_for_update() if for_update else query)
    if row is None:
        raise errors.NotFound(f"Bitstream {ident} not found")
    return row


def create(req):
    req.app.enforcer.authorize("accel:bitstream:create", req.ctx)
    doc = util.body(req, CREATE_SCHEMA)
    visibility = doc.get("visibility", "private")
    if visibility == "public":
        req.app.enforcer.authorize("accel:bitstream:publicize", req.ctx)

    def _create(session):
        row = m.Bitstream(uuid=str(uuidlib.uuid4()), name=doc["name"],
                          project_id=req.ctx.project_id, visibility=visibility,
                          vendor=doc.get("vendor"), type=doc.get("type"),
                          function_id=norm_id(doc.get("function_id")),
                          interface_id=norm_id(doc.get("interface_id")),
                          board=doc.get("board"), status="uploading",
                          backend=req.app.conf.bitstreams.backend)
        session.add(row)
        session.flush()
        return row

    return json_response(201, view(req, req.db.run(_create)))


def upload(req, uuid):
    """Stream the body into the store; 413 past the limit, nothing kept on failure."""
    req.app.enforcer.authorize("accel:bitstream:upload", req.ctx)
    limit = req.app.conf.bitstreams.max_size
    length = req.content_length
    if length is not None and length > limit:
        raise errors.ApiError(f"bitstream larger than the limit of {limit} bytes", 413)
    with req.db.transaction() as session:
        row = _get_visible(req, session, uuid)
        if row.project_id != req.ctx.project_id and not req.ctx.is_admin:
            raise errors.Forbidden(f"bitstream {row.uuid} belongs to another project")
        if row.status != "uploading":
            raise errors.Conflict(f"bitstream {row.uuid} is {row.status}; data is uploaded "
                                  "once")
        meta = store.Metadata(name=row.name, vendor=row.vendor, type=row.type,
                              function_id=row.function_id, interface_id=row.interface_id,
                              board=row.board, project_id=row.project_id,
                              visibility=row.visibility)
        row_id, row_uuid = row.id, row.uuid
    if length is None and not req.is_body_readable:
        raise errors.BadRequest("the bitstream bytes are the request body")
    body = req.body_file_raw if length is not None else req.body_file
    chunk = req.app.conf.bitstreams.chunk_size
    bitstreams = _store(req)
    pending = None
    if bitstreams.records_uploads:  # recorded first: a killed upload's image is swept
        pending = req.app.uploads.begin(row_uuid)
        meta.location, meta.upload_id = pending.location, pending.upload_id
    try:
        return _store_and_activate(req, uuid, row_id, bitstreams, pending, body, chunk,
                                   length, limit, meta)
    finally:
        if pending is not None:
            req.app.uploads.forget(pending)


upload.max_body_option = "bitstreams.max_size"


def _store_and_activate(req, uuid, row_id, bitstreams, pending, body, chunk, length, limit,
                        meta):
    stored = None
    try:
        stored = bitstreams.put(store.chunks(body, chunk, length), limit, meta)
    except store.TooLarge as exc:
        raise errors.ApiError(str(exc), 413) from None
    except store.StoreError as exc:
        LOG.warning("bitstream %s upload failed: %s", uuid, exc)
        raise errors.ApiError(f"storing the bitstream failed: {exc}", 502) from None
    finally:
        if stored is None and pending is not None:
            req.app.uploads.discard(pending)

    def _activate(session):
        row = session.get(m.Bitstream, row_id, with_for_update=True)
        if row is None or row.status != "uploading":
            return None  # deleted, or a concurrent upload (a retry) won: ours is not used
        if pending is not None and not req.app.uploads.finish(session, pending):
            return _SWEPT  # presumed dead and swept: its image is not ours any more
        bitstreams.commit(stored)  # readable before the record says active
        row.status, row.size, row.sha512, row.sha256, row.location = (
            "active", stored.size, stored.sha512, stored.sha256, stored.location)
        return row

    try:
        with _location_mutex(req.app, stored.location):
            row = req.db.run(_activate)
    finally:
        bitstreams.release(stored)
    if row is _SWEPT:
        LOG.error("bitstream %s: the upload's lease passed before it was done ([bitstreams] "
                  "upload_lease) and its image %s was swept", uuid, stored.location)
        raise errors.ApiError("the upload outlived its lease and was removed as abandoned "
                              "(is the database reachable?); upload again", 503)
    if row is None:
        if pending is not None:  # our own image (Glance), recorded: dropped with its row
            req.app.uploads.discard(pending)
        elif not bitstreams.shared_locations():  # our own copy: drop it
            _drop(req.app, stored.location)
        raise errors.Conflict(f"bitstream {uuid} was deleted or uploaded meanwhile")
    return json_response(200, view(req, row))


def list_(req):
    req.app.enforcer.authorize("accel:bitstream:get", req.ctx)
    query = _visible(req, sa.select(m.Bitstream).order_by(m.Bitstream.id))
    for param, column in (("name", m.Bitstream.name), ("vendor", m.Bitstream.vendor),
                          ("type", m.Bitstream.type)):
        value = util.query(req, param)
        if value is not None:
            query = query.where(column == value)
    for param, column in (("function_id", m.Bitstream.function_id),
                          ("interface_id", m.Bitstream.interface_id)):
        value = util.query(req, param)
        if value is not None:
            query = query.where(column == norm_id(value))
    with req.db.transaction() as session:
        rows = session.scalars(query).all()
    return json_response(200, {"bitstreams": [view(req, b) for b in rows]})


def get(req, uuid):
    req.app.enforcer.authorize("accel:bitstream:get", req.ctx)
    with req.db.transaction() as session:
        row = _get_visible(req, session, uuid)
    return json_response(200, view(req, row))


def _row_without_write_lock(req, ident):
    """The bitstream row read outside ``BEGIN IMMEDIATE`` on SQLite.

    An agent downloads while a bind that asked for programming holds the SQLite write
    lock (it waits for the agent); a plain autocommit SELECT sees the last committed
    row under WAL without waiting for that lock.
    """
    columns = ("uuid", "project_id", "visibility", "status", "size", "sha256", "location",
               "backend")
    if req.db.dialect != "sqlite":
        with req.db.transaction() as session:
            row = session.scalar(sa.select(m.Bitstream).where(m.Bitstream.uuid == ident))
            return None if row is None else {c: getattr(row, c) for c in columns}
    raw = req.db.engine.raw_connection()
    try:
        cur = raw.driver_connection.execute(
            f"SELECT {', '.join(columns)} FROM bitstreams WHERE uuid = ?", (ident,))
        found = cur.fetchone()
    except sqlite3.Error as exc:
        raise errors.ApiError(f"database busy: {exc}", 503) from None
    finally:
        raw.close()
    return None if found is None else dict(zip(columns, found, strict=True))


def download(req, uuid):
    """Stream the bytes (agents fetch what they program; owners fetch their own)."""
    ident = util.check_uuid(uuid)
    row = _row_without_write_lock(req, ident)
    if row is None or not (
            req.app.enforcer.allowed("accel:bitstream:download", req.ctx)
            or row["visibility"] == "public" or row["project_id"] == req.ctx.project_id
            or _for_agents_job(req, ident)):
        raise errors.NotFound(f"Bitstream {ident} not found")
    if row["status"] != "active":
        raise errors.Conflict(f"bitstream {ident} has no data yet ({row['status']})")
    try:
        chunks = _store(req).open(row["location"])
    except store.NotStored:
        raise errors.NotFound(f"the bytes of bitstream {ident} are gone from the store") \
            from None
    except store.StoreError as exc:
        raise errors.ApiError(f"reading the bitstream failed: {exc}", 502) from None
    resp = webob.Response(status=200, app_iter=chunks,
                          content_type="application/octet-stream")
    resp.content_length = row["size"]
    resp.headers["X-Checksum-Sha256"] = row["sha256"] or ""
    return resp


def _for_agents_job(req, ident):
    """An agent principal fetching the bitstream of a job sent to its host: the job's
    URL carries ``expires`` and ``sig`` (``accel_api.agents.credentials``)."""
    host = req.ctx.agent_host
    if not host or host == "*" or \
            not req.app.enforcer.allowed("accel:bitstream:download_for_job", req.ctx):
        return False
    from accel_api.agents import credentials

    return credentials.check_download(
        req.app.conf.agent_rpc.credential_secret, host, ident,
        req.GET.get("expires"), req.GET.get("sig"))


@contextlib.contextmanager
def _location_mutex(app, location):
    """Who changes whether bytes at a shared ``location`` are used holds this: an upload
    committing them for its record, a delete or sweep removing them when unused."""
    if not open_store(app).shared_locations():
        yield
        return
    try:
        with app.db.mutex(f"bitstream-location:{location}"):
            yield
    except MutexTimeout:
        raise errors.ApiError("the bitstream store is busy; try again", 503) from None


def _drop(app, location):
    """Delete stored bytes unless a bitstream still points to them (content addressing)."""
    if location is None:
        return

    def _unused(session):
        used = session.scalar(sa.select(m.Bitstream.id).where(
            m.Bitstream.location == location).limit(1))
        if used is None:  # still under the mutex (and on SQLite the write lock)
            open_store(app).delete(location)

    try:
        with _location_mutex(app, location):
            app.db.run(_unused)
    except (store.StoreError, errors.ApiError) as exc:
        LOG.error("could not delete stored bitstream bytes at %s: %s", location, exc)


def sweep(app):
    """What interrupted uploads left: staging files nobody writes, stored bytes no
    bitstream points to. Run when the store is opened; returns how many were removed."""
    bitstreams = open_store(app)
    removed = bitstreams.sweep()
    for location in list(bitstreams.locations()):
        with app.db.transaction() as session:
            used = session.scalar(sa.select(m.Bitstream.id).where(
                m.Bitstream.location == location).limit(1))
        if used is None:
            _drop(app, location)  # checks again, under the mutex
            removed += 1
    if removed:
        LOG.info("bitstream store: removed %d leftover(s) of interrupted uploads", removed)
    return removed


def delete(req, uuid):
    req.app.enforcer.authorize("accel:bitstream:delete", req.ctx)

    def _delete(session):
        row = _get_visible(req, session, uuid, for_update=True)
        if row.project_id != req.ctx.project_id and not req.ctx.is_admin:
            raise errors.Forbidden(f"bitstream {row.uuid} belongs to another project")
        location = row.location
        session.delete(row)
        return location

    location = req.db.run(_delete)
    _drop(req.app, location)
    return json_response(204)


def add_routes(router):
    router.add("GET", "/v2/bitstreams", list_)
    router.add("POST", "/v2/bitstreams", create)
    router.add("GET", "/v2/bitstreams/{uuid}", get)
    router.add("DELETE", "/v2/bitstreams/{uuid}", delete)
    router.add("PUT", "/v2/bitstreams/{uuid}/data", upload)
    router.add("GET", "/v2/bitstreams/{uuid}/data", download)
