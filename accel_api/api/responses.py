"""JSON responses and Cyborg's (wsme) error shape, which openstacksdk understands."""

import http
import json

#: What a client is told of a failure of ours; the log has the rest.
INTERNAL_ERROR = "Internal error; see the server log."


def error_body(message, status):
    fault = "Client" if status < 500 else "Server"
    return {"error_message": json.dumps(
        {"faultstring": message, "faultcode": fault, "debuginfo": None})}


def _status_line(code):
    try:
        return f"{code} {http.HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Unknown"


_STATUS_LINES = {code: _status_line(code) for code in range(100, 600)}


class JsonResponse:
    """A WSGI response of JSON bytes (or none): what every API handler answers.

    Built for each of Nova's claim calls, so it is a plain object: WebOb's ``Response``
    costs about three times as much CPU to build and answer for the same bytes. Like
    WebOb, it leaves the body out of the answer to HEAD but keeps its Content-Length.
    """

    __slots__ = ("status_code", "headers", "body")

    def __init__(self, status, body=b"", headers=None):
        self.status_code = status
        self.body = body
        self.headers = {} if headers is None else headers

    @property
    def json(self):
        return json.loads(self.body)

    def __call__(self, environ, start_response):
        headers = list(self.headers.items())
        headers.append(("Content-Length", str(len(self.body))))
        start_response(_STATUS_LINES.get(self.status_code) or _status_line(self.status_code),
                       headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [self.body]


def json_response(status, body=None, headers=None):
    fields = {}
    if body is not None:
        fields["Content-Type"] = "application/json"
    fields.update(headers or {})
    data = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    return JsonResponse(status, data, fields)
