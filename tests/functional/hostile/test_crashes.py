"""A killed accel-api leaves nothing behind: the temporary file of an upload that was
being streamed when the process got SIGKILL is removed when it starts again, and the
record stays ``uploading`` (never ``active`` without its bytes)."""

import os
import signal
import socket
import time

import pytest
import requests

from tests.accel_api_helpers import running_server

pytestmark = pytest.mark.functional


def _server_pids(state_dir):
    """Processes whose command line names ``state_dir`` (the accel-api serving it)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdecimal():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if state_dir.encode() in argv and any(a.endswith(b"accel-api") for a in argv):
            pids.append(int(entry))
    return pids


def _staging_files(store):
    return [n for n in os.listdir(store) if n.startswith(".upload-")] \
        if os.path.isdir(store) else []


def _wait(predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_an_upload_interrupted_by_sigkill_leaves_no_temporary_file(tmp_path):
    state = str(tmp_path)
    store = os.path.join(state, "bitstreams")
    config = "[api]\nclient_socket_timeout = 5\n"
    with running_server(state_dir=state, config=config) as url:
        ident = requests.post(f"{url}/v2/bitstreams", json={"name": "killed"},
                              timeout=30).json()["uuid"]
        port = int(url.rsplit(":", 1)[1])
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        size = 8 * 1024 * 1024
        sock.sendall(f"PUT /v2/bitstreams/{ident}/data HTTP/1.1\r\nHost: x\r\n"
                     f"Content-Type: application/octet-stream\r\nContent-Length: {size}\r\n"
                     "\r\n".encode() + b"x" * (1024 * 1024))
        _wait(lambda: any(os.path.getsize(os.path.join(store, n)) > 0
                          for n in _staging_files(store)), "the upload to be staged")
        (pid,) = _server_pids(state)
        os.kill(pid, signal.SIGKILL)
        _wait(lambda: not _server_pids(state), "accel-api to die")
        sock.close()
        left = _staging_files(store)
        assert left, "the kill should have left the temporary file"
    # Started again on the same state: the sweep at start removes it; nothing is active.
    with running_server(state_dir=state, config=config) as url:
        _wait(lambda: not _staging_files(store), "the sweep at start")
        shown = requests.get(f"{url}/v2/bitstreams/{ident}", timeout=30).json()
        assert shown["status"] == "uploading" and shown["size"] is None
        # The record can still take its bytes (a client retries), and they are there.
        data = os.urandom(300_000)
        assert requests.put(f"{url}/v2/bitstreams/{ident}/data", data=data,
                            timeout=30).status_code == 200
        assert requests.get(f"{url}/v2/bitstreams/{ident}/data", timeout=30).content == data
