"""Static mode: serve a DMTF mockup directory read-only (``<dir>/<path>/index.json``).

The directory is an argument (``--mockup DIR``); nothing is written to it and every
method but GET/HEAD answers 405.
"""

from __future__ import annotations

import os
import urllib.parse

from redfish_mocks import sessions as sessions_mod
from redfish_mocks.httpd import Response, redfish_error


class MockupError(ValueError):
    """The directory is not a Redfish mockup."""


class StaticService:
    def __init__(self, directory, username="admin", password="password"):
        self.root = os.path.realpath(directory)
        if not os.path.isfile(os.path.join(self.root, "index.json")):
            raise MockupError(f"{directory} is not a Redfish mockup (no index.json at its top; "
                              "give the folder that maps to /redfish/v1)")
        self.sessions = sessions_mod.Sessions(username, password)
        self._cache = {}

    def handle(self, method, raw_path, headers, body):
        path = urllib.parse.unquote(urllib.parse.urlsplit(raw_path).path).rstrip("/")
        if method not in ("GET", "HEAD"):
            return redfish_error(405, "this is a read-only mockup",
                                 "Base.1.19.OperationNotAllowed", [("Allow", "GET, HEAD")])
        if path not in sessions_mod.PUBLIC and not self.sessions.authenticated(headers):
            return redfish_error(401, "authentication required (Basic)",
                                 "Base.1.19.NoValidSession",
                                 [("WWW-Authenticate", 'Basic realm="accel-redfish-mock"')])
        if path == "/redfish":
            return Response(200, b'{"v1":"/redfish/v1/"}',
                            [("Content-Type", "application/json; charset=utf-8")])
        if path != "/redfish/v1" and not path.startswith("/redfish/v1/"):
            return redfish_error(404, f"{path} not found", "Base.1.19.ResourceMissingAtURI")
        cached = self._cache.get(path)
        if cached is None:
            cached = self._load(path[len("/redfish/v1"):].lstrip("/"))
            if cached is None:
                return redfish_error(404, f"{path} not found", "Base.1.19.ResourceMissingAtURI")
            self._cache[path] = cached
        return Response(200, cached[1], [("Content-Type", cached[0])])

    def _load(self, rel):
        folder = os.path.realpath(os.path.join(self.root, rel))
        if folder != self.root and not folder.startswith(self.root + os.sep):
            return None  # ../ escapes stay inside the mockup
        for name, ctype in (("index.json", "application/json; charset=utf-8"),
                            ("index.xml", "application/xml")):
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                with open(candidate, "rb") as f:
                    return ctype, f.read()
        return None
