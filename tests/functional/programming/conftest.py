"""Shared fixtures of the programming part: fixture hosts and their inventories."""

import copy
import functools

import pytest

import accel_hosts
from accel_hosts import sysfs
from ipa_fpga.discovery import discover


@functools.cache
def _inventory(name, root):
    sysfs.build(accel_hosts.load(name), root)
    return discover(root, name)


@pytest.fixture(scope="session")
def host_a_inventory(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("host-a-root"))
    return copy.deepcopy(_inventory("host-a", root))
