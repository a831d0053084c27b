"""Demo step: program a claimed fixture FPGA through accel-api and accel-agent.

Starts the real ``accel-api`` and ``accel-agent`` processes on their embedded defaults
(SQLite and the local bitstream store under a state directory, no authentication,
loopback only; free ports instead of 6666/8089 so the demo never collides with a
running service), with accel_hosts' kernel simulator behind the fixture root.
Then, as a user would: upload a bitstream, create a device profile that asks for it,
create an ARQ and bind it: the bind answers at once with the ARQ BindStarted, the agent
programs the region and verifies the AFU id, then the ARQ becomes Bound.
"""

import contextlib
import hashlib
import os
import socket
import subprocess
import sys
import time
import uuid

import requests

import accel_hosts
from accel_contract import naming
from accel_hosts import kernel_sim
from ipa_fpga.program import gbs

AFU_ID = "8d1e5b4a-8f2e-4c6b-9d1a-0c2b3e4f5a6b"


def _free_port():
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bin(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def _wait(check, timeout, what, procs):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}")
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


def _fpga_host(ctx):
    """The first demo host with an Intel DFL region (interface id, device address)."""
    for name in ctx.hosts:
        doc = ctx.inventories.get(name)
        for device in (doc or {}).get("devices", []):
            for dep in device["deployables"]:
                iface = (dep.get("attributes") or {}).get("pr_interface_id")
                if dep["kind"] == "region" and iface:
                    return name, iface
    return None, None


def program_claimed_fpga(ctx):
    """Upload a bitstream, ask for it in a profile, bind an ARQ: programmed, then Bound."""
    name, iface = _fpga_host(ctx)
    if name is None:
        ctx.say("no demo host has an Intel DFL FPGA region: nothing to program "
                "(try --host host-a or --host mixed)")
        return
    root = ctx.roots[name]
    hostname = ctx.inventories[name]["host"]["hostname"]
    state = os.path.join(ctx.workdir, "program-demo")
    os.makedirs(state, exist_ok=True)
    api_port, rpc_port = _free_port(), _free_port()
    url = f"http://127.0.0.1:{api_port}"
    agent_conf = os.path.join(state, "accel-agent.conf")
    with open(agent_conf, "w") as f:
        f.write(f"[agent]\nroot = {root}\nhostname = {hostname}\n"
                f"state_dir = {state}/agent\nreport_interval = 0\n"
                f"[json_rpc]\nport = {rpc_port}\n"
                f"[accel_api]\nendpoint_override = {url}\n")
    api_conf = os.path.join(state, "accel-api.conf")
    with open(api_conf, "w") as f:
        f.write("[programming]\npoll_interval = 0.1\n"
                "[agent_rpc]\nallow_loopback = true\n")  # the demo's agent is on loopback
    sim = kernel_sim.KernelSim(accel_hosts.load(name), root).start()
    procs = []
    try:
        with open(os.path.join(state, "accel-api.log"), "ab") as api_log, \
                open(os.path.join(state, "accel-agent.log"), "ab") as agent_log:
            procs.append(("accel-api", subprocess.Popen(
                [_bin("accel-api"), "serve", "--port", str(api_port), "--state-dir",
                 f"{state}/api", "--config-file", api_conf],
                stdout=api_log, stderr=subprocess.STDOUT)))
            _wait(lambda: requests.get(url + "/", timeout=1).ok, 60, "accel-api", procs)
            ctx.say(f"accel-api on {url} (embedded SQLite, local bitstream store)")
            procs.append(("accel-agent", subprocess.Popen(
                [_bin("accel-agent"), "--config-file", agent_conf],
                stdout=agent_log, stderr=subprocess.STDOUT)))
            _wait(lambda: requests.get(f"{url}/v2/hosts/{hostname}", timeout=1).ok and
                  _listening(rpc_port), 60, "accel-agent to report", procs)
            ctx.say(f"accel-agent on {hostname}: inventory reported, JSON-RPC on {rpc_port}")
            _run_flow(ctx, url, hostname, iface, root, procs)
    finally:
        for _name, proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        sim.stop()


