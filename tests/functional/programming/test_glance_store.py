"""The Glance bitstream backend against a real Glance (PyPI ``glance``, file store, SQLite)."""

import hashlib
import os

import pytest
import requests
from oslo_config import cfg

from accel_api.bitstreams import glance, store

pytestmark = pytest.mark.functional


def _store(glance_proc, directory):
    """A GlanceStore of its own (a connection never used yet) for ``glance_proc``."""
    path = directory / "accel-api.conf"
    # Glance runs without auth here; keystoneauth's admin_token plugin just sends a token.
    path.write_text("[glance]\nauth_type = admin_token\ntoken = unused\n"
                    f"endpoint = {glance_proc.url}\nendpoint_override = {glance_proc.url}\n")
    conf = cfg.ConfigOpts()
    glance.register_opts(conf)
    conf(["--config-file", str(path)], default_config_files=[])
    return glance.GlanceStore.from_conf(conf)


@pytest.fixture(scope="module")
def backend(glance_proc, tmp_path_factory):
    return _store(glance_proc, tmp_path_factory.mktemp("glance-client"))


def _chunks(data, size=65536):
    for i in range(0, len(data), size):
        yield data[i:i + size]


def test_upload_is_an_fpga_image_with_properties_and_sha512(glance_proc, backend):
    data = os.urandom(300_000)
    meta = store.Metadata(name="gzip-afu", vendor="intel", type="gzip",
                          function_id="d8424dc4-a4a3-c413-f89e-433683f9040b",
                          interface_id="f3c99413-5081-4aad-bced-07eb84a6d0bb", board="n3000")
    stored = backend.put(_chunks(data), 1 << 20, meta)
    assert stored.sha512 == hashlib.sha512(data).hexdigest() and stored.size == len(data)
    image = requests.get(f"{glance_proc.url}/v2/images/{stored.location}").json()
    assert image["tags"] == ["FPGA"] and image["vendor"] == "intel" and image["type"] == "gzip"
    assert image["accel_function_id"] == meta.function_id
    assert image["accel_interface_id"] == meta.interface_id
    assert image["os_hash_algo"] == "sha512" and image["os_hash_value"] == stored.sha512
    tagged = requests.get(f"{glance_proc.url}/v2/images", params={"tag": "FPGA"}).json()
    assert stored.location in [i["id"] for i in tagged["images"]]
    assert b"".join(backend.open(stored.location)) == data
    backend.delete(stored.location)
    with pytest.raises(store.NotStored):
        backend.open(stored.location)
    backend.delete(stored.location)


def test_too_large_upload_leaves_no_image(glance_proc, backend):
    before = requests.get(f"{glance_proc.url}/v2/images").json()["images"]
    with pytest.raises(store.TooLarge):
        backend.put(_chunks(b"x" * 200_000, 50_000), 100_000, store.Metadata(name="big"))
    after = requests.get(f"{glance_proc.url}/v2/images").json()["images"]
    assert [i["id"] for i in after] == [i["id"] for i in before]


def test_accel_api_with_the_glance_backend(glance_proc):
    """The real accel-api configured with [bitstreams] backend = glance: upload through
    the API lands in Glance as an FPGA image; download and delete go through Glance."""
    from tests.accel_api_helpers import running_server

    config = ("[api]\ngraceful_shutdown_timeout = 1\n[bitstreams]\nbackend = glance\n"
              "[glance]\nauth_type = admin_token\ntoken = unused\n"
              f"endpoint = {glance_proc.url}\nendpoint_override = {glance_proc.url}\n")
    data = os.urandom(100_000)
    with running_server(config=config) as url:
        bs = requests.post(f"{url}/v2/bitstreams", json={
            "name": "via-api", "vendor": "intel", "type": "nlb",
            "function_id": "d8424dc4-a4a3-c413-f89e-433683f9040b",
            "interface_id": "f3c99413-5081-4aad-bced-07eb84a6d0bb"}, timeout=10).json()
        resp = requests.put(f"{url}/v2/bitstreams/{bs['uuid']}/data", data=data, timeout=60)
        assert resp.status_code == 200, resp.text
        assert resp.json()["backend"] == "glance"
        assert resp.json()["checksum"] == hashlib.sha512(data).hexdigest()
        images = requests.get(f"{glance_proc.url}/v2/images", params={"tag": "FPGA"},
                              timeout=10).json()["images"]
        image = next(i for i in images if i["name"] == "via-api")
        assert image["os_hash_value"] == hashlib.sha512(data).hexdigest()
        assert image["accel_function_id"] == "d8424dc4a4a3c413f89e433683f9040b"
        got = requests.get(f"{url}/v2/bitstreams/{bs['uuid']}/data", timeout=30)
        assert got.status_code == 200 and got.content == data
        assert requests.delete(f"{url}/v2/bitstreams/{bs['uuid']}",
                               timeout=30).status_code == 204
        assert requests.get(f"{glance_proc.url}/v2/images/{image['id']}",
                            timeout=10).status_code == 404


