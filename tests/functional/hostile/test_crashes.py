"""A killed accel-api leaves nothing behind: the temporary file of an upload that was
being streamed when the process got SIGKILL is removed when it starts again, and the
record stays ``uploading`` (never ``active`` without its bytes)."""

import contextlib
import os
import signal
import threading
import time

import pytest
import requests

from tests.accel_api_helpers import running_server, server_pids

pytestmark = pytest.mark.functional


def _staging_files(store):
    return [n for n in os.listdir(store) if n.startswith(".upload-")] \
        if os.path.isdir(store) else []


def _wait(predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_an_upload_interrupted_by_sigkill_leaves_no_temporary_file(tmp_path):
    """SIGKILL while accel-api stages an upload (the built-in server hands the app a
    body it has received whole; small chunks make staging it take a while, and the kill
    is tried again in the rare case it missed)."""
    state = str(tmp_path)
    store = os.path.join(state, "bitstreams")
    config = ("[api]\nclient_socket_timeout = 5\n"
              f"[bitstreams]\nmax_size = {128 * 1024 * 1024}\nchunk_size = 4096\n")
    data = b"x" * (64 * 1024 * 1024)
    for _attempt in range(5):
        with running_server(state_dir=state, config=config) as url:
            ident = requests.post(f"{url}/v2/bitstreams", json={"name": "killed"},
                                  timeout=30).json()["uuid"]
            upload = threading.Thread(target=_put_quietly, daemon=True, args=(
                f"{url}/v2/bitstreams/{ident}/data", data))
            upload.start()
            _wait(lambda thread=upload: _staging_files(store) or not thread.is_alive(),
                  "the upload to be staged or answered")
            for pid in server_pids():
                os.kill(pid, signal.SIGKILL)
            _wait(lambda: not server_pids(), "accel-api to die")
            caught = bool(_staging_files(store))
            upload.join(30)
        if caught:
            print(f"killed inside the staging at attempt {_attempt + 1}")
            break
    else:
        pytest.fail("every kill missed the staging of the upload")
    # Started again on the same state: the sweep at start removes it; nothing is active.
    with running_server(state_dir=state, config=config) as url:
        _wait(lambda: not _staging_files(store), "the sweep at start")
        shown = requests.get(f"{url}/v2/bitstreams/{ident}", timeout=30).json()
        assert shown["status"] == "uploading" and shown["size"] is None
        # The record can still take its bytes (a client retries), and they are there.
        retried = os.urandom(300_000)
        assert requests.put(f"{url}/v2/bitstreams/{ident}/data", data=retried,
                            timeout=30).status_code == 200
        assert requests.get(f"{url}/v2/bitstreams/{ident}/data", timeout=30).content == \
            retried


def _put_quietly(url, data):
    with contextlib.suppress(requests.RequestException):
        requests.put(url, data=data, timeout=120)
