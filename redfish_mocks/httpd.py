"""A lean HTTP/1.1 keep-alive server (stdlib, a thread per connection) for Redfish services.

A *service* object answers ``handle(method, path, headers, body) -> Response``; this
module only speaks HTTP. ``DROP`` closes the connection without an answer, which is
what a client sees from a BMC that is rebooting or cut off.
"""

from __future__ import annotations

import http.server
import json
import socket
import socketserver
import threading

DROP = object()
MAX_BODY = 64 * 1024 * 1024 + 1024 * 1024


class Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status, body=b"", headers=None):
        self.status = status
        self.body = body
        self.headers = headers or []


def json_response(status, doc, headers=None):
    body = json.dumps(doc, separators=(",", ":")).encode()
    return Response(status, body, [("Content-Type", "application/json; charset=utf-8")]
                    + (headers or []))


def redfish_error(status, message, message_id="Base.1.19.GeneralError", headers=None):
    doc = {"error": {"code": message_id, "message": message,
                     "@Message.ExtendedInfo": [{
                         "@odata.type": "#Message.v1_3_0.Message",
                         "MessageId": message_id, "Message": message,
                         "MessageSeverity": "Critical" if status >= 500 else "Warning",
                         "Resolution": "Correct the request and resubmit it."
                         if status < 500 else "Retry the operation."}]}}
    return json_response(status, doc, headers)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "accel-redfish-mock"
    sys_version = ""

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):  # quiet by default; --verbose turns it on
        if self.server.verbose:
            super().log_message(fmt, *args)

    def _dispatch(self):
        length = self.headers.get("Content-Length")
        body = b""
        if length:
            try:
                n = int(length)
            except ValueError:
                n = -1
            if n < 0 or n > MAX_BODY:
                self._send(redfish_error(413 if n > 0 else 400, "bad Content-Length"))
                self.close_connection = True
                return
            body = self.rfile.read(n)
        try:
            resp = self.server.service.handle(self.command, self.path, self.headers, body)
        except Exception as exc:  # a bug answers 500 with its name, never a dead thread
            resp = redfish_error(500, f"internal error: {exc!r}", "Base.1.19.InternalError")
        if resp is DROP:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._send(resp)

    def _send(self, resp):
        out = [f"HTTP/1.1 {resp.status} {self.responses.get(resp.status, ('',))[0]}\r\n"]
        has_ct = False
        for k, v in resp.headers:
            has_ct = has_ct or k == "Content-Type"
            out.append(f"{k}: {v}\r\n")
        body = resp.body if self.command != "HEAD" else b""
        if resp.status != 204 and resp.status >= 200:
            out.append(f"Content-Length: {len(resp.body)}\r\n")
        if self.close_connection:  # the client asked for it (or HTTP/1.0): say so
            out.append("Connection: close\r\n")
        out.append("OData-Version: 4.0\r\nCache-Control: no-cache\r\n\r\n")
        self.wfile.write("".join(out).encode("latin-1") + body)

    do_GET = do_HEAD = do_POST = do_PATCH = do_PUT = do_DELETE = _dispatch


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


class HttpService:
    """Serve ``service`` on ``host:port`` (0: any free port) in a background thread."""

    def __init__(self, service, host="127.0.0.1", port=0, verbose=False):
        self.httpd = _Server((host, port), _Handler)
        self.httpd.service = service
        self.httpd.verbose = verbose
        self.thread = None

    @property
    def port(self):
        return self.httpd.server_address[1]

    @property
    def url(self):
        return f"http://{self.httpd.server_address[0]}:{self.port}"

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True,
                                       name="accel-redfish-mock")
        self.thread.start()
        return self

    def serve_forever(self):
        self.httpd.serve_forever()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
