"""Authentication strategies: noauth, http_basic (htpasswd, bcrypt), keystone.

Each wraps the WSGI app and leaves the caller's identity in keystonemiddleware's
``X-User-Id``/``X-Project-Id``/``X-Roles``/``X-Service-Roles`` headers, which
``accel_api.context`` reads; identity headers sent by the client are always dropped
first, so they can never be forged.

An agent is the principal of its host: a user named ``[agent_auth] user_prefix`` +
hostname (``agent_host_of``); the strategy puts that host in ``X-Accel-Agent-Host``,
which the ``host_agent`` policy rule compares with the host a request is about.
"""

import logging

LOG = logging.getLogger(__name__)
#: The host whose agent the caller is (``agent_host`` in policy), or ``*`` (noauth).
AGENT_HOST = "HTTP_X_ACCEL_AGENT_HOST"
IDENTITY_KEYS = ("HTTP_X_USER_ID", "HTTP_X_PROJECT_ID", "HTTP_X_ROLES",
                 "HTTP_X_SERVICE_ROLES", "HTTP_X_IDENTITY_STATUS", "HTTP_X_USER_NAME",
                 "HTTP_X_USER_DOMAIN_NAME", AGENT_HOST)
#: Paths anyone may read (version discovery), as Cyborg and Ironic allow.
PUBLIC_PATHS = ("/", "/v2", "/v2/")


def agent_host_of(conf, user_name):
    """The host a user is the agent principal of (by name), or None."""
    prefix = conf.agent_auth.user_prefix
    if prefix and user_name and user_name.startswith(prefix) and len(user_name) > len(prefix):
        return user_name[len(prefix):]
    return None


def wrap(app, conf):
    strategy = conf.api.auth_strategy
    if strategy == "noauth":
        from accel_api.auth import noauth

        return noauth.NoAuthMiddleware(app)
    if strategy == "http_basic":
        from accel_api.auth import http_basic

        return http_basic.BasicAuthMiddleware(app, conf)
    if strategy == "keystone":
        from accel_api.auth import keystone

        return keystone.wrap(app, conf)
    raise ValueError(f"unknown auth_strategy {strategy}")
