"""Slow, idle and flooding clients on real sockets against the real ``accel-api serve``.

One server (embedded defaults: SQLite, one worker, the built-in server) for the module.
Every deadline here is generous and nothing asserts a latency: what is checked is that
each fresh request is answered at all while the hostile clients are held, that slow
bodies get a 4xx JSON answer and that an endless body is refused before it ends.
cheroot (the previous server) failed the first, third and fourth tests: its threads
were held by the tricklers and it spooled the whole chunked body.
"""

import json
import socket
import time
import uuid

import pytest

from tests.accel_api_helpers import inventory, running_server
from tests.accel_api_helpers import slow_clients as sc

pytestmark = pytest.mark.functional

CONFIG = ("[api]\nclient_socket_timeout = 60\nclient_body_timeout = 3\n"
          "client_body_min_rate = 1000\n")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(port, a deployable's rp_uuid); the server's log is in ``state_dir``."""
    sc.raise_open_files_limit(4096)
    state = tmp_path_factory.mktemp("slow-clients")
    with running_server(state_dir=str(state), config=CONFIG) as url:
        port = int(url.rsplit(":", 1)[1])
        status, _, _ = sc.request(port, "PUT", "/v2/hosts/slow-host/inventory",
                                  inventory("slow-host", 1, 4))
        assert status == 200
        status, _, _ = sc.request(port, "POST", "/v2/device_profiles", [
            {"name": "slow", "groups": [{"resources:FPGA": "1"}]}])
        assert status == 201
        _, body, _ = sc.request(port, "GET", "/v2/deployables")
        yield port, body["deployables"][0]["rp_uuid"], state


def _cyborg_error(body):
    fault = json.loads(body["error_message"])
    assert fault["faultcode"] == "Client" and fault["faultstring"]
    return fault["faultstring"]


def test_fresh_clients_are_served_while_idle_and_trickling_clients_are_held(server):
    port, rp_uuid, _ = server
    pids = sc.server_processes(port)
    rss_before = sc.rss_mib(pids)
    idle = sc.IdleConnections(port, 1000)
    assert idle.open_count() == 1000  # all accepted and kept (closed after 60 s idle)
    headers = sc.Slowloris(port, 50)
    bodies = sc.Slowloris(port, 20, body=True)
    headers.start()
    bodies.start()
    try:
        time.sleep(1)
        for _ in range(20):
            status, body, _ = sc.request(port, "GET", "/v2", timeout=20)
            assert status == 200 and body["version"]["id"] == "v2.0"
        for _ in range(3):
            sc.claim_cycle(port, "slow", "slow-host", rp_uuid, str(uuid.uuid4()), timeout=20)
        # generous: 1,070 held connections are far from 200 MiB
        assert sc.rss_mib(pids) - rss_before < 200
    finally:
        bodies.close()
        headers.close()
        idle.close()


def test_a_thousand_concurrent_requests_are_all_answered(server):
    port, _, _ = server
    assert sc.concurrent_gets(port, 1000, timeout=120) == 1000


def test_a_body_that_trickles_in_is_answered_408_in_cyborgs_shape(server):
    port, _, _ = server
    status, body, _, closed = sc.trickled_body(port, "/v2/device_profiles", timeout=60)
    assert status == 408, body
    assert "too slowly" in _cyborg_error(body)
    assert closed


def test_an_endless_chunked_body_is_refused_while_it_streams(server):
    port, _, _ = server
    status, body, sent, closed = sc.endless_chunked_body(port, "/v2/device_profiles",
                                                         give_up_bytes=256 * 2**20)
    assert status == 413, body
    assert "larger than" in _cyborg_error(body)
    assert closed
    assert sent < 64 * 2**20  # refused near the 1 MiB limit, not after the whole body


def test_an_inventory_too_large_for_its_route_is_refused_while_it_streams(server):
    port, _, _ = server
    # 16 MiB ([api] max_inventory_size), not the 1 MiB of other bodies, applies here
    status, body, sent, closed = sc.endless_chunked_body(
        port, "/v2/hosts/slow-host/inventory", give_up_bytes=256 * 2**20, method="PUT")
    assert status == 413, body
    assert f"larger than {16 * 2**20} bytes" in _cyborg_error(body)
    assert closed and 16 * 2**20 <= sent < 80 * 2**20


def test_a_body_cut_short_is_a_400_and_the_server_stays_well(server):
    port, _, _ = server
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"POST /v2/device_profiles HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n[{"
                     .encode())
        sock.shutdown(socket.SHUT_WR)
        try:
            status, _, raw, _ = sc.read_response(sock, time.monotonic() + 30)
        except ConnectionError:
            status = None  # hyper may just close a connection whose client left
    if status is not None:
        assert status == 400, raw
        _cyborg_error(json.loads(raw))
    assert sc.request(port, "GET", "/v2")[0] == 200


def test_no_server_error_was_logged(server):
    """Whatever the tests above sent, the server logged no error."""
    _, _, state = server
    text = (state / "accel-api.log").read_text()
    assert " ERROR " not in text and "Traceback" not in text, text[-3000:]
