"""``openstack accelerator bitstream|programming job|claim|host`` end to end: the real
OpenStackClient with our plugin, reading a clouds.yaml, against a running accel-api.

* an http_basic accel-api with a real accel-agent on host-a's fixture tree (kernel
  simulator behind it, tests/programming_helpers.Stack): upload with progress and the
  digests checked, list/show/delete, a claim without Nova, programming followed to its
  end, refusals as one line and exit status 1;
* accel-api on its embedded defaults (noauth, ``--os-auth-type none --os-endpoint``):
  inventory import from ``accel-discover --format json``.

Most commands run OSC in-process (``openstackclient.shell.main``: one interpreter start
instead of one per command); one runs the ``openstack`` console script itself.
"""

import contextlib
import io
import json
import os
import subprocess
import sys

import pytest
import yaml

import accel_hosts
from accel_hosts import sysfs
from tests.accel_api_helpers import running_server
from tests.programming_helpers import USERS, Stack, bitstream

pytestmark = pytest.mark.functional
IFACE = "f3c99413-5081-4aad-bced-07eb84a6d0bb"  # host-a's N3000 PR interface
OTHER_IFACE = "25d8bd3f-c344-5e2b-a5c2-d4b9e2c8c1c5"
AFU = "8d1e5b4a-8f2e-4c6b-9d1a-0c2b3e4f5a6b"
BIN = os.path.dirname(sys.executable)


def _clouds(folder, url):
    path = os.path.join(folder, "clouds.yaml")
    clouds = {name: {"auth_type": "http_basic",
                     "auth": {"endpoint": url, "username": user, "password": USERS[user]}}
              for name, user in (("accel-admin", "admin"), ("accel-alice", "alice"),
                                        ("accel-bob", "bob"))}
    with open(path, "w") as f:
        yaml.safe_dump({"clouds": clouds}, f)
    return path


def _forget_clients():
    """OSC keeps each plugin's client in a descriptor on the ClientManager class, made
    once per process (a real ``openstack`` runs one command): in-process, every command
    must get a client of its own cloud, not the first one's."""
    from openstackclient.common import clientmanager

    for klass in clientmanager.ClientManager.__mro__:
        for value in vars(klass).values():
            if hasattr(value, "_handle") and hasattr(value, "factory"):
                value._handle = None


class Osc:
    """``openstack <argv>`` in-process; (exit status, stdout, stderr)."""

    def __init__(self, env):
        self.env = env

    def __call__(self, *argv, cloud=None):
        from openstackclient import shell

        _forget_clients()
        out, err = io.StringIO(), io.StringIO()
        env = dict(self.env, **({"OS_CLOUD": cloud} if cloud else {}))
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = shell.main(list(argv))
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        return code, out.getvalue(), err.getvalue()

    def json(self, *argv, cloud=None):
        code, out, err = self(*argv, "-f", "json", cloud=cloud)
        assert code == 0, (argv, err[-3000:])
        return json.loads(out), err


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("osc-plugin")).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def osc(stack):
    clouds = _clouds(stack.workdir, stack.url)
    return Osc({"OS_CLIENT_CONFIG_FILE": clouds})


def _refused(result, *words):
    code, out, err = result
    assert code == 1, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def test_upload_with_progress_list_show_delete(stack, osc, tmp_path):
    data = bitstream(IFACE, AFU, 256 * 1024)
    path = tmp_path / "gzip.gbs"
    path.write_bytes(data)
    shown, err = osc.json("accelerator", "bitstream", "create", "gzip", "--file", str(path),
                          "--vendor", "intel", "--type", "gzip", "--progress",
                          cloud="accel-alice")
    assert shown["status"] == "active" and shown["size"] == len(data)
    assert "100%" in err and "[" + "#" * 30 + "]" in err, err  # the progress bar, to its end
    assert shown["sha256"] == __import__("hashlib").sha256(data).hexdigest()
    # The GBS header gave the ids the scheduler and the agent check.
    assert shown["function_id"] == AFU.replace("-", "")
    assert shown["interface_id"] == IFACE.replace("-", "")
    listed, _ = osc.json("accelerator", "bitstream", "list", cloud="accel-alice")
    assert [b["uuid"] for b in listed] == [shown["uuid"]]
    again, _ = osc.json("accelerator", "bitstream", "show", shown["uuid"], cloud="accel-alice")
    assert again["checksum"] == shown["checksum"]
    # Another project does not see it.
    others, _ = osc.json("accelerator", "bitstream", "list", cloud="accel-bob")
    assert shown["uuid"] not in [b["uuid"] for b in others]
    code, _, _ = osc("accelerator", "bitstream", "delete", shown["uuid"], cloud="accel-alice")
    assert code == 0
    _refused(osc("accelerator", "bitstream", "show", shown["uuid"], cloud="accel-alice"),
             "HTTP 404", shown["uuid"])


def test_a_wrong_checksum_uploads_nothing(osc, tmp_path):
    path = tmp_path / "x.gbs"
    path.write_bytes(bitstream(IFACE, AFU))
    before, _ = osc.json("accelerator", "bitstream", "list", cloud="accel-alice")
    _refused(osc("accelerator", "bitstream", "create", "x", "--file", str(path), "--checksum",
                 "sha256:" + "0" * 64, cloud="accel-alice"), "nothing uploaded")
    after, _ = osc.json("accelerator", "bitstream", "list", cloud="accel-alice")
    assert after == before


