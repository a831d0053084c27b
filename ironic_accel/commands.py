"""Console scripts that check their optional dependencies before importing anything.

The light install (``pip install <ironic-accel source>`` with no extras, e.g. into an IPA
ramdisk) carries every command; those that need an extra's packages answer one line
naming the extra and exit 2 instead of dying in an import traceback.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import re
import sys

DISTRIBUTION = "ironic-accel"
#: The top-level packages of this distribution (a missing one is a broken install, not a
#: missing extra).
OWN_PACKAGES = frozenset({"accel_api", "accel_client", "accel_contract", "accel_demo",
                          "accel_hosts", "ipa_fpga", "ironic_accel", "ironic_fpga",
                          "redfish_mocks"})
INSTALL_HINT = ("install it from a checkout, a git URL or a built wheel, e.g. "
                "pip install './ironic-accel[{extras}]'")


@dataclasses.dataclass(frozen=True)
class Command:
    name: str
    target: str  # "module:function"; the function takes no arguments (it reads sys.argv)
    extras: tuple = ()  # the setup.cfg extras whose packages the command imports


COMMANDS = {c.name: c for c in (
    Command("accel-agent", "ipa_fpga.agent.cmd:main", ("agent",)),
    Command("accel-api", "accel_api.cmd.accel_api:main", ("server",)),
    Command("accel-demo", "accel_demo.main:main", ("server", "agent", "demo")),
    Command("accel-discover", "ipa_fpga.cli.discover:main"),
    Command("accel-fixture", "accel_hosts.cli:main"),
    Command("accel-redfish-mock", "redfish_mocks.cli:main"),
)}

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def extra_requirements(extras, requires=None):
    """The distribution names the given extras add (from the installed metadata)."""
    if requires is None:
        try:
            requires = importlib.metadata.requires(DISTRIBUTION) or []
        except importlib.metadata.PackageNotFoundError:
            return []  # run from a source tree: nothing to check against
    names = []
    for line in requires:
        extra = _EXTRA.search(line)
        name = _NAME.match(line)
        if extra and name and extra.group(1) in extras and name.group(1) not in names:
            names.append(name.group(1))
    return names


def missing_distributions(extras, requires=None):
    missing = []
    for name in extra_requirements(extras, requires):
        try:
            importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def _refuse(command, detail):
    extras = ",".join(command.extras)
    hint = INSTALL_HINT.format(extras=extras)
    print(f"{command.name}: needs {DISTRIBUTION}[{extras}] ({detail}); {hint}",
          file=sys.stderr)
    return 2


def run(name):
    command = COMMANDS[name]
    missing = missing_distributions(command.extras)
    if missing:
        return _refuse(command, "not installed: " + ", ".join(missing))
    module, func = command.target.split(":")
    try:
        main = getattr(importlib.import_module(module), func)
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        if not command.extras or not top or top in OWN_PACKAGES:
            raise
        return _refuse(command, f"no module named {exc.name!r}")
    return main()


def _entry(name):
    def entry():
        sys.exit(run(name))
    entry.__name__ = entry.__qualname__ = name.replace("-", "_")
    entry.__doc__ = f"The ``{name}`` console script."
    return entry


accel_agent = _entry("accel-agent")
accel_api = _entry("accel-api")
accel_demo = _entry("accel-demo")
accel_discover = _entry("accel-discover")
accel_fixture = _entry("accel-fixture")
accel_redfish_mock = _entry("accel-redfish-mock")
