"""``accel_api.wsgi:application`` under uWSGI (a real WSGI server from PyPI), configured
as operators configure other OpenStack services' WSGI modules: OS_ACCEL_API_CONFIG_DIR
and OS_ACCEL_API_CONFIG_FILES."""

import os
import shutil
import subprocess
import sys
import time

import pytest
import requests

from tests.accel_api_helpers import free_port, stop_process

pytestmark = pytest.mark.functional


def test_the_wsgi_module_serves_under_uwsgi(tmp_path):
    uwsgi = shutil.which("uwsgi", path=os.path.dirname(sys.executable))
    assert uwsgi, "uWSGI is a test requirement (test-requirements.txt)"
    (tmp_path / "accel-api.conf").write_text(f"[DEFAULT]\nstate_dir = {tmp_path}\n")
    port = free_port()
    env = dict(os.environ, OS_ACCEL_API_CONFIG_DIR=str(tmp_path),
               OS_ACCEL_API_CONFIG_FILES="accel-api.conf")
    log = open(tmp_path / "uwsgi.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [uwsgi, "--http-socket", f"127.0.0.1:{port}", "--module", "accel_api.wsgi:application",
         "--master", "--processes", "2", "--threads", "2", "--lazy-apps", "--need-app",
         "--die-on-term",
         "--virtualenv", sys.prefix, "--chdir", str(tmp_path)],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (tmp_path / "uwsgi.log").read_text()[-3000:]
            try:
                requests.get(url + "/", timeout=2)
                break
            except (requests.ConnectionError, requests.Timeout):  # workers still loading
                assert time.monotonic() < deadline
                time.sleep(0.2)
        version = requests.get(url + "/v2", timeout=10)
        assert version.status_code == 200 and version.json()["version"]["id"] == "v2.0"
        created = requests.post(url + "/v2/device_profiles", timeout=10, json=[
            {"name": "under-uwsgi", "groups": [{"resources:FPGA": "1"}]}])
        assert created.status_code == 201, created.text
        listed = requests.get(url + "/v2/device_profiles?name=under-uwsgi", timeout=10)
        assert [p["name"] for p in listed.json()["device_profiles"]] == ["under-uwsgi"]
        # the embedded defaults made the schema in the configured state directory
        assert (tmp_path / "accel-api.sqlite").exists()
    finally:
        stop_process(proc, 30)
        log.close()
