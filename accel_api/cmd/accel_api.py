"""``accel-api``: ``serve`` (default) and ``dbsync``.

``accel-api`` alone serves on 127.0.0.1:6666 with SQLite under the state directory
(``$ACCEL_STATE_DIR`` or ``~/.local/state/accel-api``), creating the schema on first
start. Production: ``--config-file`` with ``[database] connection``, run
``accel-api dbsync`` once, then ``accel-api serve`` with ``[api] workers``. The server is
granian (``accel_api/cmd/serving.py``); ``accel_api.wsgi`` serves the same app under
uWSGI or mod_wsgi instead.
"""

import argparse
import logging
import sys

from accel_api import service
from accel_api.api.app import make_api_and_app

LOG = logging.getLogger("accel_api")


def _parse(argv):
    parser = argparse.ArgumentParser(prog="accel-api", description=__doc__.split("\n")[0])
    parser.add_argument("command", nargs="?", default="serve",
                        choices=["serve", "dbsync", "upgrade"])
    parser.add_argument("--config-file", action="append", default=[])
    parser.add_argument("--host", help="listen address ([api] host_ip)")
    parser.add_argument("--port", type=int, help="listen port ([api] port)")
    parser.add_argument("--workers", type=int, help="worker processes ([api] workers)")
    parser.add_argument("--state-dir", help="state directory (embedded SQLite lives here)")
    parser.add_argument("--database", help="SQLAlchemy URL ([database] connection)")
    parser.add_argument("--auth", choices=["noauth", "http_basic", "keystone"],
                        help="[api] auth_strategy")
    args = parser.parse_args(argv)
    conf = service.configure(args.config_file, {
        ("api", "host_ip"): args.host, ("api", "port"): args.port,
        ("api", "workers"): args.workers, (None, "state_dir"): args.state_dir,
        ("database", "connection"): args.database, ("api", "auth_strategy"): args.auth})
    return args, conf


def serve(conf):
    try:
        service.prepare_database(conf)
    except service.DatabaseNotReady as exc:
        LOG.error("%s", exc)
        return 2
    from accel_api.cmd import serving

    LOG.info("accel-api listening on http://%s:%d/ (%d worker(s), auth=%s)",
             conf.api.host_ip, conf.api.port, conf.api.workers, conf.api.auth_strategy)
    serving.serve(conf, make_api_and_app)
    return 0


def main(argv=None):
    args, conf = _parse(sys.argv[1:] if argv is None else argv)
    if args.command in ("dbsync", "upgrade"):
        service.dbsync(conf)
        return 0
    return serve(conf)


if __name__ == "__main__":
    sys.exit(main())
