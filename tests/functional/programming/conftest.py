"""Shared fixtures of the programming part: fixture hosts and their inventories."""

import copy
import functools

import pytest

import accel_hosts
from accel_hosts import sysfs
from ipa_fpga.discovery import discover
from tests.realprocs.glance import Glance
from tests.realprocs.placement import Placement


@functools.cache
def _inventory(name, root):
    sysfs.build(accel_hosts.load(name), root)
    return discover(root, name)


@pytest.fixture(scope="session")
def host_a_inventory(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("host-a-root"))
    return copy.deepcopy(_inventory("host-a", root))


@pytest.fixture(scope="session")
def placement(tmp_path_factory):
    """One real Placement for the modules of this folder."""
    proc = Placement(tmp_path_factory.mktemp("placement")).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def glance_proc(tmp_path_factory):
    """One real Glance for the modules of this folder (file store, SQLite, no auth)."""
    proc = Glance(tmp_path_factory.mktemp("glance")).start()
    yield proc
    proc.stop()
