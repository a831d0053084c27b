"""``accel-fixture``: materialise a host description as a fake sysfs tree (for docs and tests)."""

from __future__ import annotations

import argparse
import os
import sys

import accel_hosts
from accel_hosts import sysfs


def parser():
    p = argparse.ArgumentParser(prog="accel-fixture",
                                description="Fake sysfs trees from host descriptions.")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write a host's sysfs/procfs/dev tree under --root")
    b.add_argument("--host", required=True,
                   help=f"bundled name ({', '.join(accel_hosts.names())}), 'large[:N]', "
                        "or a YAML description path")
    b.add_argument("--root", required=True, help="directory to write into (created if missing)")
    sub.add_parser("list", help="list bundled host descriptions")
    return p


def host_from_arg(value):
    """A bundled name, ``large`` / ``large:N`` (generated, N functions), or a YAML path."""
    if value == "large" or value.startswith("large:"):
        count = value.partition(":")[2] or "1000"
        if not count.isdigit() or int(count) < 1:
            raise accel_hosts.HostDescriptionError(f"bad function count in {value!r}")
        return accel_hosts.large_host(int(count))
    return accel_hosts.load(value)


def main(argv=None):
    args = parser().parse_args(argv)
    if args.command == "list":
        for name in accel_hosts.names():
            print(name)
        return 0
    try:
        host = host_from_arg(args.host)
    except accel_hosts.HostDescriptionError as exc:
        print(f"accel-fixture: error: {exc}", file=sys.stderr)
        return 2
    if os.path.exists(args.root) and not os.path.isdir(args.root):
        print(f"accel-fixture: error: {args.root} exists and is not a directory", file=sys.stderr)
        return 2
    try:
        sysfs.build(host, args.root)
    except OSError as exc:
        print(f"accel-fixture: error: cannot write {args.root}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    print(f"built {host.name}: {len(host.functions())} PCI functions under "
          f"{os.path.abspath(args.root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
