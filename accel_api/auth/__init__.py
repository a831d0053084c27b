"""Authentication strategies: noauth, http_basic (htpasswd, bcrypt), keystone.

Each wraps the WSGI app and leaves the caller's identity in keystonemiddleware's
``X-User-Id``/``X-Project-Id``/``X-Roles``/``X-Service-Roles`` headers, which
``accel_api.context`` reads; identity headers sent by the client are always dropped
first, so they can never be forged.
"""

import logging

LOG = logging.getLogger(__name__)
IDENTITY_KEYS = ("HTTP_X_USER_ID", "HTTP_X_PROJECT_ID", "HTTP_X_ROLES",
                 "HTTP_X_SERVICE_ROLES", "HTTP_X_IDENTITY_STATUS")
#: Paths anyone may read (version discovery), as Cyborg and Ironic allow.
PUBLIC_PATHS = ("/", "/v2", "/v2/")


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
