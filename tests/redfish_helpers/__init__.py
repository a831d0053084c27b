"""Shared helpers for the Redfish tests: an in-process emulator and a loopback image server."""

from __future__ import annotations

import functools
import glob
import http.server
import os
import pathlib
import re
import subprocess
import threading
import time

import accel_hosts
from redfish_mocks import image as image_mod
from redfish_mocks import profiles
from redfish_mocks.httpd import HttpService
from redfish_mocks.service import EmulatorService
from redfish_mocks.state import Emulator

REPO = pathlib.Path(__file__).resolve().parents[2]


def shared_dir():
    """shared/ beside the repository (CI), or $ACCEL_SHARED_DIR; None when neither exists."""
    env = os.environ.get("ACCEL_SHARED_DIR")
    for candidate in ([env] if env else []) + [str(REPO.parent / "shared")]:
        if candidate and os.path.isdir(os.path.join(candidate, "redfish")):
            return candidate
    return None


def start_emulator(hosts=("mixed",), count=1, profile="standard", server_profiles=None,
                   update_seconds=0.3):
    emu = Emulator([accel_hosts.load(h) for h in hosts], count=count, profile=profile,
                   server_profiles=server_profiles, update_seconds=update_seconds)
    return HttpService(EmulatorService(emu)).start()


def start_profile_emulators(update_seconds=0.4, max_new_seconds=None):
    """One emulated server per vendor profile, all built from host-a's description;
    ``service.by_profile`` maps a profile's name to its server id. ``max_new_seconds``
    caps the profiles' own delays (for tests that must stay short)."""
    names = profiles.behaviour_names()
    srv = start_emulator(hosts=("host-a",), count=len(names), update_seconds=update_seconds)
    emu = srv.httpd.service.emu
    for i, name in enumerate(names):
        emu.set_profile(f"host-a-{i:04d}", name)
        if max_new_seconds is not None:
            profile = profiles.get(name)
            emu.servers[f"host-a-{i:04d}"].profile = profiles.with_overrides(
                profile, update_seconds=update_seconds,
                new_seconds=min(profile.new_seconds, max_new_seconds))
    srv.by_profile = {name: f"host-a-{i:04d}" for i, name in enumerate(names)}
    return srv


def firmware_version(root, inventory_id):
    """What the BMC (a sushy root) reports as this FirmwareInventory entry's version."""
    return root._conn.get(
        f"/redfish/v1/UpdateService/FirmwareInventory/{inventory_id}").json()["Version"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class ImageServer:
    """Serves a folder over HTTP on loopback (what a BMC fetches ImageURI from)."""

    def __init__(self, folder):
        self.folder = str(folder)
        handler = functools.partial(_Quiet, directory=self.folder)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def add(self, name, component, version, payload=b"\x5a" * 8192):
        data = image_mod.build(component, version, payload)
        path = os.path.join(self.folder, name)
        with open(path, "wb") as f:
            f.write(data)
        return f"{self.url}/{name}", path

    def add_raw(self, name, data):
        with open(os.path.join(self.folder, name), "wb") as f:
            f.write(data)
        return f"{self.url}/{name}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class MockProcess:
    """``accel-redfish-mock`` as a real process on a free loopback port."""

    def __init__(self, workdir, *args):
        from tests.realprocs import base

        self.port = base.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [base.venv_bin("accel-redfish-mock"), "--port", str(self.port), *args]
        self.process = base.Process(argv, os.path.join(str(workdir), "redfish-mock.log"))
        base.wait_http(f"{self.url}/redfish/v1", self.process, timeout=30)

    def admin(self, method, path, doc=None):
        import requests

        resp = requests.request(method, f"{self.url}/accel-mock/v1/{path}", json=doc,
                                auth=("admin", "password"), timeout=10)
        resp.raise_for_status()
        return resp

    def get(self, path):
        import requests

        resp = requests.get(f"{self.url}{path}", auth=("admin", "password"), timeout=10)
        resp.raise_for_status()
        return resp.json()

    def stop(self):
        self.process.stop()


#: The validator's summary row: PASS | WARN | FAIL | NOT TESTED.
_SUMMARY = re.compile(r"^\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|")


class ValidatorRun:
    """What one DMTF Redfish-Service-Validator run found."""

    def __init__(self, passed, warned, failed, failures, output, seconds):
        self.passed, self.warned, self.failed = passed, warned, failed
        self.failures = failures  # [(uri, message)] from its debug log
        self.output = output
        self.seconds = seconds

    def __repr__(self):
        return (f"<validator PASS {self.passed} WARN {self.warned} FAIL {self.failed} "
                f"in {self.seconds:.0f} s>")


def run_validator(url, logdir, collection_limits=(), timeout=900):
    """Run the DMTF Redfish-Service-Validator offline (``--skipschema`` with the DMTF CSDL
    of ../shared/redfish/csdl) against ``url``; a ``ValidatorRun``.

    ``collection_limits`` (``{"LogEntry": 20, ...}`` or pairs) validates only the first N
    members of those collections. The validator is stopped once it has printed its
    summary: every result is in its debug log by then, and the HTML and XLSX reports it
    writes next would take most of its run (openpyxl: 85 % of it on a 113-resource tree).
    """
    csdl = os.path.join(shared_dir() or "", "redfish", "csdl")
    from tests.realprocs import base

    limits = dict(collection_limits)
    limits.setdefault("LogEntry", 20)
    argv = [base.venv_bin("rf_service_validator"), "-r", url, "-u", "admin", "-p", "password",
            "--authtype", "Basic", "--skipschema", "--schema_directory", csdl,
            "--logdir", str(logdir), "--collectionlimit"]
    for name, count in sorted(limits.items()):
        argv += [name, str(count)]
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=str(logdir))
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    lines, summary = [], None
    try:
        for line in proc.stdout:
            lines.append(line)
            found = _SUMMARY.match(line.strip())
            if found:
                summary = [int(g) for g in found.groups()]
                break
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    seconds = time.monotonic() - start
    output = "".join(lines)
    if summary is None:
        raise AssertionError(f"no summary in the validator's output:\n{output[-3000:]}")
    return ValidatorRun(summary[0], summary[1], summary[2], _failures(logdir), output, seconds)


def _failures(logdir):
    """[(uri, message)] of every FAIL in the validator's debug log under ``logdir``."""
    logs = sorted(glob.glob(os.path.join(str(logdir), "*", "RedfishServiceValidatorDebug_*.log")))
    out, uri = [], None
    if not logs:
        return out
    with open(logs[-1], encoding="utf-8", errors="replace") as f:
        for line in f:
            if " - Validating " in line:
                uri = line.split(" - Validating ", 1)[1].strip()
                uri = uri[:-3] if uri.endswith("...") else uri
            elif " - FAIL - " in line:
                out.append((uri, line.split(" - FAIL - ", 1)[1].strip()))
    return out
