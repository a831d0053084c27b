"""Keystone tokens through keystonemiddleware's auth_token (``[keystone_authtoken]``).

Nova calls with its user token plus a service token; auth_token puts the service
token's roles in ``X-Service-Roles``, which the ``service`` policy rule accepts.
"""

from keystonemiddleware import auth_token

from accel_api.auth import PUBLIC_PATHS


class _PublicPaths:
    """Let version discovery through without a token, as other OpenStack APIs do."""

    def __init__(self, app, authed):
        self.app = app
        self.authed = authed

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "/") in PUBLIC_PATHS:
            return self.app(environ, start_response)
        return self.authed(environ, start_response)


def wrap(app, conf):
    authed = auth_token.AuthProtocol(app, {"oslo_config_config": conf})
    return _PublicPaths(app, authed)
