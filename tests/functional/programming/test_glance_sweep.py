"""Nothing left behind in Glance after a crash: the image of an upload whose accel-api
process was killed is removed, while a live upload of another process and images
accel-api did not make are never touched (``accel_api.bitstreams.uploads``).

Against the real Glance of this folder, real ``accel-api serve`` processes (killed with
SIGKILL) and ``accel_api.wsgi`` under cheroot, all on one database."""

import hashlib
import http.client
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

import pytest
import requests
import sqlalchemy as sa

from accel_api.api.app import load_conf
from accel_api.bitstreams import glance, store, uploads
from accel_api.db import models as m
from tests.accel_api_helpers import free_port, running_server, server_pids, sqlite_database
from tests.realprocs import base
from tests.realprocs.glance import Glance

pytestmark = pytest.mark.functional
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
LEASE_KILLED = 3  # [bitstreams] upload_lease of the process that is killed
LEASE_LIVE = 4  # ... of the process whose upload stays alive throughout


def _config(glance_url, lease, extra=""):
    return ("[api]\nclient_socket_timeout = 5\ngraceful_shutdown_timeout = 1\n"
            f"[bitstreams]\nbackend = glance\nupload_lease = {lease}\nchunk_size = 4096\n"
            f"max_size = {128 * 1024 * 1024}\n"
            "[glance]\nauth_type = admin_token\ntoken = unused\n"
            f"endpoint = {glance_url}\nendpoint_override = {glance_url}\n" + extra)


def _wait(predicate, what, timeout=60, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(interval)


def _image(glance_url, image_id):
    """The image, or None once Glance has it no more."""
    resp = requests.get(f"{glance_url}/v2/images/{image_id}", timeout=10)
    if resp.status_code == 404:
        return None
    resp.raise_for_status()
    return resp.json()


def _named(glance_url, name):
    return requests.get(f"{glance_url}/v2/images", params={"name": name},
                        timeout=10).json()["images"]


def _foreign_image(glance_url, name, **properties):
    """An image someone else made in the same Glance (and project): never accel-api's."""
    resp = requests.post(f"{glance_url}/v2/images", timeout=10, json=dict(
        name=name, disk_format="raw", container_format="bare", tags=["FPGA"],
        vendor="intel", type="gzip", **properties))
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


class _WsgiAccelApi:
    """``accel_api.wsgi:application`` under cheroot: the request body reaches the app as
    it arrives, so a client that trickles it keeps the upload to Glance streaming."""

    def __init__(self, workdir, config):
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        with open(os.path.join(workdir, "accel-api.conf"), "w") as f:
            f.write(config)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def __enter__(self):
        env = dict(os.environ, OS_ACCEL_API_CONFIG_DIR=self.workdir,
                   OS_ACCEL_API_CONFIG_FILES="accel-api.conf")
        self.process = base.Process(
            [sys.executable, "-m", "tests.realprocs.wsgi_serve", "accel_api.wsgi:application",
             "127.0.0.1", str(self.port)], os.path.join(self.workdir, "accel-api.log"),
            env=env, cwd=ROOT)
        base.wait_http(self.url + "/", self.process, timeout=90)
        return self

    def __exit__(self, *exc):
        self.process.stop(timeout=5)


class _TrickledUpload(threading.Thread):
    """PUT the data with its Content-Length: 64 KiB at once, then 1 KiB every 0.2 s
    until ``release`` is set, then the rest; ``status`` and ``body`` of the answer."""

    def __init__(self, url, data):
        super().__init__(daemon=True)
        self.url = urllib.parse.urlsplit(url)
        self.data = data
        self.release = threading.Event()
        self.started_at = None
        self.status = self.body = None

    def run(self):
        conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=120)
        try:
            conn.putrequest("PUT", self.url.path)
            conn.putheader("Content-Type", "application/octet-stream")
            conn.putheader("Content-Length", str(len(self.data)))
            conn.endheaders()
            self.started_at = time.monotonic()
            sent = 65536
            conn.send(self.data[:sent])
            while not self.release.is_set() and sent < len(self.data) - 65536:
                conn.send(self.data[sent:sent + 1024])
                sent += 1024
                self.release.wait(0.2)
            conn.send(self.data[sent:])
            resp = conn.getresponse()
            self.status, self.body = resp.status, resp.read()
        finally:
            conn.close()


def _put_quietly(url, data):
    try:
        requests.put(url, data=data, timeout=120)
    except requests.RequestException:
        pass  # the server was killed under it


