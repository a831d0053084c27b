"""The built-in server's bridge from granian's event loop to accel-api's WSGI app.

granian (Rust, hyper) holds the connections: idle keep-alive connections and clients
that send their headers slowly cost no Python thread, and hyper closes both after
``[api] client_socket_timeout``. granian hands each request whose headers are complete
to this gateway (its RSGI interface), on one asyncio event loop per worker, which:

* reads the body on the loop, never on a thread: in memory up to ``SPOOL_BYTES``, then
  into a temporary file; a body past the route's limit is refused with 413 as soon as
  it passes it (also a chunked one, whose size no header says), and one that arrives
  slower than ``[api] client_body_timeout`` (extended by one second for every
  ``[api] client_body_min_rate`` bytes received, as Apache's mod_reqtimeout does) is
  answered 408; both close the connection;
* then runs the WSGI app on a pool of ``[api] threads`` threads with the complete
  request, so a thread only ever waits for the database or an agent, never a client.

granian's own WSGI interface hands the request to a thread as soon as the headers are
in, and that thread then blocks in ``wsgi.input.read()`` for as long as the client
takes (no timeout can interrupt it): a few clients trickling bodies would hold every
thread. docs/api.rst has the measurements.
"""

import asyncio
import collections
import concurrent.futures
import io
import json
import logging
import queue
import sys
import tempfile
import threading

from accel_api.api.responses import INTERNAL_ERROR, error_body

LOG = logging.getLogger(__name__)

#: Bodies up to this size stay in memory; larger ones go to a temporary file.
SPOOL_BYTES = 1024 * 1024
_NO_BODY = io.BytesIO(b"")  # shared by every request without a body: never closed


