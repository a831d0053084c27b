"""``accel-discover``: print this host's (or a fixture root's) accelerator inventory."""

from __future__ import annotations

import argparse
import json
import sys

from ipa_fpga.cli import tree
from ipa_fpga.discovery import DiscoveryError, discover


def parser():
    p = argparse.ArgumentParser(
        prog="accel-discover",
        description="Discover accelerators (FPGA, GPU, QAT, FEC...) from sysfs.",
    )
    p.add_argument("--root", default="/",
                   help="filesystem root holding sys/ proc/ dev/ (default: /)")
    p.add_argument("--format", choices=("json", "tree"), default="json",
                   help="json: the inventory document; tree: a readable tree (default: json)")
    p.add_argument("--hostname", default=None,
                   help="hostname to report (default: read from the root)")
    p.add_argument("--traits", action="store_true", help="show traits in the tree")
    p.add_argument("--indent", type=int, default=None,
                   help="indent JSON by N spaces (default: 2 on a terminal, compact when piped)")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        doc = discover(args.root, hostname=args.hostname)
    except DiscoveryError as exc:
        print(f"accel-discover: error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.format == "json":
            indent = args.indent
            if indent is None and sys.stdout.isatty():
                indent = 2
            # Compact output uses the C encoder: several times faster on big hosts.
            sys.stdout.write(json.dumps(doc, indent=indent) + "\n")
        else:
            sys.stdout.write(tree.render(doc, traits=args.traits) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into head
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
