"""What the in-band step tests share: host-a's fixture tree with the kernel simulator
running on it, and a loopback file server the steps download images from."""

import hashlib
import os
import shutil
import tempfile

import accel_hosts
from accel_hosts import kernel_sim, sysfs
from ipa_fpga import conf
from tests.realprocs.fileserver import FileServer
from tests.unit import base


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def read(root, rel):
    with open(os.path.join(root, rel)) as f:
        return f.read().strip()


def allow_loopback_urls(test):
    """Let ``test`` download from loopback servers (``[ipa_fpga] allow_loopback_urls``)."""
    conf.cfg.CONF.set_override("allow_loopback_urls", True, group=conf.GROUP)
    test.addCleanup(conf.cfg.CONF.clear_override, "allow_loopback_urls", group=conf.GROUP)


class FilesTestCase(base.TestCase):
    """``self.files``: one loopback file server for the tests of the class (loopback
    URLs allowed for each test)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.files = FileServer(cls.class_tmp_dir("accel-www-")).start()
        cls.addClassCleanup(cls.files.stop)

    def setUp(self):
        super().setUp()
        allow_loopback_urls(self)


class SimulatorTestCase(FilesTestCase):
    """``self.host_a`` and ``self.sim_root``: a fresh host-a tree per test, the kernel
    simulator answering on it, and ipa_fpga's ``sysfs_root`` pointing at it."""

    def setUp(self):
        super().setUp()
        self.host_a = accel_hosts.load("host-a")
        root = tempfile.mkdtemp(prefix="accel-sim-")
        self.addCleanup(shutil.rmtree, root, ignore_errors=True)
        sysfs.build(self.host_a, root)
        sim = kernel_sim.KernelSim(self.host_a, root).start()
        self.addCleanup(sim.stop)
        conf.cfg.CONF.set_override("sysfs_root", root, group=conf.GROUP)
        self.addCleanup(conf.cfg.CONF.clear_override, "sysfs_root", group=conf.GROUP)
        self.sim_root = root
