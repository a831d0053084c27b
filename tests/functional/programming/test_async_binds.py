"""Asynchronous programming binds with two real accel-api processes on one PostgreSQL
database, the real accel-agent and the kernel simulator behind host-a's fixture root.

The "hardware" is held still with SIGSTOP on the kernel simulator while a test looks
at the BindStarted state, or kills the API process that owns the bind: no timing race.
Both API processes name the first one's URL as ``[programming] download_url`` (one URL,
as a load balancer in front of several accel-api nodes would be), so a job re-attached
by the other process is the job the agent already runs.
"""

import contextlib
import os
import signal
import time
import uuid

import pytest

from accel_api.db import migrate
from accel_hosts import kernel_sim
from ipa_fpga.program import gbs
from tests.accel_api_helpers import scratch_database
from tests.programming_helpers import Stack, bitstream

pytestmark = [pytest.mark.functional, pytest.mark.postgresql]
IFACE = "f3c99413-5081-4aad-bced-07eb84a6d0bb"  # host-a's N3000 PR interface
OTHER_IFACE = "25d8bd3f-c344-5e2b-a5c2-d4b9e2c8c1c5"
AFU = "8d1e5b4a-8f2e-4c6b-9d1a-0c2b3e4f5a6b"
AFU_2 = "d8424dc4-a4a3-c413-f89e-433683f9040b"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with scratch_database("postgresql") as db_url:
        migrate.upgrade(db_url)  # in this process: no interpreter start of its own
        s = Stack(tmp_path_factory.mktemp("async-binds"))
        s.api_conf = (f"[database]\nconnection = {db_url}\n"
                      "[claims]\nasync_bind_lease = 3\n"
                      f"[programming]\ndownload_url = {s.url}\n")
        try:
            s.start()
            s.second = s.start_api("accel-api-2", wait=False)
            admin = s.session("admin")
            s.bs = s.upload("admin", bitstream(IFACE, AFU), IFACE, AFU, name="afu",
                            visibility="public")
            s.bs_2 = s.upload("admin", bitstream(IFACE, AFU_2), IFACE, AFU_2, name="afu-2",
                              visibility="public")
            # The GBS says IFACE (accel-api's check passes); the image inside is for
            # another PR interface: the FME refuses it, so the agent's job fails.
            refused = gbs.build(IFACE, AFU, kernel_sim.pr_bitstream(OTHER_IFACE, AFU))
            s.bs_refused = s.upload("admin", refused, IFACE, AFU, name="refused",
                                    visibility="public")
            for profile in (_profile("fpga-afu", s.bs), _profile("fpga-afu-2", s.bs_2),
                            _profile("fpga-refused", s.bs_refused),
                            {"name": "fpga-plain", "groups": [{"resources:FPGA": "1"}]}):
                resp = admin.post(f"{s.url}/v2/device_profiles", json=[profile])
                assert resp.status_code == 201, resp.text
            s.wait_api("accel-api-2")
            yield s
        finally:
            s.stop()


def _profile(name, bs):
    return {"name": name, "groups": [{"resources:FPGA": "1",
                                      "accel:bitstream_id": bs["uuid"]}]}


def _region(stack, index):
    return sorted(stack.regions().values(), key=lambda d: d["rp_uuid"])[index]


def _arq(stack, profile, url=None):
    resp = stack.session("alice").post(f"{url or stack.url}/v2/accelerator_requests",
                                       json={"device_profile_name": profile})
    assert resp.status_code == 201, resp.text
    return resp.json()["arqs"][0]["uuid"]


def _bind(stack, arq, region, url=None, instance=None):
    return stack.session("nova").patch(f"{url or stack.url}/v2/accelerator_requests", json={
        arq: [{"path": "/hostname", "op": "add", "value": stack.hostname},
              {"path": "/device_rp_uuid", "op": "add", "value": region["rp_uuid"]},
              {"path": "/instance_uuid", "op": "add", "value": instance or str(uuid.uuid4())}]})


def _get(stack, arq, url=None):
    return stack.session("nova").get(f"{url or stack.url}/v2/accelerator_requests/{arq}").json()


