"""The outermost WSGI layer: every error leaves as JSON in Cyborg's shape, with a reason.

The API answers its own errors so (``responses.error_body``), but layers around it do
not: keystonemiddleware answers 401 in its own JSON and 503 in HTML when Keystone is
down, and an exception raised in an auth layer (a misconfigured
``[keystone_authtoken]``, an htpasswd file gone) would reach the WSGI server, which
sends a 500 with an empty body. ``JsonErrors`` wraps such layers (``make_app`` puts one
around the whole pipeline):

* an error response (4xx/5xx) that is not already Cyborg's JSON is rewritten into it,
  its status and headers kept (``WWW-Authenticate``, ``Allow``, ``Retry-After``); the
  reason is the one given for that status (``reasons``), else the inner body's message
  when it is a JSON one, else the status's name;
* an exception before the response started is logged and answered ``failure_status``
  with ``failure_reason``; never a traceback.
"""

import json
import logging

from accel_api.api import inputs
from accel_api.api.responses import INTERNAL_ERROR, error_body

LOG = logging.getLogger(__name__)
#: Largest inner error body read to find its message.
MAX_INNER_BODY = 64 * 1024
_KEPT_HEADERS = ("www-authenticate", "allow", "retry-after", "openstack-api-version",
                 "vary", "x-openstack-request-id")
_PHRASES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 406: "Not Acceptable", 409: "Conflict",
            413: "Payload Too Large", 414: "URI Too Long", 415: "Unsupported Media Type",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout"}


def is_cyborg_error(body):
    """True when ``body`` (bytes) is already an error in Cyborg's shape."""
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return isinstance(doc, dict) and isinstance(doc.get("error_message"), str)


def _inner_message(body):
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if isinstance(doc, dict):
        inner = doc.get("error", doc)
        if isinstance(inner, dict):
            for key in ("message", "title", "faultstring"):
                if isinstance(inner.get(key), str) and inner[key]:
                    return inner[key][:300]
    return None


class JsonErrors:
    """Wraps a WSGI app; see the module's docstring."""

    def __init__(self, app, reasons=None, failure_status=500,
                 failure_reason=INTERNAL_ERROR):
        self.app = app
        self.reasons = dict(reasons or {})
        self.failure_status = failure_status
        self.failure_reason = failure_reason

    def __call__(self, environ, start_response):
        held = {}

        def _start(status, headers, exc_info=None):
            code = int(status.split(" ", 1)[0])
            if code < 400:
                held.clear()
                return start_response(status, headers, exc_info)
            held.update(code=code, status=status, headers=headers, parts=[])
            return held["parts"].append

        try:
            result = self.app(environ, _start)
        except Exception:
            LOG.exception("%s %s failed outside the API", inputs.shown_method(environ),
                          inputs.shown_path(environ))
            return self._answer(environ, start_response, self.failure_status,
                                self.failure_reason, [])
        if not held:
            return result
        try:
            body = b"".join(held["parts"])
            for chunk in result:
                if len(body) < MAX_INNER_BODY:
                    body += chunk
        except Exception:
            LOG.exception("%s %s: reading an error response failed",
                          inputs.shown_method(environ), inputs.shown_path(environ))
            return self._answer(environ, start_response, self.failure_status,
                                self.failure_reason, [])
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        code, headers = held["code"], held["headers"]
        if is_cyborg_error(body) or (environ.get("REQUEST_METHOD") == "HEAD" and not body):
            start_response(held["status"], headers)
            return [body]
        reason = (self.reasons.get(code) or _inner_message(body)
                  or _PHRASES.get(code, "Error"))
        kept = [(k, v) for k, v in headers if k.lower() in _KEPT_HEADERS]
        return self._answer(environ, start_response, code, reason, kept,
                            held["status"])

    @staticmethod
    def _answer(environ, start_response, code, reason, headers, status=None):
        body = json.dumps(error_body(reason, code), separators=(",", ":")).encode()
        if environ.get("REQUEST_METHOD") == "HEAD":
            body = b""
        start_response(status or f"{code} {_PHRASES.get(code, 'Error')}",
                       [*headers, ("Content-Type", "application/json"),
                        ("Content-Length", str(len(body)))])
        return [body]
