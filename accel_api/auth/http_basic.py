"""HTTP basic auth against an htpasswd file with bcrypt hashes, as Ironic standalone.

Users map to a project and roles through ``[http_basic] user_projects``/``user_roles``;
unlisted users get ``default_project``/``default_roles``. The file is re-read when
its modification time changes, so users can be added without a restart.
"""

import base64
import json
import os
import threading

import bcrypt

from accel_api.auth import IDENTITY_KEYS, PUBLIC_PATHS


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


class BasicAuthMiddleware:
    def __init__(self, app, conf):
        self.app = app
        self.conf = conf.http_basic
        if not self.conf.auth_file or not os.path.isfile(self.conf.auth_file):
            raise ValueError(
                f"[http_basic] auth_file {self.conf.auth_file!r} is not a readable file")
        self._lock = threading.Lock()
        self._mtime = None
        self._users = {}

    def users(self):
        mtime = os.stat(self.conf.auth_file).st_mtime_ns
        with self._lock:
            if mtime != self._mtime:
                self._users = _read_htpasswd(self.conf.auth_file)
                self._mtime = mtime
            return self._users

    def _deny(self, start_response, message):
        body = json.dumps({"error_message": json.dumps(
            {"faultstring": message, "faultcode": "Client", "debuginfo": None})}).encode()
        start_response("401 Unauthorized", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
            ("WWW-Authenticate", 'Basic realm="accel-api"')])
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
        hashed = self.users().get(user)
        if hashed is None or not bcrypt.checkpw(password.encode(), hashed):
            return self._deny(start_response, "Invalid username or password")
        roles = self.conf.user_roles.get(user)
        roles = roles.split("+") if roles else list(self.conf.default_roles)
        environ["HTTP_X_USER_ID"] = user
        environ["HTTP_X_PROJECT_ID"] = self.conf.user_projects.get(
            user, self.conf.default_project)
        environ["HTTP_X_ROLES"] = ",".join(roles)
        return self.app(environ, start_response)
