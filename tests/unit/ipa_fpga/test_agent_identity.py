"""accel-agent names its host as nova-compute does, says how Placement should see it, and
refuses to start with a name that cannot identify the host."""

import os
import socket
import subprocess
import sys
import tempfile

from oslo_config import cfg

import accel_hosts
from accel_contract import inventory as contract
from accel_hosts import sysfs
from ipa_fpga.agent import conf as agent_conf
from ipa_fpga.agent import report
from tests.unit import base


class AgentIdentityTest(base.TestCase):
    def setUp(self):
        super().setUp()
        self._dir = tempfile.TemporaryDirectory()
        self.addCleanup(self._dir.cleanup)
        self.root = os.path.join(self._dir.name, "root")
        sysfs.build(accel_hosts.load("host-a"), self.root)
        self.conf = cfg.ConfigOpts()
        agent_conf.register_opts(self.conf)
        self.conf([], default_config_files=[])
        self.conf.set_override("root", self.root, "agent")

    def test_default_hostname_is_novas_default_host(self):
        # nova-compute's [DEFAULT] host defaults to socket.gethostname() too.
        self.assertEqual(self.conf.agent.hostname, socket.gethostname())

    def test_a_nova_host_says_so_with_its_nodename(self):
        self.conf.set_override("hostname", "compute-3", "agent")
        doc = report.document(self.conf)
        contract.validate(doc)
        self.assertEqual(doc["host"]["hostname"], "compute-3")
        self.assertIs(doc["host"]["nova_compute"], True)
        self.assertEqual(doc["host"]["nodename"], "compute-3")
        self.conf.set_override("nodename", "compute-3.example.org", "agent")
        self.assertEqual(report.document(self.conf)["host"]["nodename"],
                         "compute-3.example.org")

    def test_a_standalone_host_has_no_nodename(self):
        self.conf.set_override("hostname", "bm-3", "agent")
        self.conf.set_override("nova_compute", False, "agent")
        doc = report.document(self.conf)
        contract.validate(doc)
        self.assertIs(doc["host"]["nova_compute"], False)
        self.assertNotIn("nodename", doc["host"])

    def test_start_is_refused_with_a_loopback_hostname(self):
        # In its own process: accel-agent's command monkey-patches with eventlet.
        path = os.path.join(self._dir.name, "agent.conf")
        with open(path, "w") as f:
            f.write(f"[agent]\nhostname = localhost\nroot = {self.root}\n"
                    f"state_dir = {self._dir.name}/state\n")
        agent = os.path.join(os.path.dirname(sys.executable), "accel-agent")
        done = subprocess.run([agent, "--config-file", path], capture_output=True,
                              text=True, timeout=120)
        self.assertEqual(done.returncode, 2, done.stdout + done.stderr)
        self.assertIn("loopback", done.stdout + done.stderr)