def test_claim_program_and_release(stack, osc, tmp_path):
    path = tmp_path / "afu.gbs"
    path.write_bytes(bitstream(IFACE, AFU, 64 * 1024))
    bs, _ = osc.json("accelerator", "bitstream", "create", "afu", "--file", str(path),
                     "--no-progress", cloud="accel-alice")
    claim, _ = osc.json("accelerator", "claim", "create", "--host", stack.hostname,
                        "--resource-class", "FPGA", "--trait", "CUSTOM_FPGA_INTEL",
                        cloud="accel-alice")
    assert claim["state"] == "Bound" and claim["pci_address"] in ("0000:3f:00.0", "0000:b3:00.0")
    listed, _ = osc.json("accelerator", "claim", "list", "--host", stack.hostname,
                         cloud="accel-alice")
    assert [c["uuid"] for c in listed] == [claim["uuid"]]
    job, err = osc.json("accelerator", "programming", "job", "create", "--deployable",
                        claim["deployable_uuid"], "--bitstream", bs["uuid"], "--wait",
                        "--poll-interval", "0.1", cloud="accel-alice")
    assert job["state"] == "succeeded", job
    followed = [line.split(": ", 1)[1] for line in err.splitlines()
                if line.startswith(f"programming job {job['uuid']}: ")]
    assert followed[0] in ("queued", "running") and followed[-1] == "succeeded", err
    region = stack.regions()[claim["deployable_uuid"]]
    assert region["bitstream_id"] == bs["uuid"]
    card = next(c for c in stack.host.cards if c.primary.address == claim["pci_address"])
    with open(os.path.join(sysfs.port_dir(stack.host, card, stack.root), "afu_id")) as f:
        assert f.read().strip() == AFU.replace("-", "")
    shown, _ = osc.json("accelerator", "programming", "job", "show", job["uuid"],
                        cloud="accel-alice")
    assert shown["state"] == "succeeded" and shown["finished_at"]
    # A bitstream for another PR interface is refused before any job runs.
    other = tmp_path / "other.gbs"
    other.write_bytes(bitstream(OTHER_IFACE, AFU))
    bad, _ = osc.json("accelerator", "bitstream", "create", "other", "--file", str(other),
                      "--no-progress", cloud="accel-alice")
    _refused(osc("accelerator", "programming", "job", "create", "--deployable",
                 claim["deployable_uuid"], "--bitstream", bad["uuid"], "--wait",
                 cloud="accel-alice"), "HTTP 409")
    # Another project's region: not found, as if it did not exist.
    _refused(osc("accelerator", "programming", "job", "create", "--deployable",
                 claim["deployable_uuid"], "--bitstream", bs["uuid"], cloud="accel-bob"),
             "HTTP 404")
    code, _, err = osc("accelerator", "claim", "delete", claim["uuid"], cloud="accel-alice")
    assert code == 0, err
    listed, _ = osc.json("accelerator", "claim", "list", cloud="accel-alice")
    assert listed == []


def test_the_openstack_console_script_loads_the_plugin(stack, osc):
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=osc.env["OS_CLIENT_CONFIG_FILE"],
               OS_CLOUD="accel-admin")
    proc = subprocess.run([os.path.join(BIN, "openstack"), "accelerator", "host", "list",
                           "-f", "json"], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    hosts = json.loads(proc.stdout)
    assert [h["hostname"] for h in hosts] == [stack.hostname]
    assert hosts[0]["num_devices"] == 2


def test_inventory_import_on_the_embedded_defaults(tmp_path):
    root = tmp_path / "host-c"
    sysfs.build(accel_hosts.load("host-c"), str(root))
    proc = subprocess.run([os.path.join(BIN, "accel-discover"), "--root", str(root),
                           "--format", "json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    doc = tmp_path / "inv.json"
    doc.write_text(proc.stdout)
    (tmp_path / "state").mkdir()
    with running_server(state_dir=str(tmp_path / "state")) as url:
        osc = Osc({})
        noauth = ("--os-auth-type", "none", "--os-endpoint", url)
        summary, _ = osc.json(*noauth, "accelerator", "host", "inventory", "import", str(doc))
        assert summary["host"] == "host-c.example.org"
        assert summary["devices"].startswith("6 added, 0 updated")
        summary, _ = osc.json(*noauth, "accelerator", "host", "inventory", "import", str(doc))
        assert summary["devices"].startswith("0 added, 0 updated, 0 removed")  # idempotent
        host, _ = osc.json(*noauth, "accelerator", "host", "show", "host-c.example.org")
        assert host["num_devices"] == 6
        broken = tmp_path / "broken.json"
        broken.write_text("{not json")
        _refused(osc(*noauth, "accelerator", "host", "inventory", "import", str(broken)),
                 "is not JSON")
        _refused(osc(*noauth, "accelerator", "host", "inventory", "import", "--host",
                     "other", str(doc)), "HTTP 400")
