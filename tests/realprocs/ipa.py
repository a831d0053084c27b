"""A real ironic-python-agent process (from PyPI) with only our hardware manager, on loopback.

``IPA(workdir, ironic_url, sysfs_root, mac).start()``: writes an IPA config
(``[ipa_fpga] sysfs_root``), and runs ``tests/realprocs/ipa_main.py`` (IPA's own
``agent.run()`` plus the guard described there) unprivileged via ``setpriv`` when
the tests run as root: the fixture tree is handed to that user, nothing else is.
"""

import os
import shutil
import sys
import tempfile

from tests.realprocs import base

NOBODY = 65534


def _chown_tree(path, uid):
    """Hand the tree to ``uid``. The kernel simulator keeps writing in it meanwhile (its
    files are replaced through temporary ones): an entry gone between the listing and
    its chown needs none, and what replaces it is readable as before."""
    for dirpath, dirnames, filenames in os.walk(path):
        for entry in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
            try:
                os.lchown(entry, uid, uid)
            except FileNotFoundError:
                continue


class IPA:
    def __init__(self, workdir, ironic_url, sysfs_root, mac):
        self.workdir = str(workdir)
        self.ironic_url = ironic_url
        self.sysfs_root = sysfs_root
        self.mac = mac
        self.port = base.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The agent's own directory (config, HOME): readable by the unprivileged user.
        self.home = tempfile.mkdtemp(prefix="accel-ipa-home-")
        self.conf_path = os.path.join(self.home, "ipa.conf")
        self.log_path = os.path.join(self.workdir, "ipa.log")
        self.process = None

    def start(self):
        os.makedirs(self.workdir, exist_ok=True)
        with open(self.conf_path, "w") as f:
            f.write(f"[DEFAULT]\ndebug = true\nuse_stderr = true\n\n"
                    f"[ipa_fpga]\nsysfs_root = {self.sysfs_root}\n"
                    # the images come from a loopback file server
                    "allow_loopback_urls = true\n")
        argv = [
            sys.executable, os.path.join(os.path.dirname(__file__), "ipa_main.py"),
            "--config-file", self.conf_path,
            "--api_url", self.ironic_url,
            "--advertise_host", "127.0.0.1", "--advertise_port", str(self.port),
            "--listen_host", "127.0.0.1", "--listen_port", str(self.port),
            "--noenable_auto_tls", "--lookup_interval", "1", "--lookup_timeout", "120",
        ]
        if os.geteuid() == 0:
            _chown_tree(self.sysfs_root, NOBODY)
            _chown_tree(self.home, NOBODY)
            argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                    "--"] + argv
        env = dict(os.environ, ACCEL_IPA_MAC=self.mac, HOME=self.home,
                   PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.process = base.Process(argv, self.log_path, env=env)
        base.wait_http(f"{self.url}/v1/status", self.process, timeout=60)
        return self

    def log_tail(self, limit=6000):
        return self.process.log_tail(limit) if self.process else ""

    def stop(self):
        if self.process is not None:
            # IPA may ignore SIGTERM after its API stopped: Process.stop escalates to SIGKILL.
            self.process.stop(timeout=5)
            self.process = None
        shutil.rmtree(self.home, ignore_errors=True)
