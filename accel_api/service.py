"""What every way of running accel-api shares: its configuration and its database.

``accel-api serve`` (the built-in server) and ``accel_api.wsgi`` (uWSGI, mod_wsgi or any
other WSGI server) both build their configuration with ``configure`` and check the
database with ``prepare_database`` before they make the app.
"""

import logging
import os

from oslo_config import cfg
from oslo_log import log

from accel_api.api.app import load_conf
from accel_api.db import engine as db_engine
from accel_api.db import migrate

LOG = logging.getLogger("accel_api")

#: Where ``accel_api.wsgi`` looks for its configuration (as other OpenStack services'
#: WSGI modules do: ``OS_<SERVICE>_CONFIG_DIR`` and ``OS_<SERVICE>_CONFIG_FILES``).
CONFIG_DIR_ENV = "OS_ACCEL_API_CONFIG_DIR"
CONFIG_FILES_ENV = "OS_ACCEL_API_CONFIG_FILES"
DEFAULT_CONFIG_DIR = "/etc/accel-api"
DEFAULT_CONFIG_FILE = "accel-api.conf"


class DatabaseNotReady(RuntimeError):
    """The production database has no schema: ``accel-api dbsync`` was not run."""


def configure(config_files=(), overrides=None):
    """accel-api's ConfigOpts from ``config_files`` (in order; later ones win) and
    ``overrides`` ({(group or None, name): value}, as command-line options give them);
    logging is set up from the result."""
    conf = cfg.ConfigOpts()
    log.register_options(conf)
    conf = load_conf(conf=conf)
    args = []
    for path in config_files:
        args += ["--config-file", path]
    conf(args, project="accel-api", default_config_files=[])
    for (group, name), value in (overrides or {}).items():
        if value is not None:
            conf.set_override(name, value, group)
    log.setup(conf, "accel-api")
    return conf


def config_files_from_env(environ=None):
    """The files ``accel_api.wsgi`` reads: ``$OS_ACCEL_API_CONFIG_FILES`` (separated by
    ``;``, relative to ``$OS_ACCEL_API_CONFIG_DIR``, default ``/etc/accel-api``), else
    ``accel-api.conf`` there when it exists (else the embedded defaults)."""
    environ = os.environ if environ is None else environ
    directory = environ.get(CONFIG_DIR_ENV, DEFAULT_CONFIG_DIR)
    named = [p.strip() for p in environ.get(CONFIG_FILES_ENV, "").split(";") if p.strip()]
    if named:
        files = [os.path.join(directory, p) for p in named]
        missing = [p for p in files if not os.path.isfile(p)]
        if missing:
            raise FileNotFoundError(f"{CONFIG_FILES_ENV}: no such file: {', '.join(missing)}")
        return files
    default = os.path.join(directory, DEFAULT_CONFIG_FILE)
    return [default] if os.path.isfile(default) else []


def database_url(conf):
    return conf.database.connection or db_engine.default_url(conf.state_dir)


def dbsync(conf):
    url = database_url(conf)
    migrate.upgrade(url)
    LOG.info("database schema at %s", migrate.current(url))


def prepare_database(conf):
    """The embedded SQLite database gets its schema on first start; a production one
    (``[database] connection``) must have been made by ``accel-api dbsync``."""
    if not conf.database.connection:
        dbsync(conf)
        return
    if migrate.current(conf.database.connection) is None:
        raise DatabaseNotReady("database is empty: run 'accel-api dbsync' first")
