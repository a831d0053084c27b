"""WSGI application factory: routing, microversions, JSON errors, body limits.

Every error leaves as JSON in Cyborg's (wsme) shape with a 4xx status; an unexpected
exception is logged and answered with a generic 500 that carries no traceback.
"""

import logging

import webob
from oslo_config import cfg
from sqlalchemy import exc as sa_exc

from accel_api import auth, errors, partitions
from accel_api import programming as programmers
from accel_api.api import (
    accelerator_requests,
    attributes,
    bitstreams,
    claims,
    deployables,
    device_profiles,
    devices,
    guard,
    hosts,
    inputs,
    microversion,
    programming,
    versions,
)
from accel_api.api.responses import INTERNAL_ERROR, error_body, json_response
from accel_api.api.router import Router
from accel_api.context import RequestContext
from accel_api.db.engine import Database, default_url
from accel_api.policies import Enforcer

LOG = logging.getLogger(__name__)
RESOURCE_MODULES = (versions, device_profiles, accelerator_requests, devices, deployables,
                    attributes, hosts, claims, bitstreams, programming)


class Request(webob.Request):
    """A WebOb request plus what the app resolved: context, version, services.

    Declared on the class so that WebOb stores them on the object rather than in its
    per-request ``webob.adhoc_attrs`` dict of the environ.
    """

    ctx: RequestContext = None
    version: tuple = None
    app: "AccelApi" = None

    @property
    def db(self):
        return self.app.db


class AccelApi:
    """The API without authentication (``make_app`` wraps it)."""

    def __init__(self, conf, db):
        self.conf = conf
        self.db = db
        self.enforcer = Enforcer(conf)
        self.programmer = programmers.load(conf.claims.programmer, conf)
        self.partitioner = partitions.Partitioner(conf)
        self.bitstream_store = None  # made on first use ([bitstreams] backend)
        self.uploads = None  # with the store, when it records uploads (Glance)
        self.placement = None  # made on first report when [placement] is configured
        self.max_body = conf.api.max_request_body_size
        self.router = Router()
        for module in RESOURCE_MODULES:
            module.add_routes(self.router)
        if conf.bitstreams.backend == "local":
            bitstreams.open_store(self)  # sweeps what a killed upload left, at start
        self.background = []
        from accel_api.claims import async_binds

        self.async_binds = async_binds.AsyncBinds(conf, db, self.partitioner)

    def start_background(self):
        """Threads a serving worker runs beside requests: the asynchronous binds (and the
        takeover of those whose owner died), the Placement retries of hosts that wait for
        their compute node's provider (when ``[placement]`` is set), the leases and sweep
        of uploads to Glance (when it is the bitstream store)."""
        from accel_api.placement import report, retrier

        self.async_binds.start()
        try:
            records = bitstreams.open_store(self).records_uploads
        except Exception:  # as before: uploads fail with the reason, the rest serves
            LOG.exception("cannot open the bitstream store ([bitstreams] backend = %s)",
                          self.conf.bitstreams.backend)
            records = False
        if records:
            self.uploads.start()  # its first tick removes what killed uploads left
        if report.enabled(self.conf) and not self.background:
            thread = retrier.Retrier(self)
            thread.start()
            self.background.append(thread)

    def stop_background(self):
        """Graceful exit: asynchronous binds are given back to the other processes."""
        self.async_binds.stop()
        if self.uploads is not None:
            self.uploads.stop()
        for thread in self.background:
            thread.stop()

    def __call__(self, environ, start_response):
        req = Request(environ)
        req.app = self
        try:
            resp = self._dispatch(req)
        except errors.ApiError as exc:
            resp = json_response(exc.status, error_body(exc.message, exc.status))
        except sa_exc.DataError as exc:
            # A value the database refused (too long, out of range) that no check caught
            # first: the request's data, so a 400; logged, as such a check is missing.
            LOG.error("database refused a value of %s %s: %s", inputs.shown_method(environ),
                      inputs.shown_path(environ), str(exc.orig)[:300])
            resp = json_response(400, error_body(
                "a value of the request cannot be stored (too long or out of range)", 400))
        except Exception:
            # Nothing here may read the request again: what failed may be in it.
            LOG.exception("unexpected error on %s %s", inputs.shown_method(environ),
                          inputs.shown_path(environ))
            resp = json_response(500, error_body(INTERNAL_ERROR, 500))
        version = req.version or microversion.MIN
        resp.headers[microversion.HEADER] = (
            f"{microversion.SERVICE} {microversion.fmt(version)}")
        resp.headers["Vary"] = microversion.HEADER
        return resp(environ, start_response)

    def _dispatch(self, req):
        inputs.check_target(req)
        path = req.path_info.rstrip("/") or "/"
        # HEAD is GET without the body (WebOb's response leaves the body out).
        method = "GET" if req.method == "HEAD" else req.method
        route, found = self.router.match(method, path)
        if route is None:
            if found:
                allowed = set(found) | ({"HEAD"} if "GET" in found else set())
                return json_response(405, error_body(
                    f"method {req.method[:16]} not allowed on {path}", 405),
                    {"Allow": ", ".join(sorted(allowed))})
            raise errors.NotFound(f"no resource at {path}")
        req.version = microversion.parse(req)
        req.ctx = RequestContext.from_environ(req.environ)
        limit = self._route_body_limit(route)
        length = inputs.content_length(req)
        if length is not None and length > limit:
            raise errors.ApiError(f"request body larger than {limit} bytes", status=413)
        return route.handler(req, **found)

    def _route_body_limit(self, route):
        option = getattr(route.handler, "max_body_option", None)
        if option and "." in option:  # "group.name": a limit of another group
            group, _, name = option.partition(".")
            return getattr(self.conf[group], name)
        return getattr(self.conf.api, option) if option else self.max_body

    def body_limit(self, method, path):
        """The largest body ``method path`` accepts (``[api] max_request_body_size``
        where no route matches: such a request is refused anyway). The built-in server
        asks before it reads a body."""
        route, _ = self.router.match(method, path.rstrip("/") or "/")
        return self.max_body if route is None else self._route_body_limit(route)


def load_conf(args=None, conf=None):
    conf = conf or cfg.ConfigOpts()
    from accel_api.conf import opts

    if "api" not in conf:
        opts.register_opts(conf)
    if args is not None:
        conf(args, project="accel-api")
    return conf


def make_app(conf, db=None, background=False):
    """The full WSGI app on ``[database] connection``: the auth strategy around the API,
    and around both ``guard.JsonErrors``, so whatever fails anywhere is a JSON error.

    ``background``: also start the worker's background threads (a serving process
    does; tests that only call the app do not)."""
    return make_api_and_app(conf, db, background)[1]


def make_api_and_app(conf, db=None, background=False):
    """(the API, the full WSGI app around it): the built-in server asks the API for
    each route's body limit."""
    if db is None:
        url = conf.database.connection or default_url(conf.state_dir)
        db = Database(url, conf.database.pool_size, conf.database.max_overflow,
                      conf.database.retries)
    if conf.agent_rpc.auth_strategy == "http_basic" and not conf.agent_rpc.credential_secret:
        raise ValueError("[agent_rpc] auth_strategy = http_basic needs [agent_rpc] "
                         "credential_secret: each host's agent credential is derived from it")
    api = AccelApi(conf, db)
    if background:
        api.start_background()
    return api, guard.JsonErrors(auth.wrap(api, conf))