class _Refused(Exception):
    """A request refused before the app saw it: status and reason."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status


def _json_error(status, reason):
    body = json.dumps(error_body(reason, status), separators=(",", ":")).encode()
    return body, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                  ("Connection", "close")]


class Gateway:
    """An RSGI application (``__rsgi__``) that serves the WSGI ``app``.

    ``body_limit(method, path)`` gives the largest body a route accepts.
    """

    def __init__(self, app, body_limit, threads, body_timeout, body_min_rate,
                 multiprocess=False, connections=None, on_stop=None):
        self.app = app
        self.on_stop = on_stop  # called when the worker stops serving (graceful exit)
        self.connections = connections  # a balancing.ConnectionTracker, or None
        self.body_limit = body_limit
        self.body_timeout = body_timeout
        self.body_min_rate = body_min_rate
        self.pool = concurrent.futures.ThreadPoolExecutor(threads, "accel-api-stream")
        self.multiprocess = multiprocess
        self.jobs = queue.SimpleQueue()
        self._answers = collections.deque()  # (future, answer) for the loop to resolve
        self._wake_pending = False
        self.threads = [threading.Thread(target=self._serve_jobs, name=f"accel-api-{n}",
                                         daemon=True) for n in range(threads)]
        for thread in self.threads:
            thread.start()

    def _serve_jobs(self):
        """A request thread: runs the app on complete requests and hands the answer
        back to the event loop, which sends it. (granian's protocol object would take
        a response from this thread too, but sending it from here holds the GIL while
        granian wakes its runtime: under load that was a fifth of the worker's GIL
        time, where the loop sends it for less.)"""
        while True:
            job = self.jobs.get()
            if job is None:
                return
            environ, body, done, close = job
            answer = None
            try:
                status, headers, chunks = self._call_app(environ)
                if close:  # this worker holds more than its share of connections
                    headers = [*headers, ("Connection", "close")]
                answer = (status, headers, chunks)
            except Exception:  # __rsgi__ answers a JSON 500 for a None answer
                LOG.exception("answering %s %s failed", environ["REQUEST_METHOD"],
                              environ["PATH_INFO"])
            finally:
                if body is not _NO_BODY:
                    body.close()
                self._answered(done, answer)

    def _answered(self, done, answer):
        """Hand an answer to the loop. Waking the loop is a system call made holding
        the GIL: under load, answers that end while a wake-up is already pending ride
        on it instead of each making its own. (Each step is atomic under the GIL.)"""
        self._answers.append((done, answer))
        if not self._wake_pending:
            self._wake_pending = True
            self.loop.call_soon_threadsafe(self._resolve_answers)

    def _resolve_answers(self):
        # Cleared before draining: an answer appended after this line either sees the
        # flag down and wakes the loop again, or is drained below.
        self._wake_pending = False
        answers = self._answers
        while answers:
            done, answer = answers.popleft()
            if not done.done():  # else: the request's task was cancelled meanwhile
                done.set_result(answer)

    # -- RSGI --------------------------------------------------------------------

    def __rsgi_init__(self, loop):
        self.loop = loop

    def __rsgi_del__(self, loop):
        if self.on_stop is not None:  # first: granian may kill a worker slow to exit
            self.on_stop()
        for _ in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join()
        self.pool.shutdown(wait=True)

    async def __rsgi__(self, scope, proto):
        if scope.proto != "http":
            return
        try:
            body = await self._read_body(scope, proto)
        except _Refused as exc:
            payload, headers = _json_error(exc.status, str(exc))
            proto.response_bytes(exc.status, headers, payload)
            return
        close = (self.connections is not None
                 and self.connections.should_close(scope.client, self.loop.time()))
        done = self.loop.create_future()
        self.jobs.put((self._environ(scope, body), body, done, close))
        answer = await done
        if answer is None:  # the app failed past _call_app's guard (logged by the thread)
            answer = _internal_error()
        status, headers, chunks = answer
        if isinstance(chunks, bytes):
            proto.response_bytes(status, headers, chunks)
            return
        transport = proto.response_stream(status, headers)
        try:
            while True:
                chunk = await self.loop.run_in_executor(self.pool, next, chunks, None)
                if chunk is None:
                    break
                if chunk:
                    await transport.send_bytes(chunk)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                await self.loop.run_in_executor(self.pool, close)

    # -- the body ----------------------------------------------------------------

    async def _read_body(self, scope, proto):
        headers = scope.headers
        length = headers.get("content-length")
        if length is None and "transfer-encoding" not in headers:
            return _NO_BODY
        if length is not None:
            length = int(length)  # hyper has checked the framing: one valid length
            if length == 0:
                return _NO_BODY
        limit = self.body_limit(scope.method, scope.path)
        if length is not None and length > limit:
            raise _Refused(413, f"request body larger than {limit} bytes")
        if length is not None and length <= SPOOL_BYTES:
            try:
                async with asyncio.timeout(self.body_timeout + length / self.body_min_rate):
                    data = await proto()
            except TimeoutError:
                raise _Refused(408, self._too_slow()) from None
            except Exception:  # granian: the body stream broke (the client left)
                data = b""
            if len(data) != length:
                raise _Refused(400, "the request body ended before its Content-Length")
            return io.BytesIO(data)
        return await self._stream_body(proto, length, limit)

    async def _stream_body(self, proto, length, limit):
        """A chunked or large body, chunk by chunk, into memory then a temporary file.

        granian's RSGI body iterator yields ``b""`` at the end, then stops; a broken
        stream (the client left mid-body) yields a second ``b""`` first, which chunked
        trailers do too: accel-api's clients send none, so both are refused.
        """
        buffer = io.BytesIO()
        received = 0
        start = self.loop.time()
        chunks = proto.__aiter__()
        ended = False
        try:
            while True:
                remaining = (start + self.body_timeout + received / self.body_min_rate
                             - self.loop.time())
                try:
                    if remaining <= 0:
                        raise TimeoutError
                    async with asyncio.timeout(remaining):
                        chunk = await chunks.__anext__()
                except TimeoutError:
                    raise _Refused(408, self._too_slow()) from None
                except StopAsyncIteration:
                    break
                if not chunk:
                    if ended:
                        raise _Refused(400, "the request body ended before it was "
                                            "complete (or carried trailers)")
                    ended = True
                    continue
                ended = False
                received += len(chunk)
                if received > limit:
                    raise _Refused(413, f"request body larger than {limit} bytes")
                if received > SPOOL_BYTES and isinstance(buffer, io.BytesIO):
                    spooled = tempfile.TemporaryFile()
                    spooled.write(buffer.getbuffer())
                    buffer.close()
                    buffer = spooled
                buffer.write(chunk)
            if length is not None and received != length:
                raise _Refused(400, "the request body ended before its Content-Length")
        except BaseException:
            buffer.close()
            raise
        buffer.seek(0)
        return buffer

    def _too_slow(self):
        return (f"the request body arrived too slowly (more than {self.body_timeout} s, "
                f"plus 1 s per {self.body_min_rate} bytes received)")

    # -- the WSGI side (on a pool thread) ------------------------------------------

    def _environ(self, scope, body):
        server_host, _, server_port = scope.server.rpartition(":")
        client_host, _, client_port = scope.client.rpartition(":")
        environ = {
            "REQUEST_METHOD": scope.method,
            "SCRIPT_NAME": "",
            # WSGI's "bytes as latin-1" str (granian gives the path percent-decoded)
            "PATH_INFO": scope.path.encode("utf-8", "surrogateescape").decode("latin-1"),
            "QUERY_STRING": scope.query_string,
            "SERVER_NAME": server_host,
            "SERVER_PORT": server_port,
            "REMOTE_ADDR": client_host,
            "REMOTE_PORT": client_port,
            "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.scheme,
            "wsgi.input": body,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": self.multiprocess,
            "wsgi.run_once": False,
        }
        for name, value in scope.headers.items():
            if name == "content-type":
                environ["CONTENT_TYPE"] = value
                continue
            if name in ("content-length", "transfer-encoding"):
                continue
            key = "HTTP_" + name.upper().replace("-", "_")
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        if body is not _NO_BODY:
            environ["CONTENT_LENGTH"] = str(_size(body))
            environ["webob.is_body_seekable"] = True  # WebOb needs no copy of its own
        return environ

    def _call_app(self, environ):
        """(status code, headers, bytes or an iterator of bytes) of the app's answer."""
        answer = []

        def start_response(status, headers, exc_info=None):
            if exc_info and answer:
                raise exc_info[1].with_traceback(exc_info[2])
            answer[:] = [int(status.split(" ", 1)[0]), headers]
            return _no_write

        try:
            result = self.app(environ, start_response)
        except Exception:
            LOG.exception("unexpected error on %s %s", environ["REQUEST_METHOD"],
                          environ["PATH_INFO"])
            return _internal_error()
        if isinstance(result, (list, tuple)):
            body = b"".join(result)
            close = getattr(result, "close", None)
            if close is not None:
                close()
            return answer[0], answer[1], body
        iterator = iter(result)
        first = next(iterator, None)  # the app calls start_response by its first chunk
        if first is None:
            close = getattr(result, "close", None)
            if close is not None:
                close()
            return answer[0], answer[1], b""
        return answer[0], answer[1], _Chained(first, iterator, result)


def _internal_error():
    """(status, headers, body) of a JSON 500 for a failure the log explains."""
    body, headers = _json_error(500, INTERNAL_ERROR)
    return 500, headers, body


def _no_write(data):
    raise NotImplementedError("accel-api's gateway has no WSGI write() callable")


def _size(body):
    if isinstance(body, io.BytesIO):
        return len(body.getbuffer())
    position = body.tell()
    body.seek(0, io.SEEK_END)
    size = body.tell()
    body.seek(position)
    return size


class _Chained:
    """The app's iterable, its first chunk already taken."""

    def __init__(self, first, iterator, result):
        self._first, self._iterator, self._result = first, iterator, result

    def __iter__(self):
        return self

    def __next__(self):
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return next(self._iterator)

    def close(self):
        close = getattr(self._result, "close", None)
        if close is not None:
            close()
