"""Who is calling: built by the auth middleware from the request's identity headers."""

import dataclasses


@dataclasses.dataclass
class RequestContext:
    user_id: str | None
    project_id: str | None
    roles: list
    service_roles: list = dataclasses.field(default_factory=list)
    #: The host whose agent the caller is (``*``: any, noauth), from the auth layer.
    agent_host: str | None = None

    @property
    def is_admin(self):
        return "admin" in self.roles

    def creds(self):
        """The credentials dict oslo.policy checks."""
        creds = {"user_id": self.user_id, "project_id": self.project_id,
                 "roles": list(self.roles), "service_roles": list(self.service_roles)}
        if self.agent_host:  # absent, not None: a check on it is then false
            creds["agent_host"] = self.agent_host
        return creds

    @classmethod
    def from_environ(cls, environ):
        """From the X-* headers the auth layer set (keystonemiddleware's names)."""

        def _list(name):
            return [r.strip() for r in environ.get(name, "").split(",") if r.strip()]

        return cls(user_id=environ.get("HTTP_X_USER_ID"),
                   project_id=environ.get("HTTP_X_PROJECT_ID"),
                   roles=_list("HTTP_X_ROLES"), service_roles=_list("HTTP_X_SERVICE_ROLES"),
                   agent_host=environ.get("HTTP_X_ACCEL_AGENT_HOST") or None)
