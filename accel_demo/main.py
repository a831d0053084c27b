"""``accel-demo``: the end-to-end demo on embedded defaults, as a list of steps.

Each step is a small function taking the shared ``DemoContext``; later parts add
their own steps to ``STEPS`` (Ironic inspection, Placement reporting, claims...).
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile

import accel_hosts
from accel_demo import ironic_step
from accel_demo.claims_step import claim_with_accel_api
from accel_hosts import sysfs
from ipa_fpga.cli import tree
from ipa_fpga.discovery import discover


@dataclasses.dataclass
class DemoContext:
    workdir: str
    hosts: list
    out: object = sys.stdout
    roots: dict = dataclasses.field(default_factory=dict)  # host name -> fixture root
    inventories: dict = dataclasses.field(default_factory=dict)  # host name -> document

    def say(self, text=""):
        print(text, file=self.out, flush=True)


def build_fixtures(ctx):
    """Materialise the bundled sample hosts as sysfs trees."""
    for name in ctx.hosts:
        root = f"{ctx.workdir}/{name}"
        host = accel_hosts.load(name)
        sysfs.build(host, root)
        ctx.roots[name] = root
        ctx.say(f"built fixture {name}: {len(host.functions())} PCI functions")


def discover_hosts(ctx):
    """Run discovery on each fixture and print the tree."""
    for name, root in ctx.roots.items():
        ctx.inventories[name] = discover(root)
        ctx.say()
        ctx.say(tree.render(ctx.inventories[name]))


#: The demo, in order: (title, step). Later issues append their steps here.
STEPS = [
    ("Build sample host fixtures", build_fixtures),
    ("Discover accelerators", discover_hosts),
    ("Ironic inspection hook: traits, capabilities, properties", ironic_step.inspect_hosts),
    ("In-band firmware flash (IPA step, kernel simulator)", ironic_step.flash_firmware),
    ("Claim an accelerator through accel-api (Nova's flow)", claim_with_accel_api),
]


def _program_step(ctx):
    from accel_demo import program_step

    program_step.program_claimed_fpga(ctx)


STEPS.append(("Program a claimed FPGA through accel-api and accel-agent", _program_step))


def main(argv=None):
    p = argparse.ArgumentParser(prog="accel-demo", description=__doc__.splitlines()[0])
    p.add_argument("--host", action="append", choices=accel_hosts.names(),
                   help="sample host(s) to use (default: mixed)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = p.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="accel-demo-")
    ctx = DemoContext(workdir=workdir, hosts=args.host or ["mixed"])
    try:
        for i, (title, step) in enumerate(STEPS, 1):
            ctx.say(f"== step {i}: {title}")
            step(ctx)
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
