"""HTTP basic auth against an htpasswd file with bcrypt hashes, as Ironic standalone.

Users map to a project and roles through ``[http_basic] user_projects``/``user_roles``;
unlisted users get ``default_project``/``default_roles``, but for agent users
(``[agent_auth] user_prefix`` + hostname), who get ``[agent_auth] http_basic_roles``.
The file is re-read when its modification time changes, so users can be added without
a restart.

bcrypt is slow on purpose (about 2 ms per check at ``htpasswd -B``'s cost 5, 250 ms at
cost 12), far more than a claim call costs; Nova makes several calls per instance. So a
successful check is remembered for ``[http_basic] verified_cache_seconds``
(``VerifiedCredentials``): never the password, only an HMAC of user and password under
a random key of this process, tied to the hash it matched. Failed checks are never
remembered (guessing still pays bcrypt each time), and a changed file forgets all.
"""

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time

import bcrypt

from accel_api.api.responses import error_body
from accel_api.auth import AGENT_HOST, IDENTITY_KEYS, PUBLIC_PATHS, agent_host_of

LOG = logging.getLogger(__name__)
#: bcrypt looks at no more than this many bytes of a password.
MAX_PASSWORD_BYTES = 72


def _read_htpasswd(path):
    users = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or ":" not in line:
                continue
            user, hashed = line.split(":", 1)
            if hashed.startswith(("$2y$", "$2b$", "$2a$")):
                users[user] = hashed.encode()
    return users


class VerifiedCredentials:
    """Credentials bcrypt accepted lately: HMAC(user, password) -> (hash, expiry)."""

    MAX = 4096

    def __init__(self, seconds):
        self.seconds = seconds
        self._key = secrets.token_bytes(32)
        self._entries = {}
        self._lock = threading.Lock()

    def _digest(self, user, password):
        name = user.encode()
        return hmac.digest(self._key, len(name).to_bytes(4, "big") + name + password.encode(),
                           hashlib.sha256)

    def check(self, user, password, hashed):
        """True when ``password`` is ``user``'s: remembered, or bcrypt says so now."""
        digest = self._digest(user, password) if self.seconds else None
        if digest is not None:
            found = self._entries.get(digest)
            if found is not None and found[0] == hashed and time.monotonic() < found[1]:
                return True
        try:
            if not bcrypt.checkpw(password.encode(), hashed):
                return False
        except ValueError as exc:  # a damaged hash in the file: nobody gets in with it
            LOG.error("[http_basic] auth_file: the hash of user %r is unusable: %s", user, exc)
            return False
        if digest is not None:
            with self._lock:
                if len(self._entries) >= self.MAX:
                    self._entries.clear()
                self._entries[digest] = (hashed, time.monotonic() + self.seconds)
        return True

    def forget(self):
        with self._lock:
            self._entries.clear()


class BasicAuthMiddleware:
    def __init__(self, app, conf):
        self.app = app
        self.conf = conf.http_basic
        self.agents = conf
        if not self.conf.auth_file or not os.path.isfile(self.conf.auth_file):
            raise ValueError(
                f"[http_basic] auth_file {self.conf.auth_file!r} is not a readable file")
        self._lock = threading.Lock()
        self._mtime = None
        self._users = {}
        self.verified = VerifiedCredentials(self.conf.verified_cache_seconds)

    def users(self):
        mtime = os.stat(self.conf.auth_file).st_mtime_ns
        with self._lock:
            if mtime != self._mtime:
                self._users = _read_htpasswd(self.conf.auth_file)
                self._mtime = mtime
                self.verified.forget()
            return self._users

    def _deny(self, start_response, message, status="401 Unauthorized"):
        body = json.dumps(error_body(message, int(status[:3]))).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        if status.startswith("401"):
            headers.append(("WWW-Authenticate", 'Basic realm="accel-api"'))
        start_response(status, headers)
        return [body]

    def __call__(self, environ, start_response):
        for key in IDENTITY_KEYS:
            environ.pop(key, None)
        header = environ.get("HTTP_AUTHORIZATION", "")
        if not header:
            if environ.get("PATH_INFO", "/") in PUBLIC_PATHS:
                return self.app(environ, start_response)
            return self._deny(start_response, "Authorization required")
        try:
            scheme, token = header.split(" ", 1)
            if scheme.lower() != "basic":
                raise ValueError
            user, password = base64.b64decode(token.strip(), validate=True).decode().split(
                ":", 1)
        except (ValueError, UnicodeDecodeError):
            return self._deny(start_response, "Malformed basic Authorization header")
        if len(password.encode()) > MAX_PASSWORD_BYTES:
            return self._deny(start_response, f"Passwords longer than {MAX_PASSWORD_BYTES} "
                                              "bytes cannot be checked (bcrypt)")
        try:
            users = self.users()
        except (OSError, UnicodeDecodeError) as exc:
            LOG.error("[http_basic] auth_file %s cannot be read: %s", self.conf.auth_file,
                      exc)
            return self._deny(start_response, "Authentication is unavailable: accel-api "
                              "cannot read its user file; see its log",
                              "503 Service Unavailable")
        hashed = users.get(user)
        if hashed is None or not self.verified.check(user, password, hashed):
            return self._deny(start_response, "Invalid username or password")
        roles = self.conf.user_roles.get(user)
        host = agent_host_of(self.agents, user)
        if roles:
            roles = roles.split("+")
        elif host is not None:  # an agent user: the agent roles, never the defaults
            roles = list(self.agents.agent_auth.http_basic_roles)
        else:
            roles = list(self.conf.default_roles)
        if host is not None:
            environ[AGENT_HOST] = host
        environ["HTTP_X_USER_ID"] = user
        environ["HTTP_X_USER_NAME"] = user
        environ["HTTP_X_PROJECT_ID"] = self.conf.user_projects.get(
            user, self.conf.default_project)
        environ["HTTP_X_ROLES"] = ",".join(roles)
        return self.app(environ, start_response)
