"""Programming end to end: accel-api, accel-agent (own process, JSON-RPC over http_basic)
and the kernel simulator behind a fixture sysfs root of host-a (2x N3000)."""

import os
import signal
import time
import uuid

import pytest

from ipa_fpga.program import gbs
from tests.programming_helpers import Stack, bitstream

pytestmark = pytest.mark.functional
IFACE = "f3c99413-5081-4aad-bced-07eb84a6d0bb"  # host-a's N3000 PR interface
OTHER_IFACE = "25d8bd3f-c344-5e2b-a5c2-d4b9e2c8c1c5"
AFU_GZIP = "8d1e5b4a-8f2e-4c6b-9d1a-0c2b3e4f5a6b"
AFU_NLB = "d8424dc4-a4a3-c413-f89e-433683f9040b"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("program-e2e")).start()
    yield s
    s.stop()


def _read(path):
    with open(path) as f:
        return f.read().strip()


def _region(stack, index=0):
    regions = sorted(stack.regions().values(), key=lambda d: d["rp_uuid"])
    return regions[index]


def _profile(stack, name, accel):
    admin = stack.session("admin")
    resp = admin.post(f"{stack.url}/v2/device_profiles", json=[{
        "name": name, "groups": [dict({"resources:FPGA": "1",
                                       "trait:CUSTOM_FPGA_INTEL": "required"}, **accel)]}])
    assert resp.status_code == 201, resp.text


def _arq(stack, user, profile):
    resp = stack.session(user).post(f"{stack.url}/v2/accelerator_requests",
                                    json={"device_profile_name": profile})
    assert resp.status_code == 201, resp.text
    return resp.json()["arqs"][0]["uuid"]


def _bind(stack, arq, region):
    nova = stack.session("nova")
    return nova.patch(f"{stack.url}/v2/accelerator_requests", json={arq: [
        {"path": "/hostname", "op": "add", "value": stack.hostname},
        {"path": "/device_rp_uuid", "op": "add", "value": region["rp_uuid"]},
        {"path": "/instance_uuid", "op": "add", "value": str(uuid.uuid4())}]})


def _unbind(stack, arq):
    nova = stack.session("nova")
    resp = nova.patch(f"{stack.url}/v2/accelerator_requests", json={arq: [
        {"path": "/hostname", "op": "remove"}, {"path": "/device_rp_uuid", "op": "remove"},
        {"path": "/instance_uuid", "op": "remove"}]})
    assert resp.status_code == 202, resp.text


def _arq_state(stack, user, arq):
    return stack.session(user).get(f"{stack.url}/v2/accelerator_requests/{arq}").json()


def _resolved(stack, user, arq, timeout=60):
    """A programming bind is asynchronous (BindStarted, then Bound or BindFailed)."""
    deadline = time.monotonic() + timeout
    while True:
        state = _arq_state(stack, user, arq)
        if state["state"] != "BindStarted" or time.monotonic() > deadline:
            return state
        time.sleep(0.1)


def test_bind_programs_the_bitstream_before_bound(stack):
    """Asynchronously (202, BindStarted; see test_async_binds for the states)."""
    region = _region(stack, 0)
    bs = stack.upload("alice", bitstream(IFACE, AFU_GZIP), IFACE, AFU_GZIP, name="gzip")
    assert bs["status"] == "active" and len(bs["checksum"]) == 128
    _profile(stack, "fpga-gzip", {"accel:bitstream_id": bs["uuid"]})
    arq = _arq(stack, "alice", "fpga-gzip")
    resp = _bind(stack, arq, region)
    assert resp.status_code == 202, resp.text
    state = _resolved(stack, "alice", arq)
    assert state["state"] == "Bound", state
    dep = stack.session("admin").get(f"{stack.url}/v2/deployables/{region['uuid']}").json()
    assert dep["bitstream_id"] == bs["uuid"]
    gzip_trait = "CUSTOM_FPGA_FUNCTION_ID_INTEL_" + AFU_GZIP.replace("-", "").upper()
    assert gzip_trait in dep["traits"]
    assert not [t for t in dep["traits"] if "FUNCTION" in t and AFU_GZIP.replace(
        "-", "").upper() not in t]
    # The fixture device really runs the new function (read back by the agent, too).
    afu_ids = _fixture_afu_ids(stack)
    assert AFU_GZIP.replace("-", "") in afu_ids.values(), afu_ids
    jobs = stack.session("admin").get(f"{stack.url}/v2/programming_jobs").json()
    mine = [j for j in jobs["programming_jobs"] if j["arq_uuid"] == arq]
    assert mine and mine[0]["state"] == "succeeded" and mine[0]["finished_at"]
    _unbind(stack, arq)


