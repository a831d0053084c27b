"""``accel-redfish-mock``: a Redfish service on loopback emulating accelerator servers.

Examples::

    accel-redfish-mock --host mixed --port 8000
    accel-redfish-mock --host host-a --host host-b --count 500 --profile monitor-204
    accel-redfish-mock --host mixed --server-profile mixed=fail-halfway
    accel-redfish-mock --host host-b --profile hgx            # one BMC laid out as a DGX's
    accel-redfish-mock --host host-d --profile bluefield+slow # a DPU's BMC, slow updates
    accel-redfish-mock --mockup path/to/mockups/public-rackmount1     # static, read-only
"""

from __future__ import annotations

import argparse
import json
import signal
import sys

import accel_hosts
from redfish_mocks import faults, profiles
from redfish_mocks.httpd import HttpService
from redfish_mocks.service import EmulatorService
from redfish_mocks.state import Emulator
from redfish_mocks.static import MockupError, StaticService


def build_parser():
    p = argparse.ArgumentParser(prog="accel-redfish-mock",
                                description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="profiles:\n" + "\n".join(
                                    f"  {p.name:16} {p.description}"
                                    for p in profiles.PROFILES.values()))
    p.add_argument("--address", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: loopback only)")
    p.add_argument("--port", type=int, default=8000, help="port (0: any free port)")
    p.add_argument("--host", action="append", metavar="NAME_OR_YAML",
                   help="host description (bundled name or YAML path); repeatable "
                   f"(default: mixed; bundled: {', '.join(accel_hosts.names())})")
    p.add_argument("--large-host", type=int, metavar="FUNCTIONS",
                   help="add the generated large host with at least this many PCI functions")
    p.add_argument("--count", type=int, default=1, help="servers emulated per host description")
    p.add_argument("--profile", default="standard",
                   help="vendor profile of every server: a behaviour, a layout (one BMC per "
                   "service), or LAYOUT+BEHAVIOUR")
    p.add_argument("--server-profile", action="append", default=[], metavar="ID=PROFILE",
                   help="vendor profile of one server")
    p.add_argument("--update-seconds", type=float,
                   help="duration of a firmware update (overrides the profile's)")
    p.add_argument("--fault", action="append", default=[], metavar="ID=JSON",
                   help='inject a fault at start, e.g. mixed=\'{"kind": "latency", "ms": 50}\'')
    p.add_argument("--mockup", metavar="DIR",
                   help="static mode: serve this DMTF mockup directory read-only")
    p.add_argument("--page-size", type=int, metavar="N",
                   help="page every collection N members at a time (Members@odata.nextLink); "
                   "default: as the profile pages (most do not), or as a capture recorded")
    p.add_argument("--username", default="admin")
    p.add_argument("--password", default="password")
    p.add_argument("--verbose", action="store_true", help="log every request")
    return p


def make_service(args):
    if args.mockup:
        return StaticService(args.mockup, args.username, args.password,
                             page_size=args.page_size)
    hosts = [accel_hosts.load(h) for h in (args.host or ([] if args.large_host else ["mixed"]))]
    if args.large_host:
        hosts.append(accel_hosts.large_host(args.large_host))
    if args.count < 1:
        raise ValueError("--count must be at least 1")
    server_profiles = {}
    for item in args.server_profile:
        sid, sep, name = item.partition("=")
        if not sep:
            raise ValueError(f"--server-profile {item!r}: expected ID=PROFILE")
        profiles.get(name)
        server_profiles[sid] = name
    emu = Emulator(hosts, count=args.count, profile=args.profile,
                   server_profiles=server_profiles, update_seconds=args.update_seconds)
    unknown = set(server_profiles) - set(emu.servers)
    if unknown:
        raise ValueError(f"--server-profile names unknown servers: {', '.join(sorted(unknown))}")
    for item in args.fault:
        sid, sep, spec = item.partition("=")
        if not sep or sid not in emu.servers:
            raise ValueError(f"--fault {item!r}: expected ID=JSON with a known server id")
        emu.servers[sid].faults.add(json.loads(spec))
    return EmulatorService(emu, args.username, args.password, page_size=args.page_size)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        profiles.get(args.profile)
        service = make_service(args)
        httpd = HttpService(service, args.address, args.port, verbose=args.verbose)
    except (ValueError, OSError, MockupError, faults.FaultError,
            accel_hosts.HostDescriptionError) as exc:
        print(f"accel-redfish-mock: {exc}", file=sys.stderr)
        return 2
    if args.mockup:
        what = f"mockup {args.mockup}"
    elif service.layout is not None:
        what = (f"{service.vendor.sid} as a {service.layout.name} BMC "
                f"(profile {service.vendor.profile.name})")
    else:
        what = (f"{len(service.emu.servers)} server(s): "
                f"{', '.join(list(service.emu.servers)[:5])}"
                + (" ..." if len(service.emu.servers) > 5 else ""))
    print(f"accel-redfish-mock: serving {what} on {httpd.url}/redfish/v1", flush=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        httpd.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        httpd.sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
