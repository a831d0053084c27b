"""Process plumbing shared by the launchers: free ports, process groups, readiness polling."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import requests

#: Ports handed to servers: below Linux's ephemeral range (32768-60999), so that no client
#: socket's local port takes one between ``free_port`` and the server's bind.
PORTS = range(20000, 32768)
_next_port = None


def _worker_ports():
    """This process's share of ``PORTS``: all of it, or a disjoint slice per pytest-xdist
    worker (``PYTEST_XDIST_WORKER`` gwN of ``PYTEST_XDIST_WORKER_COUNT``)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if not worker.startswith("gw") or count < 2:
        return PORTS
    index = int(worker[2:]) % count
    size = len(PORTS) // count
    return range(PORTS.start + index * size, PORTS.start + (index + 1) * size)


def free_port():
    """A TCP port on 127.0.0.1, free now (bound and released to check), never handed out
    before by this process: each call takes the next one of this process's share of
    ``PORTS`` (from a random start, so that two test runs on one machine seldom meet)."""
    global _next_port
    ports = _worker_ports()
    if _next_port is None or _next_port not in ports:
        _next_port = ports.start + (os.getpid() * 7919) % len(ports)
    for _ in range(len(ports)):
        port = _next_port
        _next_port = port + 1 if port + 1 < ports.stop else ports.start
        with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use (a server, or a connection still in TIME_WAIT)
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def venv_bin(name):
    """Path of a console script installed beside the running interpreter (the project venv)."""
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(candidate):
        return candidate
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} is not installed (run ./tools/run-tests to install it)")
    return found


def file_tail(path, limit):
    """The last ``limit`` bytes of a log file as text ("" when it cannot be read)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - limit))
            return f.read().decode(errors="replace")
    except OSError:
        return ""


class Process:
    """A child in its own process group, logging to a file; ``stop()`` ends the whole group."""

    def __init__(self, argv, log_path, env=None, cwd=None):
        self.argv = list(argv)
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )

    @property
    def alive(self):
        return self.proc.poll() is None

    def log_tail(self, limit=4000):
        return file_tail(self.log_path, limit)

    def stop(self, timeout=10):
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        # Children that outlived their parent (same group) go too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._log.close()


def stop_all(processes, timeout=10):
    """Stop many ``Process`` es at once: SIGTERM to every group, one shared wait of
    ``timeout`` seconds, then ``stop()`` each (SIGKILL to what is left). Services that
    shut down gracefully (nova-compute, nova-conductor) then cost one wait, not one each.
    ``ACCEL_DEBUG_STOP=1`` prints which were still running when the wait ended."""
    processes = [p for p in processes if p is not None]
    for proc in processes:
        if proc.alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.proc.wait(max(0.1, deadline - time.monotonic()))
    stragglers = [os.path.basename(p.argv[0]) + " " + " ".join(p.argv[1:4])
                  for p in processes if p.alive]
    if os.environ.get("ACCEL_DEBUG_STOP"):
        print(f"still running {timeout}s after SIGTERM: {stragglers}")
    for proc in processes:
        proc.stop(timeout=0.1)


def wait_http(url, process, timeout=60, ok=(200,), headers=None):
    """Poll ``url`` until it answers with a status in ``ok``; fail early if the process died."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not process.alive:
            raise RuntimeError(
                f"{process.argv[0]} exited with {process.proc.returncode}:\n{process.log_tail()}"
            )
        try:
            resp = requests.get(url, timeout=2, headers=headers)
            if resp.status_code in ok:
                return resp
            last = f"HTTP {resp.status_code}"
        except requests.RequestException as exc:
            last = str(exc)
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout}s ({last}):\n{process.log_tail()}")


def wait_for(predicate, timeout, interval=0.2, what="condition"):
    """Poll ``predicate()`` until truthy; return its value or raise TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
