"""Version documents at ``/`` and ``/v2`` (what keystoneauth discovery reads)."""

from accel_api.api import microversion
from accel_api.api.responses import json_response


def _v2(req):
    base = (req.app.conf.api.public_endpoint or req.host_url).rstrip("/")
    return {
        "id": "v2.0",
        "status": "CURRENT",
        "min_version": microversion.fmt(microversion.MIN),
        "max_version": microversion.fmt(microversion.MAX),
        "links": [{"href": f"{base}/v2", "rel": "self"}],
    }


def root(req):
    v2 = _v2(req)
    return json_response(200, {"name": "ironic-accel accel-api",
                               "description": "Cyborg-v2-compatible accelerator API",
                               "versions": [v2], "default_version": v2})


def v2(req):
    return json_response(200, {"version": _v2(req)} | _v2(req))


def add_routes(router):
    router.add("GET", "/", root)
    router.add("GET", "/v2", v2)
