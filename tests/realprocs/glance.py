"""A real Glance (the ``glance`` package from PyPI) on loopback: file store, SQLite, no auth.

The standalone ``glance-api`` server is gone: ``glance.wsgi.api:application`` is served
under cheroot with ``OS_GLANCE_CONFIG_DIR`` holding ``glance-api.conf`` (paste flavor
empty: the unauthenticated context, every caller admin). ``glance-manage db_sync`` first.
"""

import os
import subprocess
import sys

from tests.realprocs import base


def _paste_ini():
    venv = os.path.dirname(os.path.dirname(sys.executable))
    path = os.path.join(venv, "etc", "glance", "glance-api-paste.ini")
    if not os.path.exists(path):
        raise RuntimeError(f"glance's paste config is not at {path} (is glance installed?)")
    return path


class Glance:
    def __init__(self, workdir):
        self.workdir = str(workdir)
        self.port = base.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def write_config(self):
        w = self.workdir
        for sub in ("images", "staging", "tasks"):
            os.makedirs(os.path.join(w, sub), exist_ok=True)
        text = f"""[DEFAULT]
enabled_backends = fs:file
use_stderr = true
debug = false
bind_host = 127.0.0.1
bind_port = {self.port}
[database]
connection = sqlite:///{w}/glance.sqlite
[paste_deploy]
flavor =
config_file = {_paste_ini()}
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = {w}/images
[os_glance_staging_store]
filesystem_store_datadir = {w}/staging
[os_glance_tasks_store]
filesystem_store_datadir = {w}/tasks
[oslo_policy]
enforce_new_defaults = false
"""
        path = os.path.join(w, "glance-api.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self, timeout=90):
        os.makedirs(self.workdir, exist_ok=True)
        conf = self.write_config()
        subprocess.run([base.venv_bin("glance-manage"), "--config-file", conf, "db_sync"],
                       check=True, capture_output=True, timeout=180)
        env = dict(os.environ, OS_GLANCE_CONFIG_DIR=self.workdir)
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        argv = [sys.executable, "-m", "tests.realprocs.wsgi_serve",
                "glance.wsgi.api:application", "127.0.0.1", str(self.port)]
        self.process = base.Process(argv, os.path.join(self.workdir, "glance.log"),
                                    env=env, cwd=root)
        base.wait_http(self.url + "/v2/images", self.process, timeout=timeout)
        return self

    def stop(self):
        if self.process is not None:
            self.process.stop(timeout=3)
            self.process = None
