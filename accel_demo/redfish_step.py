"""Demo step: out-of-band accelerator firmware update through the emulated BMC.

Starts ``accel-redfish-mock``'s service in-process on loopback (built from the same
host description as the sysfs fixture), serves a firmware image over loopback HTTP,
and updates ONE accelerator's firmware with ironic_fpga's sushy-based client
(SimpleUpdate targeted at its FirmwareInventory entry, task polled, version read
back). No Ironic is needed; the Ironic path is the ``redfish-accel`` firmware
interface (docs/redfish.rst).
"""

from __future__ import annotations

import functools
import http.server
import os
import threading

import accel_hosts
from ironic_fpga.redfish import client, update
from redfish_mocks import image
from redfish_mocks.httpd import HttpService
from redfish_mocks.service import EmulatorService
from redfish_mocks.state import Emulator


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _bump(version):
    head, sep, last = str(version).rpartition(".")
    # Keep the field's width: 96.00.89.00.01 -> 96.00.89.00.02.
    return f"{head}{sep}{int(last) + 1:0{len(last)}d}" if last.isdigit() else f"{version}-1"


def oob_firmware_update(ctx):
    """Update one accelerator's firmware out-of-band (an FPGA's when there is one)."""
    host = accel_hosts.load(ctx.hosts[0])
    bmc = HttpService(EmulatorService(Emulator([host], update_seconds=1.0))).start()
    folder = os.path.join(ctx.workdir, "firmware-images")
    os.makedirs(folder, exist_ok=True)
    files = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=folder))
    threading.Thread(target=files.serve_forever, daemon=True).start()
    try:
        ctx.say(f"emulated BMC of {host.name}: {bmc.url}/redfish/v1 (admin/password)")
        root = client.connect(bmc.url, "admin", "password")
        accelerators = client.read_accelerators(root, host.name)
        for acc in accelerators:
            fw = ", ".join(f"{f['component']}={f['version']}" for f in acc["firmware"]) or "-"
            ctx.say(f"  {acc['id']:7} {acc['processor_type']:11} {acc['model']}: {fw}")
        # An FPGA's firmware when the host has one, else any updatable accelerator's.
        candidates = sorted(
            ((a, f) for a in accelerators for f in a["firmware"] if f["updatable"]),
            key=lambda pair: pair[0]["processor_type"] != "FPGA")
        if not candidates:
            ctx.say(f"{host.name}: no accelerator firmware the BMC can update; step skipped")
            return
        acc, fw = candidates[0]
        new_version = _bump(fw["version"])
        name = f"{acc['id']}-{fw['component']}-{new_version}.bin"
        with open(os.path.join(folder, name), "wb") as f:
            f.write(image.build(fw["component"], new_version))
        url = f"http://127.0.0.1:{files.server_address[1]}/{name}"
        ctx.say(f"updating {acc['id']} {fw['component']} from {url}")
        result = update.update_accelerator_firmware(
            root, host.name, acc["id"], url, component=fw["component"], timeout=60,
            progress=lambda state, pct: ctx.say(f"    task {state} {pct} %"))
        ctx.say(f"{acc['id']} {result['component']}: {result['before']} -> {result['after']} "
                f"(task {result['task']})")
        before = {(a["id"], f["component"]): f["version"]
                  for a in accelerators for f in a["firmware"]}
        after = {(a["id"], f["component"]): f["version"]
                 for a in client.read_accelerators(root, host.name) for f in a["firmware"]}
        changed = sorted(f"{d}:{c}" for (d, c), v in after.items() if before[(d, c)] != v)
        ctx.say(f"firmware entries changed on the BMC: {', '.join(changed)}")
        ctx.check((result["before"], result["after"]) == (fw["version"], new_version),
                  f"{acc['id']} {fw['component']}: {result['before']} -> {result['after']}, "
                  f"expected {fw['version']} -> {new_version}")
        ctx.check(changed == [f"{acc['id']}:{fw['component']}"],
                  f"the BMC changed {changed}, expected only {acc['id']}:{fw['component']}")
        ctx.check(after[(acc["id"], fw["component"])] == new_version,
                  f"the BMC reads {after[(acc['id'], fw['component'])]} back, expected "
                  f"{new_version}")
    finally:
        files.shutdown()
        files.server_close()
        bmc.stop()