def _listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _run_flow(ctx, url, hostname, iface, root, procs):
    s = requests.Session()
    data = gbs.build(iface, AFU_ID, kernel_sim.pr_bitstream(iface, AFU_ID, 64 * 1024))
    bs = s.post(f"{url}/v2/bitstreams", json={
        "name": "demo-gzip", "vendor": "intel", "type": "gzip", "function_id": AFU_ID,
        "interface_id": iface}).json()
    bs = s.put(f"{url}/v2/bitstreams/{bs['uuid']}/data", data=data,
               headers={"Content-Type": "application/octet-stream"}).json()
    ctx.say(f"uploaded bitstream {bs['uuid']}: {bs['size']} bytes, sha512 "
            f"{bs['checksum'][:16]}...")
    digest = hashlib.sha512(data).hexdigest()
    ctx.check(bs.get("size") == len(data) and bs.get("checksum") == digest,
              f"accel-api stored {bs.get('size')} bytes with sha512 {bs.get('checksum')}, "
              f"uploaded {len(data)} bytes")
    resp = s.post(f"{url}/v2/device_profiles", json=[{"name": "demo-gzip", "groups": [{
        "resources:FPGA": "1", "trait:CUSTOM_FPGA_INTEL": "required",
        "accel:bitstream_id": bs["uuid"]}]}])
    resp.raise_for_status()
    ctx.say("device profile demo-gzip asks for that bitstream")
    arq = s.post(f"{url}/v2/accelerator_requests",
                 json={"device_profile_name": "demo-gzip"}).json()["arqs"][0]["uuid"]
    fits = naming.region_traits("0x8086", iface)[0]  # the region this bitstream fits
    region = next(d for d in s.get(f"{url}/v2/deployables",
                                   params={"hostname": hostname}).json()["deployables"]
                  if d["kind"] == "region" and fits in d["traits"])
    resp = s.patch(f"{url}/v2/accelerator_requests", json={arq: [
        {"path": "/hostname", "op": "add", "value": hostname},
        {"path": "/device_rp_uuid", "op": "add", "value": region["rp_uuid"]},
        {"path": "/instance_uuid", "op": "add", "value": str(uuid.uuid4())}]})
    if resp.status_code != 202:
        raise RuntimeError(f"bind failed: HTTP {resp.status_code} {resp.text[:300]}")
    # A bind that programs is asynchronous (Cyborg's way): BindStarted while the agent
    # programs, then Bound or BindFailed (Nova waits for accelerator-request-bound).
    arq_doc = s.get(f"{url}/v2/accelerator_requests/{arq}").json()
    ctx.say(f"ARQ {arq}: {arq_doc['state']} (the agent programs the region)")
    _wait(lambda: s.get(f"{url}/v2/accelerator_requests/{arq}").json()["state"]
          != "BindStarted", 120, f"ARQ {arq} to end its bind", procs)
    arq_doc = s.get(f"{url}/v2/accelerator_requests/{arq}").json()
    dep = s.get(f"{url}/v2/deployables/{region['uuid']}").json()
    ctx.say(f"ARQ {arq}: {arq_doc['state']} to {arq_doc['attach_handle_info']}")
    ctx.check(arq_doc["state"] == "Bound", f"ARQ {arq} ended {arq_doc['state']}, not Bound")
    ctx.say(f"deployable {dep['uuid']} now runs bitstream {dep['bitstream_id']}; traits: "
            + ", ".join(t for t in dep["traits"] if "FUNCTION" in t))
    ctx.check(dep["bitstream_id"] == bs["uuid"],
              f"deployable {dep['uuid']} runs bitstream {dep['bitstream_id']}, not {bs['uuid']}")
    function_trait = naming.function_traits("0x8086", AFU_ID)[0]
    ctx.check(function_trait in dep["traits"],
              f"deployable {dep['uuid']} lacks the programmed function's trait {function_trait}")
    programmed = []
    for dirpath, _dirs, files in os.walk(os.path.join(root, "sys", "devices")):
        if "afu_id" in files and "dfl-port" in dirpath:
            with open(os.path.join(dirpath, "afu_id")) as f:
                value = f.read().strip()
            if value.lower() == AFU_ID.replace("-", ""):
                programmed.append(os.path.basename(dirpath))
                ctx.say(f"fixture port {os.path.basename(dirpath)}: afu_id {value} "
                        "(programmed and verified)")
    ctx.check(len(programmed) == 1,
              f"{len(programmed)} fixture ports carry afu_id {AFU_ID} ({programmed}), expected 1")
