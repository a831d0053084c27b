"""noauth: every caller is admin of project ``admin`` and every host's agent.
Development only."""

import logging

from accel_api.auth import AGENT_HOST, IDENTITY_KEYS

LOG = logging.getLogger(__name__)
WARNING = ("accel-api runs with auth_strategy=noauth: EVERY CALLER IS ADMIN. "
           "Use http_basic or keystone anywhere but a development machine.")


class NoAuthMiddleware:
    def __init__(self, app):
        self.app = app
        LOG.warning(WARNING)

    def __call__(self, environ, start_response):
        for key in IDENTITY_KEYS:
            environ.pop(key, None)
        environ["HTTP_X_USER_ID"] = "noauth"
        environ["HTTP_X_PROJECT_ID"] = "admin"
        environ["HTTP_X_ROLES"] = "admin,service,accel_agent"
        environ[AGENT_HOST] = "*"
        return self.app(environ, start_response)