def test_glance_unreachable_is_a_clear_502_and_leaves_the_bitstream_uploadable():
    from tests.accel_api_helpers import free_port, running_server

    dead = f"http://127.0.0.1:{free_port()}"
    config = ("[api]\ngraceful_shutdown_timeout = 1\n[bitstreams]\nbackend = glance\n"
              "[glance]\nauth_type = admin_token\ntoken = unused\n"
              f"endpoint = {dead}\nendpoint_override = {dead}\n")
    with running_server(config=config) as url:
        bs = requests.post(f"{url}/v2/bitstreams", json={
            "name": "nowhere", "vendor": "intel", "type": "nlb"}, timeout=10).json()
        resp = requests.put(f"{url}/v2/bitstreams/{bs['uuid']}/data", data=b"x" * 1000,
                            timeout=60)
        assert resp.status_code == 502, resp.text
        assert "Glance unreachable" in resp.text
        row = requests.get(f"{url}/v2/bitstreams/{bs['uuid']}", timeout=10).json()
        assert row["status"] == "uploading"  # nothing half-stored is offered...
        again = requests.put(f"{url}/v2/bitstreams/{bs['uuid']}/data", data=b"x" * 1000,
                             timeout=60)
        assert again.status_code == 502  # ...and the upload may be tried again


def test_a_retried_upload_keeps_the_winners_image_only(glance_proc):
    """A client's retry overtaking its first try, with the Glance backend: the retry wins
    and its image stays; the first try, finishing later, gets 409, and Glance holds
    exactly the image the active record points to. (The first try's body is held back
    halfway: the order is the test's, not the scheduler's. Two uploads storing at once,
    the loser dropping its own copy, run in the hostile suite on the local store.)"""
    import threading

    from tests.accel_api_helpers import running_server

    config = ("[api]\ngraceful_shutdown_timeout = 1\n[bitstreams]\nbackend = glance\n"
              "[glance]\nauth_type = admin_token\ntoken = unused\n"
              f"endpoint = {glance_proc.url}\nendpoint_override = {glance_proc.url}\n")
    data = os.urandom(200_000)
    release, sent = threading.Event(), threading.Event()

    def _held():
        yield data[:100_000]
        sent.set()
        assert release.wait(60)
        yield data[100_000:]

    with running_server(config=config) as url:
        bs = requests.post(f"{url}/v2/bitstreams", json={"name": "raced"}, timeout=10).json()
        target = f"{url}/v2/bitstreams/{bs['uuid']}/data"
        first = {}
        thread = threading.Thread(target=lambda: first.update(answer=requests.put(
            target, data=_held(), timeout=120)))
        thread.start()
        assert sent.wait(60)
        retry = requests.put(target, data=data, timeout=120)
        release.set()
        thread.join(120)
        assert retry.status_code == 200, retry.text
        assert first["answer"].status_code == 409, first["answer"].text
        got = requests.get(target, timeout=30)
        assert got.status_code == 200 and got.content == data
        images = _images(glance_proc, "raced")
        assert [(i["status"], i["os_hash_value"]) for i in images] == [
            ("active", hashlib.sha512(data).hexdigest())]


def _images(glance_proc, name):
    return [i for i in requests.get(f"{glance_proc.url}/v2/images", params={"tag": "FPGA"},
                                    timeout=10).json()["images"] if i["name"] == name]


def test_concurrent_first_requests_of_a_fresh_store_all_reach_glance(glance_proc, tmp_path):
    """openstacksdk's version discovery failed for concurrent first uses ("Unable to find
    a version discovery document"): a fresh accel-api's first uploads got 502."""
    import concurrent.futures

    fresh = _store(glance_proc, tmp_path)
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(lambda _: fresh._request("GET", "/images").status_code,
                              range(6)))
    assert codes == [200] * 6
