"""Demo step: claim an accelerator through accel-api the way Nova does.

Starts ``accel-api`` on its embedded defaults (SQLite in a temporary state directory,
loopback, a free port), imports each discovered host's inventory, creates a device
profile for the first assignable deployable, then creates and binds an ARQ through
openstacksdk's ``accelerator`` proxy and prints the PCI address the instance gets.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid

import requests

from accel_contract import identity, inventory


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def accel_api_server(state_dir, timeout=120):
    """``accel-api serve`` on embedded defaults; yields its URL; SIGTERM on exit."""
    port = _free_port()
    log_path = os.path.join(state_dir, "accel-api.log")
    os.makedirs(state_dir, exist_ok=True)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "accel_api.cmd.accel_api", "serve", "--port", str(port),
             "--state-dir", state_dir], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                with open(log_path) as f:
                    raise RuntimeError(f"accel-api exited early: {f.read()[-1000:]}")
            try:
                requests.get(url + "/", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"accel-api did not answer within {timeout}s") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _pick(docs):
    """(hostname, device, deployable) of the first deployable with an attach handle."""
    for doc in docs:
        for device, dep in inventory.allocatable(doc):
            if dep["attach_handles"]:
                return doc["host"]["hostname"], device, dep
    return None


def claim_with_accel_api(ctx):
    """The demo step (``DemoContext`` from accel_demo.main: ``inventories``, ``say``)."""
    import openstack

    docs = list(ctx.inventories.values())
    picked = _pick(docs)
    if picked is None:
        ctx.say("no assignable accelerator in the discovered hosts; nothing to claim")
        return
    hostname, device, dep = picked
    with accel_api_server(os.path.join(ctx.workdir, "accel-api-state")) as url:
        ctx.say(f"accel-api running at {url} (embedded SQLite, noauth)")
        for doc in docs:
            name = doc["host"]["hostname"]
            resp = requests.put(f"{url}/v2/hosts/{name}/inventory", json=doc, timeout=30)
            resp.raise_for_status()
            summary = resp.json()
            ctx.say(f"imported {name}: {summary['devices']['added']} devices, "
                    f"{summary['deployables']['added']} deployables")
            ctx.check(summary["devices"]["added"] == len(doc["devices"]),
                      f"{name}: accel-api added {summary['devices']['added']} devices of "
                      f"{len(doc['devices'])}")
        conn = openstack.connection.Connection(
            auth_type="none", accelerator_endpoint_override=url + "/v2")
        group = {f"resources:{dep['resource_class']}": "1"}
        for trait in dep["traits"][:1]:
            group[f"trait:{trait}"] = "required"
        profile = conn.accelerator.create_device_profile(name="demo-profile", groups=[group])
        ctx.say(f"device profile {profile.name}: {group}")
        arq = conn.accelerator.create_accelerator_request(device_profile_name=profile.name)
        rp_uuid = identity.deployable_rp_uuid(hostname, dep["id"])
        instance = str(uuid.uuid4())
        conn.accelerator.update_accelerator_request(arq.uuid, [
            {"path": "/hostname", "op": "add", "value": hostname},
            {"path": "/device_rp_uuid", "op": "add", "value": rp_uuid},
            {"path": "/instance_uuid", "op": "add", "value": instance}])
        bound = conn.accelerator.get_accelerator_request(arq.uuid)
        info = bound.attach_handle_info
        address = f"{info['domain']}:{info['bus']}:{info['device']}.{info['function']}" \
            if bound.attach_handle_type == "PCI" else str(info)
        ctx.say(f"ARQ {bound.uuid} {bound.state} on {hostname} ({dep['name']}): "
                f"{bound.attach_handle_type} {address}")
        ctx.check(bound.state == "Bound", f"ARQ {bound.uuid} is {bound.state}, not Bound")
        handles = [h["address"] for h in dep["attach_handles"]]
        ctx.check(bound.attach_handle_type == "PCI" and address in handles,
                  f"ARQ {bound.uuid} is attached to {address}, not one of {handles}")
        conn.accelerator.delete_accelerator_request(arq.uuid)
        left = requests.get(f"{url}/v2/accelerator_requests/{arq.uuid}", timeout=30)
        ctx.check(left.status_code == 404,
                  f"ARQ {arq.uuid} still answers HTTP {left.status_code} after its delete")
        ctx.say("ARQ deleted; stopping accel-api")
