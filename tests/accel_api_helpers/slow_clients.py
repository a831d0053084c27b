"""Hostile clients on real sockets, for the slow-client tests and bench/claims.py: idle
keep-alive connections, slowloris headers, trickled and endless chunked bodies, floods
of concurrent requests, and the server processes' memory."""

import contextlib
import json
import os
import resource
import selectors
import socket
import threading
import time


def raise_open_files_limit(wanted):
    """Soft RLIMIT_NOFILE of this process up to ``wanted`` (within the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        raise RuntimeError(f"{wanted} open files needed; the hard limit is {hard} "
                           "(raise it: ulimit -Hn)")
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _connect(port, timeout=30):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_response(sock, deadline):
    """(status, headers dict, body bytes, closed) of one response framed by
    Content-Length; ``closed``: the server closed the connection after it."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = _recv(sock, deadline)
        if not chunk:
            raise ConnectionError(f"closed before a response: {buf[:200]!r}")
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", 0))
    while len(body) < length:
        chunk = _recv(sock, deadline)
        if not chunk:
            raise ConnectionError("closed mid-response")
        body += chunk
    closed = False
    if headers.get("connection", "").lower() == "close":
        closed = _recv(sock, deadline) == b""
    return int(lines[0].split(" ", 2)[1]), headers, body, closed


def _recv(sock, deadline):
    sock.settimeout(max(0.01, deadline - time.monotonic()))
    try:
        return sock.recv(65536)
    except ConnectionResetError:
        return b""


def request(port, method, path, body=None, timeout=30):
    """One request on a fresh connection: (status, JSON body or None, milliseconds)."""
    data = b"" if body is None else json.dumps(body).encode()
    t0 = time.perf_counter()
    with contextlib.closing(_connect(port, timeout)) as sock:
        sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                     "Connection: close\r\n\r\n".encode() + data)
        status, _, raw, _ = read_response(sock, time.monotonic() + timeout)
    return status, (json.loads(raw) if raw else None), (time.perf_counter() - t0) * 1000


def claim_cycle(port, profile, hostname, rp_uuid, instance, timeout=30):
    """create -> bind -> get -> unbind -> delete, each on a fresh connection (a fresh
    client); milliseconds of the whole cycle."""
    t0 = time.perf_counter()
    status, body, _ = request(port, "POST", "/v2/accelerator_requests",
                              {"device_profile_name": profile}, timeout)
    assert status == 201, body
    arq = body["arqs"][0]["uuid"]
    status, body, _ = request(port, "PATCH", "/v2/accelerator_requests", {arq: [
        {"path": "/hostname", "op": "add", "value": hostname},
        {"path": "/device_rp_uuid", "op": "add", "value": rp_uuid},
        {"path": "/instance_uuid", "op": "add", "value": instance}]}, timeout)
    assert status == 202, body
    status, body, _ = request(port, "GET", f"/v2/accelerator_requests/{arq}", None, timeout)
    assert status == 200 and body["state"] == "Bound", body
    status, body, _ = request(port, "PATCH", "/v2/accelerator_requests", {arq: [
        {"path": "/hostname", "op": "remove"}, {"path": "/device_rp_uuid", "op": "remove"},
        {"path": "/instance_uuid", "op": "remove"}]}, timeout)
    assert status == 202, body
    status, body, _ = request(port, "DELETE", f"/v2/accelerator_requests?arqs={arq}", None,
                              timeout)
    assert status == 204, body
    return (time.perf_counter() - t0) * 1000