def _kill_mid_upload(glance_proc, state, config, database, seen):
    """Start ``accel-api serve``, upload 32 MiB and SIGKILL it while Glance receives the
    image's data (the app sends it in 4 KiB chunks: that takes a while). The bitstream's
    uuid and the images it left that are not active (none when the kill missed)."""
    with running_server(state_dir=state, config=config, database=database) as url:
        ident = requests.post(f"{url}/v2/bitstreams", json={"name": "killed"},
                              timeout=30).json()["uuid"]
        upload = threading.Thread(target=_put_quietly, daemon=True, args=(
            f"{url}/v2/bitstreams/{ident}/data", os.urandom(32 * 1024 * 1024)))
        upload.start()

        def _streaming():
            return [i for i in _named(glance_proc.url, "killed")
                    if i["id"] not in seen and i["status"] == "saving"]

        _wait(lambda: _streaming() or not upload.is_alive(),
              "the upload to reach Glance (or be answered)", interval=0.02)
        for pid in server_pids():
            os.kill(pid, signal.SIGKILL)
        _wait(lambda: not server_pids(), "accel-api to die")
        upload.join(30)
    left = [i for i in _named(glance_proc.url, "killed") if i["id"] not in seen]
    seen.update(i["id"] for i in left)
    return ident, [i["id"] for i in left if i["status"] != "active"]


def test_a_killed_upload_s_image_is_swept_a_live_one_and_foreign_ones_are_not(
        glance_proc, tmp_path):
    database = f"sqlite:///{tmp_path}/shared.sqlite"
    (tmp_path / "a").mkdir()
    foreign = [_foreign_image(glance_proc.url, "foreign-plain"),
               _foreign_image(glance_proc.url, "foreign-marked",
                              accel_upload_id=str(uuid.uuid4()))]
    killed_config = _config(glance_proc.url, LEASE_KILLED)
    live_data = os.urandom(2 * 1024 * 1024)
    # dbsync, as for any production database (running_server does it too)
    subprocess.run([base.venv_bin("accel-api"), "dbsync", "--database", database],
                   check=True, capture_output=True, timeout=120)
    live_config = _config(glance_proc.url, LEASE_LIVE, f"[DEFAULT]\nstate_dir = {tmp_path}/b\n"
                          f"[database]\nconnection = {database}\n")
    with _WsgiAccelApi(str(tmp_path / "b"), live_config) as live:
        ident = requests.post(f"{live.url}/v2/bitstreams", json={"name": "live"},
                              timeout=30).json()["uuid"]
        trickled = _TrickledUpload(f"{live.url}/v2/bitstreams/{ident}/data", live_data)
        trickled.start()
        try:
            live_image = _wait(lambda: [i for i in _named(glance_proc.url, "live")
                                        if i["status"] == "saving"],
                               "the live upload to reach Glance")[0]["id"]
            # Another accel-api on the same database, killed while it streams an image.
            seen, orphans, killed = set(), [], []
            for attempt in range(5):
                bitstream, left = _kill_mid_upload(glance_proc, str(tmp_path / "a"),
                                                   killed_config, database, seen)
                killed.append(bitstream)
                orphans += left
                if left:
                    print(f"killed while Glance received the data at attempt {attempt + 1}")
                    break
            else:
                pytest.fail("every kill missed the upload to Glance")
            # Started again: the orphans go once their process's lease passed (this
            # process's sweep at start and every third of the lease, or the live one's).
            with running_server(state_dir=str(tmp_path / "a"), config=killed_config,
                                database=database) as url:
                _wait(lambda: all(_image(glance_proc.url, o) is None for o in orphans),
                      "the orphan images to be swept", timeout=LEASE_KILLED * 10)
                # never active without its bytes; a client may upload again
                shown = requests.get(f"{url}/v2/bitstreams/{killed[-1]}", timeout=30).json()
                assert shown["status"] == "uploading" and shown["size"] is None, shown
                # The live upload outlives several of its leases (renewed meanwhile)
                # and sweeps of both processes: its image is still being written.
                time.sleep(max(0.0, trickled.started_at + 3 * LEASE_LIVE - time.monotonic()))
                assert _image(glance_proc.url, live_image)["status"] == "saving"
            for image_id in foreign:
                assert _image(glance_proc.url, image_id)["status"] == "queued"
        finally:
            trickled.release.set()
            trickled.join(120)
        assert trickled.status == 200, trickled.body
        done = requests.get(f"{live.url}/v2/bitstreams/{ident}", timeout=30).json()
        assert done["status"] == "active" and done["checksum"] == \
            hashlib.sha512(live_data).hexdigest()
    image = _image(glance_proc.url, live_image)
    assert image["status"] == "active"
    assert image["os_hash_value"] == hashlib.sha512(live_data).hexdigest()
    assert image["accel_upload_id"]  # the marker it was recorded under
    engine = sa.create_engine(database)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT COUNT(*) FROM bitstream_uploads")).scalar() \
                == 0  # every upload settled: activated, or its image swept
    finally:
        engine.dispose()


def _conf(tmp_path, glance_url, lease):
    path = tmp_path / "accel-api.conf"
    path.write_text(f"[DEFAULT]\nstate_dir = {tmp_path}\n"
                    f"[bitstreams]\nbackend = glance\nupload_lease = {lease}\n"
                    "[glance]\nauth_type = admin_token\ntoken = unused\n"
                    f"endpoint = {glance_url}\nendpoint_override = {glance_url}\n")
    return load_conf(args=["--config-file", str(path)])


