"""The committed OpenAPI document and sample files are exactly what the code generates,
and every route the app serves is documented (and nothing else is)."""

import os
import subprocess
import sys

import yaml

from accel_api.api import openapi
from accel_api.api.app import AccelApi, load_conf
from accel_api.db.engine import Database
from tests.unit import base

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
BIN = os.path.dirname(sys.executable)


def _generated(tmp_path, tool, config, committed):
    out = tmp_path / "out"
    subprocess.run([os.path.join(BIN, tool), "--config-file", config, "--output-file",
                    str(out)], check=True, cwd=TOP, capture_output=True)
    with open(os.path.join(TOP, committed)) as f:
        assert out.read_text() == f.read(), f"regenerate {committed} with {tool}"


class TestGeneratedFiles(base.TestCase):
    def test_every_route_is_in_the_openapi_document_and_back(self):
        tmp_path = self.tmp_dir()
        app = AccelApi(load_conf(args=[]), Database(f"sqlite:///{tmp_path}/x.sqlite"))
        served = {(r.method, r.template) for r in app.router.routes}
        with open(openapi.PATH) as f:
            doc = yaml.safe_load(f)
        documented = {(method.upper(), path) for path, ops in doc["paths"].items()
                      for method in ops}
        self.assertEqual(served, documented)

    def test_openapi_document_is_current(self):
        with open(openapi.PATH) as f:
            self.assertEqual(f.read(), openapi.render(), "run: python -m accel_api.api.openapi > " \
                "accel_api/api/openapi.yaml")

    def test_config_sample_is_current(self):
        tmp_path = self.tmp_dir()
        _generated(tmp_path, "oslo-config-generator", "etc/oslo-config-generator/accel-api.conf",
                   "etc/accel-api/accel-api.conf.sample")

    def test_policy_sample_is_current(self):
        tmp_path = self.tmp_dir()
        _generated(tmp_path, "oslopolicy-sample-generator",
                   "etc/oslo-policy-generator/accel-api.conf", "etc/accel-api/policy.yaml.sample")

    def test_agent_config_sample_is_current(self):
        tmp_path = self.tmp_dir()
        _generated(tmp_path, "oslo-config-generator", "etc/oslo-config-generator/accel-agent.conf",
                   "etc/accel-agent/accel-agent.conf.sample")
