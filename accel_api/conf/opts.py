"""All accel-api options in one place; ``list_opts`` feeds oslo-config-generator."""

import os

from oslo_config import cfg


def default_state_dir():
    """$ACCEL_STATE_DIR, else ~/.local/state/accel-api (XDG state home)."""
    env = os.environ.get("ACCEL_STATE_DIR")
    if env:
        return env
    base = os.environ.get("XDG_STATE_HOME") or os.path.join("~", ".local", "state")
    return os.path.join(base, "accel-api")


api_opts = [
    cfg.StrOpt("host_ip", default="127.0.0.1",
               help="Address the API listens on. The default serves loopback only."),
    cfg.PortOpt("port", default=6666, help="TCP port the API listens on (Cyborg's port)."),
    cfg.IntOpt("workers", default=1, min=1, max=256,
               help="Worker processes. Each runs a cheroot server on the shared socket."),
    cfg.IntOpt("threads", default=16, min=1, max=1024, help="Threads per worker process."),
    cfg.IntOpt("keep_alive_connections", default=256, min=0,
               help="Idle keep-alive client connections a worker keeps open (cheroot's "
                    "default is 10: past it every response closes its connection, so busy "
                    "clients such as nova-compute reconnect for each request). 0: no "
                    "limit."),
    cfg.IntOpt("max_request_body_size", default=1024 * 1024, min=1024,
               help="Largest request body in bytes (inventory documents included); "
                    "larger bodies get 413."),
    cfg.IntOpt("max_inventory_size", default=16 * 1024 * 1024, min=1024,
               help="Largest inventory document PUT /v2/hosts/{hostname}/inventory accepts."),
    cfg.StrOpt("auth_strategy", default="noauth",
               choices=[("noauth", "no authentication; development only"),
                        ("http_basic", "HTTP basic auth against an htpasswd file (bcrypt)"),
                        ("keystone", "Keystone tokens via keystonemiddleware")],
               help="How callers are authenticated."),
    cfg.StrOpt("public_endpoint",
               help="Base URL used in links; defaults to the request's host URL."),
    cfg.IntOpt("client_socket_timeout", default=10, min=1,
               help="Seconds an idle client connection (keep-alive) is kept open; also "
                    "bounds how long a graceful shutdown waits for idle clients."),
    cfg.IntOpt("graceful_shutdown_timeout", default=30, min=0,
               help="Seconds a worker waits for in-flight requests on SIGTERM."),
]

database_opts = [
    cfg.StrOpt("connection", secret=True,
               help="SQLAlchemy URL. Default: SQLite file accel-api.sqlite in state_dir."),
    cfg.IntOpt("pool_size", default=10, min=1, help="Connection pool size (not SQLite)."),
    cfg.IntOpt("max_overflow", default=20, min=0, help="Pool overflow (not SQLite)."),
    cfg.IntOpt("retries", default=10, min=1,
               help="Attempts of a claim transaction that hit a deadlock or a lock timeout."),
]

default_opts = [
    cfg.StrOpt("state_dir", default=default_state_dir(),
               sample_default="~/.local/state/accel-api",
               help="Directory for the embedded SQLite database and other state."),
]

http_basic_opts = [
    cfg.StrOpt("auth_file", help="htpasswd file with bcrypt entries (``htpasswd -B``)."),
    cfg.DictOpt("user_projects", default={},
                help="Project of each user (user:project). Users not listed get "
                     "default_project."),
    cfg.DictOpt("user_roles", default={},
                help="Roles of each user, separated by '+' (user:reader+member). Users not "
                     "listed get default_roles."),
    cfg.StrOpt("default_project", default="admin", help="Project of unlisted users."),
    cfg.ListOpt("default_roles", default=["admin", "service"],
                help="Roles of unlisted users (as Ironic standalone: every user is admin)."),
]

claims_opts = [
    cfg.StrOpt("programmer", default="none",
               help="Programmer (stevedore namespace accel_api.programmers) a bind asks to "
                    "program the deployable when the profile group has accel:bitstream_id "
                    "or accel:function_id. 'none' binds requests that need no programming "
                    "and refuses the others with a clear error."),
]


def register_opts(conf):
    conf.register_opts(default_opts)
    conf.register_opts(api_opts, group="api")
    conf.register_opts(database_opts, group="database")
    conf.register_opts(http_basic_opts, group="http_basic")
    conf.register_opts(claims_opts, group="claims")


def list_opts():
    """Options by group for oslo-config-generator (entry point ``accel_api``)."""
    return [
        ("DEFAULT", default_opts),
        ("api", api_opts),
        ("database", database_opts),
        ("http_basic", http_basic_opts),
        ("claims", claims_opts),
    ]