def _rows(db):
    with db.reading() as conn:
        return conn.execute(sa.select(uploads.BU.c.location, uploads.BU.c.lease_expires_at)
                            ).all()


def test_an_image_glance_could_not_delete_is_deleted_by_the_sweep_later(tmp_path):
    """Glance dies while an upload streams: the upload fails and so does deleting its
    image (``_discard``); the row stays, and once Glance is back the sweep removes it."""
    own = Glance(tmp_path / "glance")
    own.start()
    db = sqlite_database(tmp_path)
    try:
        conf = _conf(tmp_path, own.url, lease=2)
        backend = glance.GlanceStore.from_conf(conf)
        pending_uploads = uploads.PendingUploads(conf, db, backend)
        pending = pending_uploads.begin(str(uuid.uuid4()))
        meta = store.Metadata(name="glance-died", location=pending.location,
                              upload_id=pending.upload_id)

        def _chunks():
            yield b"x" * 65536
            _wait(lambda: (_image(own.url, pending.location) or {}).get("status") ==
                  "saving", "Glance to receive the data")
            own.stop()  # mid-stream
            for _ in range(64):
                yield b"y" * 65536

        with pytest.raises(store.StoreError, match="Glance unreachable"):
            backend.put(_chunks(), 1 << 30, meta)
        pending_uploads.discard(pending)  # what the API does next: fails too
        assert [location for location, _ in _rows(db)] == [pending.location]
        own.start()  # same port, same images
        _wait(lambda: _image(own.url, pending.location) is None,
              "the sweep to delete the image", timeout=30)
        _wait(lambda: not _rows(db), "the row to go", timeout=10)
        pending_uploads.stop()
    finally:
        own.stop()
        db.dispose()


def test_an_upload_whose_lease_was_taken_is_not_activated(glance_proc, tmp_path):
    """A process whose lease renewals did not reach the database is presumed dead: its
    image is swept by another process, and its own activation is refused."""
    db = sqlite_database(tmp_path)
    try:
        conf = _conf(tmp_path, glance_proc.url, lease=2)
        stalled = uploads.PendingUploads(conf, db, glance.GlanceStore.from_conf(conf))
        stalled.stop()  # no thread: no renewal
        pending = stalled.begin(str(uuid.uuid4()))
        meta = store.Metadata(name="stalled", location=pending.location,
                              upload_id=pending.upload_id)
        stored = stalled.store.put(iter([b"z" * 4096]), 1 << 20, meta)
        assert stored.location == pending.location
        assert _image(glance_proc.url, pending.location)["accel_upload_id"] == \
            pending.upload_id
        other = uploads.PendingUploads(conf, db, glance.GlanceStore.from_conf(conf))
        other.stop()
        assert other.sweep() == 0  # its lease runs: nothing to sweep
        time.sleep(2.5)
        assert other.sweep() == 1
        assert _image(glance_proc.url, pending.location) is None
        with db.transaction() as session:
            assert not stalled.finish(session, pending)
        assert not _rows(db)
    finally:
        db.dispose()


def test_a_new_process_sweeps_at_start_and_spares_a_renewed_upload(glance_proc, tmp_path):
    """Two uploads older than their lease: the one whose process stopped renewing is
    swept by the first tick of a process starting (whose own tick is far away), the one
    whose process renews it is not, and still activates."""
    db = sqlite_database(tmp_path)
    try:
        short = _conf(tmp_path, glance_proc.url, lease=2)
        dead = uploads.PendingUploads(short, db, glance.GlanceStore.from_conf(short))
        dead.stop()  # no thread: no renewal, as a killed process
        live = uploads.PendingUploads(short, db, glance.GlanceStore.from_conf(short))
        live.stop()  # renewed by hand below: its thread would also sweep the dead one
        pendings = {}
        for name, owner in (("dead", dead), ("live", live)):
            pending = pendings[name] = owner.begin(str(uuid.uuid4()))
            owner.store.put(iter([b"d" * 4096]), 1 << 20, store.Metadata(
                name=name, location=pending.location, upload_id=pending.upload_id))
        for _ in range(6):  # both get older than the lease; the live one is renewed
            assert live.renew() == 1
            time.sleep(0.5)
        with db.reading() as conn:  # the dead one's lease passed; it was not swept yet
            assert conn.execute(sa.select(sa.func.count()).select_from(uploads.BU).where(
                uploads.BU.c.lease_expires_at < m.utcnow())).scalar() == 1
        (tmp_path / "long").mkdir()
        long = _conf(tmp_path / "long", glance_proc.url, lease=120)
        starting = uploads.PendingUploads(long, db, glance.GlanceStore.from_conf(long))
        starting.start()
        try:
            _wait(lambda: _image(glance_proc.url, pendings["dead"].location) is None,
                  "the sweep at start", timeout=20)
        finally:
            starting.stop()
        assert _image(glance_proc.url, pendings["live"].location)["status"] == "active"
        with db.transaction() as session:
            assert live.finish(session, pendings["live"])
        assert not _rows(db)
    finally:
        db.dispose()