def _fixture_afu_ids(stack):
    out = {}
    for dirpath, _dirs, files in os.walk(os.path.join(stack.root, "sys", "devices")):
        if "afu_id" in files and "dfl-port" in dirpath:
            out[dirpath] = _read(os.path.join(dirpath, "afu_id")).lower()
    return out


def test_bind_with_incompatible_bitstream_ends_bind_failed_and_frees_the_handle(stack):
    region = _region(stack, 1)
    bs = stack.upload("alice", bitstream(OTHER_IFACE, AFU_NLB), OTHER_IFACE, AFU_NLB,
                      name="n6000-nlb")
    _profile(stack, "fpga-wrong-iface", {"accel:bitstream_id": bs["uuid"]})
    arq = _arq(stack, "alice", "fpga-wrong-iface")
    resp = _bind(stack, arq, region)
    assert resp.status_code == 409, resp.text
    assert "PR interface" in resp.text
    assert _arq_state(stack, "alice", arq)["state"] == "BindFailed"
    # The handle was released: a plain bind of the same region succeeds.
    _profile(stack, "fpga-plain", {})
    other = _arq(stack, "alice", "fpga-plain")
    assert _bind(stack, other, region).status_code == 202
    _unbind(stack, other)


def test_program_endpoints_and_authorisation(stack):
    alice, bob, admin = (stack.session(u) for u in ("alice", "bob", "admin"))
    region = _region(stack, 1)
    mine = stack.upload("alice", bitstream(IFACE, AFU_NLB), IFACE, AFU_NLB, name="nlb")
    bobs = stack.upload("bob", bitstream(IFACE, AFU_GZIP), IFACE, AFU_GZIP, name="bob-gzip")
    wrong = stack.upload("alice", bitstream(OTHER_IFACE, AFU_GZIP), OTHER_IFACE, AFU_GZIP,
                         name="wrong-iface")
    url = f"{stack.url}/v2/deployables/{region['uuid']}/program"
    body = [{"path": "/bitstream_id", "op": "replace", "value": mine["uuid"]}]
    # Alice holds nothing on the region yet: it does not exist for her.
    resp = alice.patch(url, json=body)
    assert resp.status_code == 404, resp.text
    arq = _arq(stack, "alice", "fpga-plain")
    assert _bind(stack, arq, region).status_code == 202
    try:
        # Bob (another project) still cannot; unknown deployable is 404 for everyone.
        assert bob.patch(url, json=body).status_code == 404
        assert admin.patch(f"{stack.url}/v2/deployables/{uuid.uuid4()}/program",
                           json=body).status_code == 404
        # Bob's private bitstream cannot be used by Alice; the interface must match.
        resp = alice.patch(url, json=[dict(body[0], value=bobs["uuid"])])
        assert resp.status_code == 400 and "not usable" in resp.text
        resp = alice.patch(url, json=[dict(body[0], value=wrong["uuid"])])
        assert resp.status_code == 409 and "PR interface" in resp.text
        assert bob.get(f"{stack.url}/v2/bitstreams/{mine['uuid']}").status_code == 404
        # Cyborg's form, by the holder.
        resp = alice.patch(url, json=body)
        assert resp.status_code == 200, resp.text
        assert resp.json()["bitstream_id"] == mine["uuid"]
        # The job form: 202 at once, then the state moves to succeeded.
        resp = alice.post(f"{stack.url}/v2/programming_jobs",
                          json={"deployable_uuid": region["uuid"], "bitstream_uuid": mine["uuid"]})
        assert resp.status_code == 202, resp.text
        job = resp.json()
        assert job["state"] in ("queued", "running", "succeeded")
        deadline = time.monotonic() + 30
        while job["state"] not in ("succeeded", "failed") and time.monotonic() < deadline:
            time.sleep(0.1)
            job = alice.get(f"{stack.url}/v2/programming_jobs/{job['uuid']}").json()
        assert job["state"] == "succeeded", job
        assert job["started_at"] and job["finished_at"]
        assert bob.get(f"{stack.url}/v2/programming_jobs/{job['uuid']}").status_code == 404
    finally:
        _unbind(stack, arq)
    # The proposal's form: the admin, any deployable.
    resp = admin.post(f"{stack.url}/fpga/{region['uuid']}",
                      json={"glance_bitstream_uuid": bobs["uuid"]})
    assert resp.status_code == 200, resp.text
    assert (resp.json()["result"], resp.json()["code"], resp.json()["msg"]) == (
        "success", 0, "bitstream has been loaded successfully")
    resp = admin.post(f"{stack.url}/fpga/{region['uuid']}",
                      json={"glance_bitstream_uuid": str(uuid.uuid4())})
    assert resp.status_code == 400 and "not found" in resp.text


