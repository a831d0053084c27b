"""python-cyborgclient (Cyborg's ``openstack accelerator`` plugin), unchanged, against the
real accel-api: ``arq create`` (it sends ``"device_profile_group_id": null``, or the
``--group-id`` as a string), profiles by name from microversion 2.2 and Cyborg's 406 below."""

import json
import os
import subprocess
import sys
import tempfile

import pytest
import requests

from tests.accel_api_helpers import running_server, write_htpasswd

pytestmark = pytest.mark.functional
USERS = {"admin": "admin-pw", "alice": "alice-pw"}


@pytest.fixture(scope="module")
def cloud():
    with tempfile.TemporaryDirectory() as state:
        write_htpasswd(os.path.join(state, "htpasswd"), USERS)
        config = ("[api]\nauth_strategy = http_basic\nclient_socket_timeout = 2\n"
                  f"[http_basic]\nauth_file = {state}/htpasswd\n"
                  "user_projects = admin:admin,alice:proj-a\n"
                  "user_roles = admin:admin,alice:member\n")
        with running_server(state_dir=state, config=config) as url:
            clouds = os.path.join(state, "clouds.yaml")
            with open(clouds, "w") as f:
                for user in USERS:
                    f.write(("clouds:\n" if user == "admin" else "")
                            + f"  {user}:\n    auth_type: http_basic\n    auth:\n"
                            f"      username: {user}\n      password: {USERS[user]}\n"
                            f"      endpoint: {url}\n"
                            f"    accelerator_endpoint_override: {url}/v2\n")
            yield url, dict(os.environ, OS_CLIENT_CONFIG_FILE=clouds)


#: Runs several ``openstack`` commands in one interpreter (OSC's own ``main``, as the
#: console script calls it): the CLI's start-up is paid once, not per command. The
#: plugin keeps the first microversion it was given for the process, as one CLI run
#: does: commands with another ``--os-accelerator-api-version`` run in another process.
_RUNNER = """
import contextlib, io, json, sys
from openstackclient import shell
out = []
for argv in json.load(sys.stdin):
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            rc = shell.main(argv)
        except SystemExit as exc:
            rc = exc.code
    out.append([rc, stdout.getvalue(), stderr.getvalue()])
json.dump(out, sys.__stdout__)
"""


def _cli(cloud, *commands):
    """[(rc, stdout, stderr)] of each command: (user, *args)."""
    _url, env = cloud
    argvs = [["--os-cloud", user, *args] for user, *args in commands]
    proc = subprocess.run([sys.executable, "-c", _RUNNER], input=json.dumps(argvs), env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_cyborgclient_creates_arqs_and_shows_profiles_by_name(cloud):
    url, _env = cloud
    created, arq, arq_group, too_old, listed = _cli(
        cloud,
        ("admin", "accelerator", "device", "profile", "create", "fpga-dp",
         "--group", "resources:FPGA=1", "-f", "json"),
        ("alice", "accelerator", "arq", "create", "fpga-dp", "-f", "json"),
        ("alice", "accelerator", "arq", "create", "fpga-dp", "--group-id", "0", "-f", "json"),
        ("alice", "--os-accelerator-api-version", "2.0", "accelerator", "device", "profile",
         "show", "fpga-dp", "-f", "json"),
        ("alice", "accelerator", "arq", "list", "-f", "json"))
    (by_name,) = _cli(cloud, (
        "alice", "--os-accelerator-api-version", "2.2", "accelerator", "device", "profile",
        "show", "fpga-dp", "-f", "json"))
    assert created[0] == 0, created[2]
    profile = json.loads(created[1])
    for rc, out, err in (arq, arq_group):
        assert rc == 0, err
        view = json.loads(out)
        assert view["state"] == "Initial" and view["device_profile_name"] == "fpga-dp", view
    assert by_name[0] == 0, by_name[2]
    assert json.loads(by_name[1])["uuid"] == profile["uuid"]
    assert too_old[0] != 0 and "minimal required API version should be 2.2" in too_old[2], \
        too_old
    assert listed[0] == 0, listed[2]
    assert len(json.loads(listed[1])) == 2
    # The status under that refusal is Cyborg's: 406 Not Acceptable.
    resp = requests.get(f"{url}/v2/device_profiles/fpga-dp", auth=("alice", "alice-pw"),
                        headers={"OpenStack-API-Version": "accelerator 2.0"}, timeout=10)
    assert resp.status_code == 406, resp.text
