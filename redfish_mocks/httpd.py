"""A lean asyncio HTTP/1.1 keep-alive server for Redfish services (standard library only).

A *service* object answers ``handle(method, path, headers, body) -> Response``; this
module only speaks HTTP. GET/HEAD are answered inline on the event loop (they are
dict lookups of cached bytes); other methods run in a small thread pool, in order per
connection. ``DROP`` aborts the connection without an answer, which is what a client
sees from a BMC that is rebooting or cut off. ``Response.delay`` (fault injection)
postpones an answer without blocking anyone else.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import socket
import sys
import threading

DROP = object()
MAX_BODY = 64 * 1024 * 1024 + 1024 * 1024
MAX_HEAD = 64 * 1024
_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
            400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
            405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
            415: "Unsupported Media Type", 431: "Request Header Fields Too Large",
            500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable"}


class Response:
    __slots__ = ("status", "headers", "body", "delay")

    def __init__(self, status, body=b"", headers=None, delay=0.0):
        self.status = status
        self.body = body
        self.headers = headers or []
        self.delay = delay


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


class Headers(dict):
    """Request headers, case-insensitive on ``get``."""

    def get(self, key, default=None):
        return super().get(key.lower(), default)


def _encode(resp, keep_alive, head_only):
    out = [f"HTTP/1.1 {resp.status} {_REASONS.get(resp.status, 'Unknown')}\r\n"]
    for k, v in resp.headers:
        out.append(f"{k}: {v}\r\n")
    if resp.status != 204:
        out.append(f"Content-Length: {len(resp.body)}\r\n")
    if not keep_alive:
        out.append("Connection: close\r\n")
    out.append("OData-Version: 4.0\r\nCache-Control: no-cache\r\n\r\n")
    head = "".join(out).encode("latin-1")
    return head if head_only or resp.status == 204 else head + resp.body


class _Protocol(asyncio.Protocol):
    def __init__(self, owner):
        self.owner = owner
        self.buf = bytearray()
        self.transport = None
        self.busy = False
        self.closed = False

    def connection_made(self, transport):
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc):
        self.closed = True

    def data_received(self, data):
        self.buf += data
        if not self.busy:
            self._process()

    def _fail(self, status, message):
        self.transport.write(_encode(redfish_error(status, message), False, False))
        self.transport.close()
        self.closed = True

    def _process(self):
        while not self.busy and not self.closed:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > MAX_HEAD:
                    self._fail(431, "request head too large")
                return
            lines = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
            parts = lines[0].split()
            if len(parts) != 3:
                self._fail(400, "malformed request line")
                return
            method, target, version = parts
            headers = Headers()
            for line in lines[1:]:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            try:
                length = int(headers.get("content-length") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY:
                self._fail(413 if length > 0 else 400, "bad Content-Length")
                return
            if len(self.buf) < end + 4 + length:
                return  # wait for the rest of the body
            body = bytes(self.buf[end + 4:end + 4 + length])
            del self.buf[:end + 4 + length]
            conn = headers.get("connection", "").lower()
            keep_alive = conn != "close" if version == "HTTP/1.1" else conn == "keep-alive"
            if method in ("GET", "HEAD"):
                self._respond(self._call(method, target, headers, body), keep_alive,
                              method == "HEAD")
            else:
                self.busy = True
                fut = self.owner.loop.run_in_executor(
                    self.owner.executor, self._call, method, target, headers, body)
                fut.add_done_callback(
                    lambda f, ka=keep_alive: self._respond(f.result(), ka, False, resumed=True))

    def _call(self, method, target, headers, body):
        try:
            return self.owner.service.handle(method, target, headers, body)
        except Exception as exc:  # a bug answers 500 with its name, never a dead connection
            return redfish_error(500, f"internal error: {exc!r}", "Base.1.19.InternalError")

    def _respond(self, resp, keep_alive, head_only, resumed=False):
        if self.closed:
            return
        if resp is DROP:
            self.closed = True
            self.transport.abort()
            return
        if resp.delay:
            self.busy = True
            delay, resp.delay = resp.delay, 0.0
            self.owner.loop.call_later(delay, self._respond, resp, keep_alive, head_only, True)
            return
        self.transport.write(_encode(resp, keep_alive, head_only))
        if self.owner.verbose:
            print(f"{resp.status}", file=sys.stderr)
        if not keep_alive:
            self.transport.close()
            self.closed = True
            return
        if resumed:
            self.busy = False
            if self.buf:
                self._process()


class HttpService:
    """Serve ``service`` on ``host:port`` (0: any free port).

    ``start()`` runs it in a background thread (tests, benchmarks, the demo);
    ``serve_forever()`` runs it in the calling thread (the CLI).
    """

    def __init__(self, service, host="127.0.0.1", port=0, verbose=False):
        self.service = service
        self.verbose = verbose
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(1024)
        self.host = host
        self.loop = None
        self.executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=16, thread_name_prefix="redfish-mock")
        self.thread = None
        self._ready = threading.Event()

    @property
    def httpd(self):  # older callers reach the service as ``srv.httpd.service``
        return self

    @property
    def port(self):
        return self.sock.getsockname()[1]

    @property
    def url(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _run(self):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            self.loop.create_server(lambda: _Protocol(self), sock=self.sock))
        self._ready.set()
        try:
            self.loop.run_forever()
        finally:
            server.close()
            self.loop.run_until_complete(server.wait_closed())
            self.loop.close()

    def start(self):
        self.thread = threading.Thread(target=self._run, daemon=True, name="accel-redfish-mock")
        self.thread.start()
        self._ready.wait(10)
        return self

    def serve_forever(self):
        self._run()

    def stop(self):
        if self.loop is not None and self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        if self.thread is not None:
            self.thread.join(10)
        self.executor.shutdown(wait=False)
        self.sock.close()
