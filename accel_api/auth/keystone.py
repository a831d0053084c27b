"""Keystone tokens through keystonemiddleware's auth_token (``[keystone_authtoken]``).

Nova calls with its user token plus a service token; auth_token puts the service
token's roles in ``X-Service-Roles``, which the ``service`` policy rule accepts.

auth_token answers in its own formats (its JSON for 401, HTML when Keystone is down)
and lets keystoneauth's exceptions escape when its settings or the identity service
are wrong; ``guard.JsonErrors`` around it turns both into Cyborg's JSON errors, with
the reasons below.
"""

from keystonemiddleware import auth_token

from accel_api.api import guard
from accel_api.auth import PUBLIC_PATHS

UNREACHABLE = ("Keystone (the identity service) cannot be reached, so the token could not "
               "be validated; try again later")
MISCONFIGURED = ("The token could not be validated: the identity service answered "
                 "unexpectedly or accel-api's [keystone_authtoken] settings are wrong; "
                 "see accel-api's log")


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
    return _PublicPaths(app, guard.JsonErrors(authed, reasons={503: UNREACHABLE},
                                              failure_reason=MISCONFIGURED))
