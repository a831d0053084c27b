"""Several worker processes on one port: claims stay exclusive across processes, and
SIGTERM stops the service cleanly."""

import concurrent.futures
import contextlib
import http.client
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest
import requests

from tests.accel_api_helpers import child_pids, free_port, inventory

pytestmark = pytest.mark.functional


@contextlib.contextmanager
def _two_workers(config):
    """``accel-api --workers 2`` on a free port, ready; yields (process, port). On exit:
    SIGTERM, and the service must stop cleanly (exit status 0)."""
    with tempfile.TemporaryDirectory() as state:
        conf = os.path.join(state, "accel-api.conf")
        with open(conf, "w") as f:
            f.write(config)
        port = free_port()
        proc = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "accel-api"), "--workers", "2",
             "--port", str(port), "--state-dir", state, "--config-file", conf],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    requests.get(f"http://127.0.0.1:{port}/", timeout=1)
                    break
                except requests.ConnectionError:
                    assert time.monotonic() < deadline and proc.poll() is None
                    time.sleep(0.1)
            while len(child_pids(proc.pid)) < 2:
                assert time.monotonic() < deadline
                time.sleep(0.1)
            yield proc, port
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0


def test_two_workers_share_the_claims_and_stop_on_sigterm():
    with _two_workers("[api]\nclient_socket_timeout = 2\n") as (_proc, port):
        url = f"http://127.0.0.1:{port}"
        assert requests.put(f"{url}/v2/hosts/h1/inventory",
                            json=inventory("h1", 1, 3)).status_code == 200

        def _claim(_):
            return requests.post(f"{url}/v2/claims", timeout=30, json={
                "hostname": "h1", "resource_class": "FPGA"})

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(_claim, range(8)))
        codes = sorted(r.status_code for r in answers)
        assert codes == [201] * 3 + [409] * 5, [r.text for r in answers]
        addresses = [r.json()["pci_address"] for r in answers if r.status_code == 201]
        assert len(set(addresses)) == 3


def _established(pid, port):
    """Established TCP connections to ``port`` whose socket process ``pid`` holds."""
    inodes = set()
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":
                inodes.add(fields[9])
    held = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            held += 1
    return held


def test_keep_alive_clients_end_up_spread_evenly_over_the_workers():
    """16 clients that keep their connections: whatever split SO_REUSEPORT's hash made,
    a worker over its share closes connections until each holds about half
    (accel_api/cmd/balancing.py)."""
    with _two_workers("[api]\nclient_socket_timeout = 10\n") as (proc, port):
        clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                   for _ in range(16)]
        try:
            closed = 0
            for _ in range(40):  # http.client reconnects by itself after a close
                for client in clients:
                    client.request("GET", "/v2")
                    resp = client.getresponse()
                    assert resp.status == 200
                    resp.read()
                    closed += resp.getheader("Connection", "") == "close"
            held = sorted(_established(pid, port) for pid in child_pids(proc.pid))
            assert sum(held) == 16 and held[1] - held[0] <= 2, (held, closed)
        finally:
            for client in clients:
                client.close()