class IdleConnections:
    """``count`` connections left idle: half after one keep-alive request each (as a
    client between requests), half that never send a byte."""

    def __init__(self, port, count):
        talkers = [_connect(port) for _ in range(count // 2)]
        deadline = time.monotonic() + 120
        for sock in talkers:
            sock.sendall(f"GET /v2 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        for sock in talkers:
            read_response(sock, deadline)
        self.socks = talkers + [_connect(port) for _ in range(count - len(talkers))]

    def open_count(self):
        """How many the server still holds open (peeked without reading)."""
        alive = 0
        for sock in self.socks:
            sock.setblocking(False)
            try:
                alive += sock.recv(1, socket.MSG_PEEK) != b""
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
            finally:
                sock.setblocking(True)
        return alive

    def close(self):
        for sock in self.socks:
            sock.close()


class Slowloris(threading.Thread):
    """``count`` clients sending a request's headers one byte a second, never ending
    them (or, with ``body``, complete headers and then a 1 MB body a byte a second);
    ``closed`` counts those the server has closed."""

    def __init__(self, port, count, body=False):
        super().__init__(daemon=True)
        self.socks = [_connect(port) for _ in range(count)]
        head = f"GET /v2 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        if body:
            head = (f"POST /v2/device_profiles HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                    "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n")
        for sock in self.socks:
            sock.sendall(head.encode())
        self.body = body
        self.closed = 0
        self._halt = threading.Event()

    def run(self):
        body = self.body
        live = list(self.socks)
        while live and not self._halt.wait(1):
            for sock in list(live):
                try:
                    sock.send(b" " if body else b"x")
                except OSError:
                    live.remove(sock)
                    self.closed += 1

    def close(self):
        self._halt.set()
        self.join(5)
        for sock in self.socks:
            sock.close()


def concurrent_gets(port, count, timeout=60):
    """``count`` GET /v2 sent at once on as many connections; how many got a 200."""
    sel = selectors.DefaultSelector()
    request_bytes = f"GET /v2 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    for _ in range(count):
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        sel.register(sock, selectors.EVENT_WRITE, bytearray())
    answered, pending = 0, count
    deadline = time.monotonic() + timeout
    try:
        while pending and time.monotonic() < deadline:
            for key, events in sel.select(1):
                sock, buf = key.fileobj, key.data
                if events & selectors.EVENT_WRITE:
                    try:
                        sock.sendall(request_bytes.encode())
                        sel.modify(sock, selectors.EVENT_READ, buf)
                    except OSError:
                        sel.unregister(sock)
                        sock.close()
                        pending -= 1
                    continue
                try:
                    chunk = sock.recv(65536)
                except OSError:
                    chunk = b""
                buf += chunk
                if not chunk:
                    answered += buf.startswith(b"HTTP/1.1 200")
                    sel.unregister(sock)
                    sock.close()
                    pending -= 1
    finally:
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        sel.close()
    return answered


def trickled_body(port, path, length=1000, timeout=120):
    """A body that arrives one byte a second: (status, JSON body, seconds to the
    answer, closed), or (None, None, seconds, closed) with no answer by ``timeout``."""
    sock = _connect(port)
    t0 = time.monotonic()
    try:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
                     .encode())
        sel = selectors.DefaultSelector()
        sel.register(sock, selectors.EVENT_READ)
        while time.monotonic() - t0 < timeout:
            if sel.select(1):
                status, _, body, closed = read_response(sock, time.monotonic() + 10)
                return status, json.loads(body), time.monotonic() - t0, closed
            try:
                sock.send(b" ")
            except OSError:
                break
        return None, None, time.monotonic() - t0, False
    finally:
        sock.close()


def endless_chunked_body(port, path, give_up_bytes=512 * 1024 * 1024, timeout=60,
                         method="POST"):
    """A chunked body that never ends (64 KiB chunks), until the server answers:
    (status, JSON body, bytes sent, closed), or (None, None, bytes sent, False) when
    ``give_up_bytes`` went out unanswered."""
    sock = _connect(port)
    sent = 0
    chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
    deadline = time.monotonic() + timeout
    try:
        sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                     .encode())
        sel = selectors.DefaultSelector()
        sel.register(sock, selectors.EVENT_READ)
        while sent < give_up_bytes and time.monotonic() < deadline:
            if sel.select(0):
                break
            try:
                sock.sendall(chunk)
            except OSError:  # the server closed: its answer is waiting
                break
            sent += len(chunk)
        else:
            return None, None, sent, False
        status, _, body, closed = read_response(sock, time.monotonic() + 10)
        return status, json.loads(body), sent, closed
    finally:
        sock.close()


def rss_mib(pids):
    """Resident memory of these processes together, MiB."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def server_processes(port):
    """The processes holding the socket listening on ``port`` (a server's parent and
    its forked workers: they share it)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.readlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fds = os.listdir(f"/proc/{entry}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{entry}/fd/{fd}") in inodes:
                    pids.append(int(entry))
                    break
            except OSError:
                continue
    return pids
