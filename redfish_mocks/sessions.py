"""SessionService (X-Auth-Token sessions) and HTTP Basic authentication."""

from __future__ import annotations

import base64
import hmac
import itertools
import json
import secrets
import threading

from redfish_mocks import odata
from redfish_mocks.httpd import json_response, redfish_error

V1 = "/redfish/v1"

#: Paths anyone may read (Redfish spec: the service root, metadata and the OData document).
PUBLIC = ("/redfish", "/redfish/v1", "/redfish/v1/", "/redfish/v1/$metadata",
          "/redfish/v1/odata")


class Sessions:
    def __init__(self, username, password, timeout=1800):
        self.username = username
        self.password = password
        self.timeout = timeout
        self.by_token = {}
        self.by_id = {}
        self._ids = itertools.count(1)
        self.lock = threading.Lock()

    def check_password(self, username, password):
        return hmac.compare_digest(str(username), self.username) and hmac.compare_digest(
            str(password), self.password)

    def authenticated(self, headers):
        """True when the request carries a live session token or valid Basic credentials."""
        token = headers.get("X-Auth-Token")
        if token:
            return token in self.by_token
        auth = headers.get("Authorization") or ""
        if auth[:6].lower() == "basic ":
            try:
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            return self.check_password(user, pw)
        return False

    def login(self, body):
        """The answer to ``POST /redfish/v1/SessionService/Sessions`` with ``body``."""
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            return redfish_error(400, "the request body must be a JSON object with UserName "
                                 "and Password", "Base.1.19.MalformedJSON")
        if not self.check_password(doc.get("UserName", ""), doc.get("Password", "")):
            return redfish_error(401, "invalid user name or password",
                                 "Base.1.19.InsufficientPrivilege")
        sid, token = self.create(str(doc["UserName"]))
        return json_response(201, self.session(sid),
                             [("X-Auth-Token", token),
                              ("Location", f"{V1}/SessionService/Sessions/{sid}")])

    def create(self, username):
        with self.lock:
            sid = str(next(self._ids))
            token = secrets.token_hex(16)
            self.by_token[token] = sid
            self.by_id[sid] = (token, username)
        return sid, token

    def delete(self, sid):
        with self.lock:
            entry = self.by_id.pop(sid, None)
            if entry:
                self.by_token.pop(entry[0], None)
            return entry is not None

    def service(self):
        return {
            "@odata.type": odata.odata_type("SessionService"),
            "@odata.id": f"{V1}/SessionService",
            "Id": "SessionService",
            "Name": "Session service",
            "ServiceEnabled": True,
            "SessionTimeout": self.timeout,
            "Status": {"State": "Enabled", "Health": "OK"},
            "Sessions": {"@odata.id": f"{V1}/SessionService/Sessions"},
        }

    def collection(self):
        with self.lock:
            ids = list(self.by_id)
        return {
            "@odata.type": odata.odata_type("SessionCollection"),
            "@odata.id": f"{V1}/SessionService/Sessions",
            "Name": "Sessions",
            "Members": [{"@odata.id": f"{V1}/SessionService/Sessions/{i}"} for i in ids],
            "Members@odata.count": len(ids),
        }

    def session(self, sid):
        entry = self.by_id.get(sid)
        if entry is None:
            return None
        return {
            "@odata.type": odata.odata_type("Session"),
            "@odata.id": f"{V1}/SessionService/Sessions/{sid}",
            "Id": sid,
            "Name": f"Session {sid}",
            "UserName": entry[1],
        }