def _resolved(stack, arq, url=None, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        arq_view = _get(stack, arq, url)
        if arq_view["state"] != "BindStarted":
            return arq_view
        assert time.monotonic() < deadline, f"{arq} still BindStarted after {timeout}s"
        time.sleep(0.1)


def _delete(stack, arq, url=None):
    stack.session("alice").delete(f"{url or stack.url}/v2/accelerator_requests/{arq}")


@contextlib.contextmanager
def _hardware_held(stack):
    """The kernel simulator stopped: a PR request waits until it goes on."""
    sim = stack.procs["kernel-sim"]
    os.kill(sim.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(sim.pid, signal.SIGCONT)


def _wait_pr_requested(stack, timeout=60):
    """The agent downloaded the bitstream and handed it to the (stopped) kernel."""
    marker = os.path.join(stack.root, kernel_sim.MARKER_DIR)
    deadline = time.monotonic() + timeout
    while not (os.path.isdir(marker) and any(n.endswith(".json") for n in os.listdir(marker))):
        assert time.monotonic() < deadline, "the agent never asked the kernel to program"
        time.sleep(0.05)


def _jobs_of(stack, arq):
    jobs = stack.session("admin").get(f"{stack.url}/v2/programming_jobs").json()
    return [j for j in jobs["programming_jobs"] if j["arq_uuid"] == arq]


def test_programming_bind_is_bind_started_at_once_then_bound(stack):
    region = _region(stack, 0)
    arq = _arq(stack, "fpga-afu")
    instance = str(uuid.uuid4())
    nova = stack.session("nova")
    with _hardware_held(stack):
        started = time.monotonic()
        resp = _bind(stack, arq, region, instance=instance)
        assert resp.status_code == 202, resp.text
        assert time.monotonic() - started < 10  # answered while the card is held still
        view = _get(stack, arq)
        assert view["state"] == "BindStarted", view
        assert view["instance_uuid"] == instance and view["attach_handle_type"] == "PCI"
        # Nova's query: not resolved yet (423), as Cyborg answers.
        resp = nova.get(f"{stack.url}/v2/accelerator_requests",
                        params={"instance": instance, "bind_state": "resolved"})
        assert resp.status_code == 423, resp.text
        # Seen alike through the other API process (the database is the shared state).
        assert _get(stack, arq, stack.second)["state"] == "BindStarted"
    view = _resolved(stack, arq)
    assert view["state"] == "Bound", view
    resp = nova.get(f"{stack.url}/v2/accelerator_requests",
                    params={"instance": instance, "bind_state": "resolved"})
    assert resp.status_code == 200 and resp.json()["arqs"][0]["state"] == "Bound"
    dep = stack.session("admin").get(f"{stack.url}/v2/deployables/{region['uuid']}").json()
    assert dep["bitstream_id"] == stack.bs["uuid"]
    (job,) = _jobs_of(stack, arq)
    assert job["state"] == "succeeded" and job["finished_at"], job
    # Nothing left behind: no [nova] here, so the event step ends the record at once.
    assert "asynchronous bind of ARQ " + arq + ": Bound" in stack.log("accel-api", 10 ** 6)
    # Binding the same region again with what it already runs: synchronous Bound.
    _delete(stack, arq)
    again = _arq(stack, "fpga-afu")
    assert _bind(stack, again, region).status_code == 202
    assert _get(stack, again)["state"] == "Bound"
    _delete(stack, again)


def test_failed_programming_ends_bind_failed_with_nothing_held(stack):
    region = _region(stack, 1)
    arq = _arq(stack, "fpga-refused")
    resp = _bind(stack, arq, region)
    assert resp.status_code == 202, resp.text
    view = _resolved(stack, arq)
    assert view["state"] == "BindFailed", view
    assert view["attach_handle_type"] is None and view["attach_handle_info"] == {}
    (job,) = _jobs_of(stack, arq)
    assert job["state"] == "failed" and job["reason"], job
    # The handle was released: a plain bind of the same region is Bound at once.
    other = _arq(stack, "fpga-plain")
    assert _bind(stack, other, region).status_code == 202
    assert _get(stack, other)["state"] == "Bound"
    _delete(stack, other)
    _delete(stack, arq)


def _wait_log(stack, name, text, timeout=30):
    deadline = time.monotonic() + timeout
    while text not in stack.log(name, 10 ** 6):
        assert time.monotonic() < deadline, f"{name} never logged {text!r}"
        time.sleep(0.1)


def test_kill_9_of_the_owner_mid_programming_the_other_process_finishes_it(stack):
    region = _region(stack, 0)
    arq = _arq(stack, "fpga-afu-2")
    first = stack.procs["accel-api"]
    with _hardware_held(stack):
        assert _bind(stack, arq, region).status_code == 202  # owned by the first process
        _wait_pr_requested(stack)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        assert _get(stack, arq, stack.second)["state"] == "BindStarted"
    # The lease (3 s) passes; the second process takes the bind over and re-attaches to
    # the job the agent runs.
    view = _resolved(stack, arq, stack.second)
    assert view["state"] == "Bound", view
    _wait_log(stack, "accel-api-2", "took over asynchronous bind")
    stack.start_api("accel-api")  # back on its port, for the next test
    (job,) = _jobs_of(stack, arq)
    assert job["state"] == "succeeded", job
    dep = stack.session("admin").get(f"{stack.url}/v2/deployables/{region['uuid']}").json()
    assert dep["bitstream_id"] == stack.bs_2["uuid"]
    _delete(stack, arq)


def test_sigterm_gives_the_binds_back_and_the_other_process_takes_them_at_once(stack):
    region = _region(stack, 0)
    arq = _arq(stack, "fpga-afu", stack.second)
    second = stack.procs["accel-api-2"]
    with _hardware_held(stack):
        assert _bind(stack, arq, region, url=stack.second).status_code == 202
        _wait_pr_requested(stack)
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(30)
        assert "gave 1 asynchronous bind(s) back" in stack.log("accel-api-2", 10 ** 6)
    view = _resolved(stack, arq)
    assert view["state"] == "Bound", view
    _wait_log(stack, "accel-api", "took over asynchronous bind")
    _delete(stack, arq)
