import hashlib
import os
import shutil
import tempfile

import pytest

import accel_hosts
from accel_hosts import kernel_sim, sysfs
from ipa_fpga import conf
from tests.realprocs.fileserver import FileServer


@pytest.fixture
def host_a():
    return accel_hosts.load("host-a")


@pytest.fixture
def sim_root(host_a):
    root = tempfile.mkdtemp(prefix="accel-sim-")
    sysfs.build(host_a, root)
    sim = kernel_sim.KernelSim(host_a, root).start()
    conf.cfg.CONF.set_override("sysfs_root", root, group=conf.GROUP)
    yield root
    conf.cfg.CONF.clear_override("sysfs_root", group=conf.GROUP)
    sim.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    server = FileServer(tmp_path_factory.mktemp("www")).start()
    yield server
    server.stop()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def read(root, rel):
    with open(os.path.join(root, rel)) as f:
        return f.read().strip()
