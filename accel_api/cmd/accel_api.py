"""``accel-api``: ``serve`` (default) and ``dbsync``.

``accel-api`` alone serves on 127.0.0.1:6666 with SQLite under the state directory
(``$ACCEL_STATE_DIR`` or ``~/.local/state/accel-api``), creating the schema on first
start. Production: ``--config-file`` with ``[database] connection``, run
``accel-api dbsync`` once, then ``accel-api serve`` with ``[api] workers``.
"""

import argparse
import logging
import os
import signal
import sys
import threading

from oslo_config import cfg
from oslo_log import log

from accel_api.api.app import load_conf, make_app
from accel_api.db import engine as db_engine
from accel_api.db import migrate

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
    conf = cfg.ConfigOpts()
    log.register_options(conf)
    conf = load_conf(conf=conf)
    conf_args = []
    for path in args.config_file:
        conf_args += ["--config-file", path]
    conf(conf_args, project="accel-api", default_config_files=[] if not conf_args else None)
    for value, name, group in ((args.host, "host_ip", "api"), (args.port, "port", "api"),
                               (args.workers, "workers", "api"),
                               (args.state_dir, "state_dir", None),
                               (args.database, "connection", "database"),
                               (args.auth, "auth_strategy", "api")):
        if value is not None:
            conf.set_override(name, value, group)
    log.setup(conf, "accel-api")
    return args, conf


def database_url(conf):
    return conf.database.connection or db_engine.default_url(conf.state_dir)


def dbsync(conf):
    url = database_url(conf)
    migrate.upgrade(url)
    LOG.info("database schema at %s", migrate.current(url))


def _run_worker(conf, shares=None, slot=None):
    from accel_api.cmd import serving

    app = make_app(conf, background=True)
    server = serving.make_server(conf, app, shares, slot)

    def _stop(signum, frame):
        # stop() joins the serving loop: never call it on the loop's own thread.
        LOG.info("worker %d: SIGTERM, finishing in-flight requests", os.getpid())
        threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        server.safe_start()
    finally:
        server.stop()


def serve(conf):
    if not conf.database.connection:
        dbsync(conf)  # embedded default: one command to start
    else:
        current = migrate.current(conf.database.connection)
        if current is None:
            LOG.error("database is empty: run 'accel-api dbsync' first")
            return 2
    LOG.info("accel-api listening on http://%s:%d/ (%d worker(s), auth=%s)",
             conf.api.host_ip, conf.api.port, conf.api.workers, conf.api.auth_strategy)
    if conf.api.workers == 1:
        _run_worker(conf)
        return 0
    shares = None
    if conf.api.balance_connections:
        from accel_api.cmd import serving

        shares = serving.ConnectionShares(conf.api.workers)
    children = []
    for slot in range(conf.api.workers):
        pid = os.fork()
        if pid == 0:
            try:
                _run_worker(conf, shares, slot)
            finally:
                os._exit(0)
        children.append(pid)

    def _forward(signum, frame):
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, _forward)
    signal.signal(signal.SIGINT, _forward)
    for pid in children:
        while True:
            try:
                os.waitpid(pid, 0)
                break
            except ChildProcessError:
                break
            except InterruptedError:
                continue
    return 0


def main(argv=None):
    args, conf = _parse(sys.argv[1:] if argv is None else argv)
    if args.command in ("dbsync", "upgrade"):
        dbsync(conf)
        return 0
    return serve(conf)


if __name__ == "__main__":
    sys.exit(main())
