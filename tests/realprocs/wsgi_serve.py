"""Serve a WSGI application (given as ``module:attribute``) with cheroot on loopback.

Used by the launchers of services whose standalone servers are gone (Placement,
Glance, Keystone, nova-api): ``python -m tests.realprocs.wsgi_serve placement.wsgi:init_application
--factory 127.0.0.1 8778``. The parent sets the service's config environment.
"""

import argparse
import importlib
import os
import signal
import sys

from cheroot import wsgi


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("target", help="module:attribute")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--factory", action="store_true", help="call the attribute to get the app")
    p.add_argument("--threads", type=int, default=8)
    args = p.parse_args(argv)
    # Keystone's and Nova's apps parse sys.argv with oslo.config at import: leave them
    # none of ours (their config comes from the environment the parent set).
    sys.argv = sys.argv[:1]
    module, _, attr = args.target.partition(":")
    app = getattr(importlib.import_module(module), attr)
    if args.factory:
        app = app()
    server = wsgi.Server((args.host, args.port), app, numthreads=args.threads)
    # SIGTERM ends the process at once: cheroot's stop() waits for its worker threads
    # (clients' keep-alive connections) and the apps' own threads (nova's, keystone's)
    # keep the interpreter alive, so a graceful stop took the launcher's whole timeout.
    # Nothing is lost: the test services hold no state outside their databases.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    try:
        server.safe_start()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