def test_profile_asking_for_a_function_programs_a_public_bitstream(stack):
    afu = "0badc0de-0000-4000-8000-000000000001"
    public = stack.upload("admin", bitstream(IFACE, afu), IFACE, afu, name="public-fn",
                          visibility="public")
    assert public["visibility"] == "public"
    _profile(stack, "fpga-by-function", {"accel:function_id": afu})
    region = _region(stack, 0)
    arq = _arq(stack, "bob", "fpga-by-function")
    resp = _bind(stack, arq, region)
    assert resp.status_code == 202, resp.text
    assert _resolved(stack, "bob", arq)["state"] == "Bound"
    dep = stack.session("admin").get(f"{stack.url}/v2/deployables/{region['uuid']}").json()
    assert dep["bitstream_id"] == public["uuid"]
    assert afu.replace("-", "") in _fixture_afu_ids(stack).values()
    _unbind(stack, arq)


def _program(stack, region, bs):
    return stack.session("admin").post(f"{stack.url}/fpga/{region['uuid']}",
                                       json={"glance_bitstream_uuid": bs["uuid"]})


def test_agent_failures_are_the_specs_outcomes_with_the_agents_reason(stack):
    """What the agent finds when it runs the job: bytes it cannot fetch (gone from the
    store) are "invalid bitstream" 400, a GBS for another PR interface than the region's
    (its record said otherwise) 409, a GBS whose function is not its record's 400, a
    write the device refuses "unknown failure" 500; nothing about the region changes."""
    admin = stack.session("admin")
    region = _region(stack, 1)
    before = admin.get(f"{stack.url}/v2/deployables/{region['uuid']}").json()
    gone = stack.upload("admin", bitstream(IFACE, AFU_NLB, size=5000), IFACE, AFU_NLB,
                        name="gone")
    store = os.path.join(stack.workdir, "api", "bitstreams", "sha512")
    os.unlink(os.path.join(store, gone["checksum"][:2], gone["checksum"]))
    resp = _program(stack, region, gone)
    assert resp.status_code == 400, resp.text
    assert "invalid bitstream, code 3" in resp.text and "HTTP 404" in resp.text
    other_iface = stack.upload("admin", bitstream(OTHER_IFACE, AFU_NLB), IFACE, AFU_NLB,
                               name="other-iface-inside")
    resp = _program(stack, region, other_iface)
    assert resp.status_code == 409, resp.text
    assert "incompatible" in resp.text and "PR interface" in resp.text
    lying = stack.upload("admin", bitstream(IFACE, AFU_NLB), IFACE, AFU_GZIP, name="lying")
    resp = _program(stack, region, lying)
    assert resp.status_code == 400, resp.text
    assert "GBS carries AFU" in resp.text
    refused = stack.upload("admin", gbs.build(IFACE, AFU_NLB, b"\x00" * 4096), IFACE,
                           AFU_NLB, name="no-payload-tag")
    resp = _program(stack, region, refused)
    assert resp.status_code == 500, resp.text
    assert "unknown, code 1" in resp.text and "DFL_FPGA_FME_PORT_PR" in resp.text
    after = admin.get(f"{stack.url}/v2/deployables/{region['uuid']}").json()
    assert after["bitstream_id"] == before["bitstream_id"]
    assert after["traits"] == before["traits"]


