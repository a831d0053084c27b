"""``accel-api serve``'s server: granian's worker processes around the gateway.

granian (Rust: hyper on tokio) binds the socket in the parent process, forks ``[api]
workers`` workers that accept on it, and keeps every connection in Rust: idle keep-alive
connections and clients sending their headers slowly hold no Python thread and are
closed after ``[api] client_socket_timeout``; connections are kept even over the
workers (``accel_api/cmd/balancing.py``). Each worker's ``gateway.Gateway`` reads
bodies on its event loop and runs the WSGI app on ``[api] threads`` threads (see
``accel_api/cmd/gateway.py``). SIGTERM or SIGINT to the parent: the workers stop
accepting, finish their requests and exit (killed after
``[api] graceful_shutdown_timeout``).
"""

import logging
import resource

from accel_api.cmd import balancing, gateway

LOG = logging.getLogger(__name__)

#: granian's own log records go to accel-api's (oslo.log) handlers.
_LOG_CONFIG = {"loggers": {
    "_granian": {"handlers": [], "level": "WARNING", "propagate": True},
    "granian.access": {"handlers": [], "level": "WARNING", "propagate": True},
}}


def raise_open_files_limit():
    """Soft RLIMIT_NOFILE up to the hard limit: each client connection is a file
    descriptor, and a soft limit of 1024 (systemd's default) is reached long before the
    server is busy."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 1 << 20)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError) as exc:
            LOG.warning("cannot raise the open files limit from %d: %s", soft, exc)
            return soft
    return hard


def make_gateway(conf, make_api_and_app, shares=None):
    """The gateway around a new app (one per worker process: pools are not forked)."""
    api, app = make_api_and_app(conf, background=True)
    connections = None
    if shares is not None:
        connections = balancing.ConnectionTracker(shares, conf.api.client_socket_timeout)
    return gateway.Gateway(app, api.body_limit, threads=conf.api.threads,
                           body_timeout=conf.api.client_body_timeout,
                           body_min_rate=conf.api.client_body_min_rate,
                           multiprocess=conf.api.workers > 1, connections=connections,
                           on_stop=api.stop_background)


def _process_name():
    """``accel-api`` in ps/top when setproctitle is there (granian[pname]); granian
    refuses a name without it, and a missing nicety must not stop the service."""
    try:
        import setproctitle  # noqa: F401
    except ImportError:
        return None
    return "accel-api"


def make_server(conf):
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.server import Server

    return Server(
        "accel_api.wsgi:application",  # a name only: serve() passes the loader
        address=conf.api.host_ip, port=conf.api.port, interface=Interfaces.RSGI,
        workers=conf.api.workers, http=HTTPModes.http1, websockets=False,
        backlog=conf.api.backlog, backpressure=conf.api.max_connections,
        http1_settings=HTTP1Settings(
            header_read_timeout=conf.api.client_socket_timeout * 1000, keep_alive=True),
        log_dictconfig=_LOG_CONFIG, log_level="warning",
        respawn_failed_workers=True, process_name=_process_name(),
        workers_kill_timeout=conf.api.graceful_shutdown_timeout or None)


def serve(conf, make_api_and_app):
    """Serve until SIGTERM/SIGINT; ``make_api_and_app(conf)`` runs in each worker."""
    raise_open_files_limit()
    server = make_server(conf)
    shares = None
    if conf.api.workers > 1 and conf.api.balance_connections:
        # made before the workers fork, so that they share it
        shares = balancing.ConnectionShares(conf.api.workers)
    server.serve(target_loader=lambda: make_gateway(conf, make_api_and_app, shares),
                 wrap_loader=False)
