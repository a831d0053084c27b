"""accel-api as a plain WSGI application, for uWSGI, mod_wsgi or any WSGI server.

``accel_api.wsgi:application`` is configured as other OpenStack services' WSGI modules
are: from ``$OS_ACCEL_API_CONFIG_FILES`` (file names separated by ``;``, relative to
``$OS_ACCEL_API_CONFIG_DIR``, default ``/etc/accel-api``), else from
``/etc/accel-api/accel-api.conf`` when it exists, else with the embedded defaults (SQLite
in the state directory, schema made on first start). A production database must have
been made with ``accel-api dbsync`` first; the module refuses to load otherwise.

The hosting server brings its own workers, threads and timeouts; docs/api.rst has
uWSGI and Apache mod_wsgi examples. ``accel-api serve`` runs the built-in server instead.
"""

from accel_api import service
from accel_api.api.app import make_app


def init_application(environ=None):
    """The WSGI app, configured from the environment (see the module's docstring)."""
    conf = service.configure(service.config_files_from_env(environ))
    service.prepare_database(conf)
    return make_app(conf)


application = init_application()