def test_bitstream_registry_limits_visibility_and_delete(stack):
    alice, bob, admin = (stack.session(u) for u in ("alice", "bob", "admin"))
    data = bitstream(IFACE, AFU_NLB, size=8192)
    mine = stack.upload("alice", data, IFACE, AFU_NLB, name="registry")
    listed = {b["uuid"] for b in alice.get(f"{stack.url}/v2/bitstreams").json()["bitstreams"]}
    assert mine["uuid"] in listed
    assert mine["uuid"] not in {b["uuid"] for b in bob.get(
        f"{stack.url}/v2/bitstreams").json()["bitstreams"]}
    found = alice.get(f"{stack.url}/v2/bitstreams", params={"function_id": AFU_NLB}).json()
    assert mine["uuid"] in {b["uuid"] for b in found["bitstreams"]}
    assert alice.get(f"{stack.url}/v2/bitstreams/{mine['uuid']}/data").content == data
    # Only admins publish; uploads are once; bob cannot delete alice's.
    assert alice.post(f"{stack.url}/v2/bitstreams",
                      json={"name": "pub", "visibility": "public"}).status_code == 403
    resp = alice.put(f"{stack.url}/v2/bitstreams/{mine['uuid']}/data", data=b"again")
    assert resp.status_code == 409
    assert bob.delete(f"{stack.url}/v2/bitstreams/{mine['uuid']}").status_code == 404
    assert alice.post(f"{stack.url}/v2/bitstreams", json={"name": "x", "bogus": 1}
                      ).status_code == 400
    assert alice.delete(f"{stack.url}/v2/bitstreams/{mine['uuid']}").status_code == 204
    assert alice.get(f"{stack.url}/v2/bitstreams/{mine['uuid']}/data").status_code == 404
    assert admin.get(f"{stack.url}/v2/bitstreams/{mine['uuid']}").status_code == 404


