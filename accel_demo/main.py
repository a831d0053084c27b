"""``accel-demo``: the end-to-end demo on embedded defaults, as a list of steps.

Each step is a small function taking the shared ``DemoContext``; later parts add
their own steps to ``STEPS`` (Ironic inspection, Placement reporting, claims...).
Each step checks what it shows (``ctx.check``): a result that is not the expected one
stops the demo with the step's number and exit status 1.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import warnings

import accel_hosts
from accel_contract import inventory as contract
from accel_demo import ironic_step
from accel_demo.claims_step import claim_with_accel_api
from accel_demo.program_step import program_claimed_fpga
from accel_demo.redfish_step import oob_firmware_update
from accel_hosts import sysfs
from ipa_fpga.cli import tree
from ipa_fpga.discovery import discover


@dataclasses.dataclass
class DemoContext:
    workdir: str
    hosts: list
    out: object = None  # sys.stdout at the time of each line
    roots: dict = dataclasses.field(default_factory=dict)  # host name -> fixture root
    inventories: dict = dataclasses.field(default_factory=dict)  # host name -> document

    def say(self, text=""):
        print(text, file=self.out or sys.stdout, flush=True)

    def check(self, condition, message):
        """Fail the step unless ``condition``: ``message`` says what was expected."""
        if not condition:
            raise CheckFailed(message)
        return condition


class CheckFailed(Exception):
    """A step's result is not what the step shows."""


def build_fixtures(ctx):
    """Materialise the bundled sample hosts as sysfs trees."""
    for name in ctx.hosts:
        root = f"{ctx.workdir}/{name}"
        host = accel_hosts.load(name)
        sysfs.build(host, root)
        ctx.roots[name] = root
        built = os.listdir(os.path.join(root, "sys", "bus", "pci", "devices"))
        ctx.check(len(built) == len(host.functions()),
                  f"{name}: {len(built)} PCI functions in the tree, "
                  f"{len(host.functions())} in the description")
        ctx.say(f"built fixture {name}: {len(host.functions())} PCI functions")


def discover_hosts(ctx):
    """Run discovery on each fixture and print the tree."""
    for name, root in ctx.roots.items():
        doc = contract.validate(discover(root))
        host = accel_hosts.load(name)
        found = {d["id"] for d in doc["devices"]}
        ctx.check(found, f"{name}: no accelerator discovered")
        ctx.check(doc["host"]["hostname"] == host.hostname,
                  f"{name}: discovered hostname {doc['host']['hostname']!r}, "
                  f"expected {host.hostname!r}")
        problems = [w["code"] for w in doc["warnings"]] + [
            w["code"] for d in doc["devices"] for w in d["warnings"]]
        ctx.check(not problems, f"{name}: discovery warnings on a clean fixture: {problems}")
        ctx.inventories[name] = doc
        ctx.say()
        ctx.say(tree.render(doc))


#: The demo, in order: (title, step). Later issues append their steps here.
STEPS = [
    ("Build sample host fixtures", build_fixtures),
    ("Discover accelerators", discover_hosts),
    ("Ironic inspection hook: traits, capabilities, properties", ironic_step.inspect_hosts),
    ("In-band firmware flash (IPA step, kernel simulator)", ironic_step.flash_firmware),
    ("Claim an accelerator through accel-api (Nova's flow)", claim_with_accel_api),
    ("Update one accelerator's firmware out-of-band (Redfish)", oob_firmware_update),
    ("Program a claimed FPGA through accel-api and accel-agent", program_claimed_fpga),
]


def main(argv=None):
    p = argparse.ArgumentParser(prog="accel-demo", description=__doc__.splitlines()[0])
    p.add_argument("--host", action="append", choices=accel_hosts.names(),
                   help="sample host(s) to use (default: mixed)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = p.parse_args(argv)
    # Libraries pulled in by IPA's code (eventlet via futurist) warn about their own
    # deprecations; that is not the demo's news.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
    workdir = tempfile.mkdtemp(prefix="accel-demo-")
    ctx = DemoContext(workdir=workdir, hosts=args.host or ["mixed"])
    try:
        for i, (title, step) in enumerate(STEPS, 1):
            ctx.say(f"== step {i}: {title}")
            step(ctx)
    except CheckFailed as exc:
        print(f"accel-demo: step {i} ({title}) did not show what it should: {exc}",
              file=sys.stderr)
        return 1
    except Exception as exc:
        print(f"accel-demo: error in step {i} ({title}): {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            ctx.say(f"(kept {workdir})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
