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
from accel_api.auth import AGENT_HOST, PUBLIC_PATHS, agent_host_of

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
        environ.pop(AGENT_HOST, None)  # auth_token only drops the headers it sets
        if environ.get("PATH_INFO", "/") in PUBLIC_PATHS:
            return self.app(environ, start_response)
        return self.authed(environ, start_response)


class _AgentHost:
    """After auth_token: a user of ``[agent_auth] user_domain`` named
    ``<user_prefix><hostname>`` is that host's agent principal."""

    def __init__(self, app, conf):
        self.app = app
        self.conf = conf

    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_USER_DOMAIN_NAME") == self.conf.agent_auth.user_domain:
            host = agent_host_of(self.conf, environ.get("HTTP_X_USER_NAME"))
            if host is not None:
                environ[AGENT_HOST] = host
        return self.app(environ, start_response)


def wrap(app, conf):
    authed = auth_token.AuthProtocol(_AgentHost(app, conf), {"oslo_config_config": conf})
    return _PublicPaths(app, guard.JsonErrors(authed, reasons={503: UNREACHABLE},
                                              failure_reason=MISCONFIGURED))