def test_agent_killed_mid_job_ends_failed_with_a_reason(stack):
    admin = stack.session("admin")
    region = _region(stack, 0)
    big = stack.upload("admin", bitstream(IFACE, AFU_NLB, size=48 * 1024 * 1024), IFACE,
                       AFU_NLB, name="big")
    resp = admin.post(f"{stack.url}/v2/programming_jobs",
                      json={"deployable_uuid": region["uuid"], "bitstream_uuid": big["uuid"]})
    assert resp.status_code == 202, resp.text
    job = resp.json()
    stack.kill_agent()
    deadline = time.monotonic() + 30
    while job["state"] not in ("succeeded", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = admin.get(f"{stack.url}/v2/programming_jobs/{job['uuid']}").json()
    assert job["state"] == "failed", job
    assert "agent" in job["reason"] and ("unreachable" in job["reason"]
                                         or "restarted" in job["reason"]), job
    # The agent comes back; the job stays failed, and the region can be programmed again.
    stack.start_agent()
    again = admin.get(f"{stack.url}/v2/programming_jobs/{job['uuid']}").json()
    assert again["state"] == "failed"


def _partial_downloads(stack):
    downloads = os.path.join(stack.workdir, "agent-state", "downloads")
    return [n for n in os.listdir(downloads) if n.startswith("bitstream-")] \
        if os.path.isdir(downloads) else []


def test_a_download_of_an_agent_killed_mid_job_is_removed_when_it_starts(stack):
    """SIGKILL while the agent streams a bitstream: its partial download stays on disk
    until the agent starts again, which removes it before it serves anything. (accel-api
    is stopped with SIGSTOP while the download is in flight, so the kill lands in it.)"""
    admin = stack.session("admin")
    region = _region(stack, 0)
    big = stack.upload("admin", bitstream(IFACE, AFU_NLB, size=24 * 1024 * 1024), IFACE,
                       AFU_NLB, name="killed-download")
    api = stack.procs["accel-api"]
    for _attempt in range(5):  # until the stop lands inside a download (almost always once)
        resp = admin.post(f"{stack.url}/v2/programming_jobs", json={
            "deployable_uuid": region["uuid"], "bitstream_uuid": big["uuid"]})
        assert resp.status_code == 202, resp.text
        job = resp.json()
        deadline = time.monotonic() + 60
        while not _partial_downloads(stack):
            assert time.monotonic() < deadline, "the agent never started downloading"
            time.sleep(0.002)
        os.killpg(api.pid, signal.SIGSTOP)  # the server and its workers
        try:
            time.sleep(0.3)
            caught = bool(_partial_downloads(stack))
            if caught:
                stack.kill_agent()
                assert _partial_downloads(stack), "SIGKILL removes nothing by itself"
        finally:
            os.killpg(api.pid, signal.SIGCONT)
        if caught:
            break
        _wait_final(admin, stack, job)
    else:
        pytest.fail("the download always finished before accel-api could be stopped")
    stack.start_agent()  # returns once the agent registered: after its start-up sweep
    assert _partial_downloads(stack) == []
    assert _wait_final(admin, stack, job)["state"] == "failed"


def _wait_final(admin, stack, job):
    deadline = time.monotonic() + 60
    while job["state"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
        job = admin.get(f"{stack.url}/v2/programming_jobs/{job['uuid']}").json()
    return job


def test_upload_over_the_limit_is_413_and_keeps_nothing(tmp_path):
    """accel-api alone with a small limit: the upload fails, nothing is stored."""
    import requests

    from tests.accel_api_helpers import running_server

    with running_server(state_dir=str(tmp_path),
                        config="[api]\ngraceful_shutdown_timeout = 1\n"
                               "[bitstreams]\nmax_size = 10000\n") as url:
        bs = requests.post(f"{url}/v2/bitstreams", json={"name": "big"}, timeout=10).json()
        resp = requests.put(f"{url}/v2/bitstreams/{bs['uuid']}/data", data=b"x" * 20000,
                            timeout=10)
        assert resp.status_code == 413, resp.text
        # Chunked (no Content-Length): the limit holds while streaming.
        resp = requests.put(f"{url}/v2/bitstreams/{bs['uuid']}/data",
                            data=iter([b"x" * 4096] * 5), timeout=10)
        assert resp.status_code == 413, resp.text
        got = requests.get(f"{url}/v2/bitstreams/{bs['uuid']}", timeout=10).json()
        assert got["status"] == "uploading"
    store = os.path.join(str(tmp_path), "bitstreams")
    assert not [f for _, _, files in os.walk(store) for f in files]


def test_the_agent_channel_is_per_host(stack):
    """The real accel-agent of host-a accepts only host-a's credential; another host's
    agent, Nova's and Ironic-like service users cannot re-point host-a's endpoint; an
    agent user fetches no bitstream but the one of a job sent to its host."""
    import requests

    from accel_api.agents import credentials
    from tests.programming_helpers import RPC_SECRET

    url = f"http://127.0.0.1:{stack.rpc_port}"
    ping = {"jsonrpc": "2.0", "method": "ping", "params": {"context": {}}, "id": "1"}
    own = ("accel-api", credentials.rpc_password(RPC_SECRET, "host-a"))
    other = ("accel-api", credentials.rpc_password(RPC_SECRET, "host-b"))
    resp = requests.post(url, json=ping, auth=own, timeout=10)
    assert resp.status_code == 200 and resp.json()["result"]["hostname"] == "host-a"
    for auth in (other, None, ("accel-api", "guess")):
        assert requests.post(url, json=ping, auth=auth, timeout=10).status_code == 401
    # The agent keeps only a bcrypt hash of its credential.
    with open(stack.rpc_htpasswd) as f:
        entry = f.read()
    assert own[1] not in entry and entry.startswith("accel-api:$2")

    for user in ("accel-agent@host-b", "nova"):
        resp = stack.session(user).put(f"{stack.url}/v2/hosts/host-a/agent",
                                       json={"rpc_host": "192.0.2.66", "rpc_port": 1})
        assert resp.status_code == 403, (user, resp.text)
    assert "rpc_credential" not in stack.session("admin").get(
        f"{stack.url}/v2/hosts/host-a").text

    blob = bitstream(IFACE, AFU_NLB)
    record = stack.upload("alice", blob, IFACE, AFU_NLB, name="agent-fetch")
    data = f"{stack.url}/v2/bitstreams/{record['uuid']}/data"
    agent = stack.session("accel-agent@host-a")
    assert agent.get(data).status_code == 404  # not a job of its host
    forged = credentials.download_query(RPC_SECRET, "host-b", record["uuid"], 60)
    assert agent.get(f"{data}?{forged}").status_code == 404  # a job of another host's
    signed = credentials.download_query(RPC_SECRET, "host-a", record["uuid"], 60)
    resp = agent.get(f"{data}?{signed}")
    assert resp.status_code == 200 and resp.content == blob
    assert stack.session("accel-agent@host-b").get(f"{data}?{signed}").status_code == 404
