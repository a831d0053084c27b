"""Shared helpers for the discovery/fixture tests: built fixture roots, compact tree views."""

import atexit
import copy
import shutil
import tempfile

import accel_hosts
from accel_hosts import sysfs
from ipa_fpga.discovery import discover

_BASE = None
#: the system's temporary directory, taken at import: unit tests run with a per-test
#: ``tempfile.tempdir`` (oslotest's NestedTempfile) that would not outlive the test
_SYSTEM_TMP = tempfile.gettempdir()
_ROOTS = {}
_DOCS = {}


def _base():
    global _BASE
    if _BASE is None:
        _BASE = tempfile.mkdtemp(prefix="accel-fixtures-", dir=_SYSTEM_TMP)
        atexit.register(shutil.rmtree, _BASE, True)
    return _BASE


def built_root(name):
    """Fixture root of a bundled host, built once per test session (treat as read-only)."""
    if name not in _ROOTS:
        root = f"{_base()}/{name}"
        sysfs.build(accel_hosts.load(name), root)
        _ROOTS[name] = root
    return _ROOTS[name]


def fresh_root(name, tmp_path):
    """A private, writable copy of a bundled host's tree (for garbage injection)."""
    root = tmp_path / name
    shutil.copytree(built_root(name), root, symlinks=True)
    return str(root)


def inventory(name):
    """The discovered inventory of a bundled host (computed once; a deep copy each call)."""
    if name not in _DOCS:
        _DOCS[name] = discover(built_root(name))
    return copy.deepcopy(_DOCS[name])


def device(doc, device_id):
    return next(d for d in doc["devices"] if d["id"] == device_id)


def tree(device_doc):
    """Deployables as ``(id, kind, parent, resource_class, num, handles)`` tuples."""
    return [
        (d["id"], d["kind"], d["parent"], d["resource_class"], d["num_accelerators"],
         tuple(h["address"] for h in d["attach_handles"]))
        for d in device_doc["deployables"]
    ]


def roles(device_doc):
    return [(f["address"], f["role"]) for f in device_doc["functions"]]


def firmware(device_doc):
    return {f["component"]: (f["version"], f["update_method"], f.get("update_target"))
            for f in device_doc["firmware"]}
