"""JSON responses and Cyborg's (wsme) error shape, which openstacksdk understands."""

import json

import webob


def error_body(message, status):
    fault = "Client" if status < 500 else "Server"
    return {"error_message": json.dumps(
        {"faultstring": message, "faultcode": fault, "debuginfo": None})}


def json_response(status, body=None, headers=None):
    resp = webob.Response(status=status)
    if body is not None:
        resp.content_type = "application/json"
        resp.charset = None
        resp.body = json.dumps(body, separators=(",", ":")).encode()
    else:
        resp.content_type = None
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp
