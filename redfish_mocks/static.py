"""Static mode: serve a Redfish mockup or a real BMC's capture read-only, as the BMC would.

The directory (``--mockup DIR``) maps to ``/redfish/v1``, in the layout DMTF's
Redfish-Mockup-Creator writes:

* ``<path>/index.json`` (a resource) or ``<path>/index.xml`` (``$metadata``, CSDL
  schema files such as ``Schemas/Foo_v1.xml``);
* ``<path>`` itself when it is a file (``Registries/Base.1.5.0.json``);
* ``<path>?<query>/index.json``: a page the capture recorded (an iDRAC's
  ``DellSensors?$skip=50``), served as captured for that exact query;
* ``<path>/headers.json`` (optional): the headers the BMC sent with its GET.

What a live service does and a file cannot, this mode does: ``$top``/``$skip``
windows and server-side paging (``page_size``) of every collection (``Members``
arrays, whole or assembled from the captured ``nextLink`` pages), 400/501 for
queries it refuses (see ``paging``), sessions, Basic authentication. The
``@Redfish.Copyright`` annotation that only mockups carry is dropped (DMTF's own
mockup server drops it too; the validator fails a live service that sends it).
Nothing is written to the directory and every other method answers 405.
"""

from __future__ import annotations

import json
import os
import urllib.parse

from redfish_mocks import paging
from redfish_mocks import sessions as sessions_mod
from redfish_mocks.httpd import Response, json_response, redfish_error

V1 = "/redfish/v1"
JSON = "application/json; charset=utf-8"
_TYPES = {".json": JSON, ".xml": "application/xml", ".txt": "text/plain; charset=utf-8"}
#: Headers of a captured headers.json that describe the old connection, not the resource.
_HOP = {"connection", "keep-alive", "content-length", "transfer-encoding", "date",
        "odata-version", "cache-control"}


class MockupError(ValueError):
    """The directory is not a Redfish mockup."""


class _File:
    """One served file: bytes, content type, captured headers, and its JSON once parsed."""

    __slots__ = ("body", "ctype", "headers", "_doc")
    _UNPARSED = object()

    def __init__(self, body, ctype, headers):
        self.body = body
        self.ctype = ctype
        self.headers = headers
        self._doc = self._UNPARSED

    @property
    def doc(self):
        """The JSON document, or None (not JSON, or not valid: then it is served as is)."""
        if self._doc is self._UNPARSED:
            self._doc = None
            if self.ctype == JSON:
                try:
                    self._doc = json.loads(self.body)
                except ValueError:
                    pass
        return self._doc


class StaticService:
    def __init__(self, directory, username="admin", password="password", page_size=None):
        self.root = os.path.realpath(directory)
        if not os.path.isfile(os.path.join(self.root, "index.json")):
            raise MockupError(f"{directory} is not a Redfish mockup (no index.json at its top; "
                              "give the folder that maps to /redfish/v1)")
        if page_size is not None and page_size < 1:
            raise MockupError("the page size must be at least 1")
        self.page_size = page_size
        self.sessions = sessions_mod.Sessions(username, password)
        self._cache = {}

    # -- entry point --------------------------------------------------------------------------
    def handle(self, method, raw_path, headers, body):
        split = urllib.parse.urlsplit(raw_path)
        path = urllib.parse.unquote(split.path).rstrip("/") or "/"
        if path == f"{V1}/SessionService/Sessions" and method == "POST":
            return self.sessions.login(body)
        if path not in sessions_mod.PUBLIC and not self.sessions.authenticated(headers):
            return redfish_error(401, "authentication required (X-Auth-Token or Basic)",
                                 "Base.1.19.NoValidSession",
                                 [("WWW-Authenticate", 'Basic realm="accel-redfish-mock"')])
        session = self._own_session(path)
        if method == "DELETE" and session:
            self.sessions.delete(session)
            return Response(204)
        if method not in ("GET", "HEAD"):
            return redfish_error(405, "this is a read-only mockup",
                                 "Base.1.19.OperationNotAllowed", [("Allow", "GET, HEAD")])
        if path == "/redfish":
            return Response(200, b'{"v1":"/redfish/v1/"}', [("Content-Type", JSON)])
        if path != V1 and not path.startswith(V1 + "/"):
            return redfish_error(404, f"{path} not found", "Base.1.19.ResourceMissingAtURI")
        try:
            return self._get(path, split.query, session)
        except paging.QueryError as exc:
            return redfish_error(exc.status, str(exc), exc.message_id)

    def _own_session(self, path):
        """The id of a session this service created, when ``path`` is that session."""
        prefix = f"{V1}/SessionService/Sessions/"
        if path.startswith(prefix) and self.sessions.session(path[len(prefix):]):
            return path[len(prefix):]
        return None

    # -- GET ----------------------------------------------------------------------------------
    def _get(self, path, raw_query, session):
        query = paging.parse(raw_query)
        rel = path[len(V1):].lstrip("/")
        if raw_query:
            captured = self._file(f"{rel}?{urllib.parse.unquote(raw_query)}")
            if captured is not None:  # the capture has this very page
                return self._response(captured, captured.body)
        found = self._file(rel)
        if found is None:
            if session:
                return json_response(200, self.sessions.session(session))
            return redfish_error(404, f"{path} not found", "Base.1.19.ResourceMissingAtURI")
        doc = found.doc
        if doc is None:
            if query.paging:
                raise paging.QueryError(400, f"{path} is not a resource collection: $top and "
                                        "$skip do not apply",
                                        "Base.1.19.QueryNotSupportedOnResource")
            return self._response(found, found.body)
        if not query.paging and (self.page_size is None or not paging.is_collection(doc) or
                                 "Members@odata.nextLink" in doc):
            # as stored (a captured first page keeps its captured nextLink)
            return self._response(found, self._body(found))
        whole = self._whole(rel, path, doc)
        size = self.page_size
        if whole is not doc:  # the BMC paged it when captured: it pages it so again
            size = min(size or len(doc["Members"]), len(doc["Members"])) or None
        paged = paging.page(whole, path, query, size)
        if paged is doc:
            return self._response(found, self._body(found))
        return self._response(found, self._dump(paged))

    def _whole(self, rel, path, doc):
        """The collection with every member the capture holds (its nextLink pages joined)."""
        if not paging.is_collection(doc) or not doc.get("Members@odata.nextLink"):
            return doc
        members = list(doc["Members"])
        seen = set()
        link = doc.get("Members@odata.nextLink")
        while isinstance(link, str) and link not in seen:
            seen.add(link)
            split = urllib.parse.urlsplit(link)
            if split.path.rstrip("/") != path or not split.query:
                break
            page = self._file(f"{rel}?{urllib.parse.unquote(split.query)}")
            if page is None or not paging.is_collection(page.doc):
                break  # the capture stops here: serve what it holds
            members += page.doc["Members"]
            link = page.doc.get("Members@odata.nextLink")
        whole = {k: v for k, v in doc.items() if k != "Members@odata.nextLink"}
        whole["Members"] = members
        whole["Members@odata.count"] = len(members)
        return whole

    def _body(self, found):
        if b"@Redfish.Copyright" not in found.body:
            return found.body
        doc = found.doc
        if isinstance(doc, dict) and "@Redfish.Copyright" in doc:
            return self._dump({k: v for k, v in doc.items() if k != "@Redfish.Copyright"})
        return found.body

    @staticmethod
    def _dump(doc):
        doc = {k: v for k, v in doc.items() if k != "@Redfish.Copyright"}
        return json.dumps(doc, ensure_ascii=False).encode()

    @staticmethod
    def _response(found, body):
        headers = [("Content-Type", found.ctype)]
        if found.headers:
            headers = [h for h in headers if h[0].lower() not in found.headers] + [
                (k, v) for k, v in found.headers.items()]
        return Response(200, body, headers)

    # -- files --------------------------------------------------------------------------------
    def _file(self, rel):
        cached = self._cache.get(rel)
        if cached is None:
            cached = self._load(rel)
            if cached is None:
                return None
            if len(self._cache) > 50000:
                self._cache.clear()
            self._cache[rel] = cached
        return cached

    def _load(self, rel):
        target = os.path.realpath(os.path.join(self.root, rel))
        if target != self.root and not target.startswith(self.root + os.sep):
            return None  # ../ escapes stay inside the mockup
        if os.path.isdir(target):
            for name in ("index.json", "index.xml"):
                candidate = os.path.join(target, name)
                if os.path.isfile(candidate):
                    return _File(_read(candidate), _TYPES[name[5:]],
                                 _captured_headers(os.path.join(target, "headers.json")))
            return None
        if os.path.isfile(target) and os.path.basename(target) not in ("headers.json",):
            ext = os.path.splitext(target)[1].lower()
            return _File(_read(target), _TYPES.get(ext, "application/octet-stream"), None)
        return None


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _captured_headers(path):
    """{lower-case name: value} of a headers.json's GET answer, without hop-by-hop ones."""
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    got = doc.get("GET") if isinstance(doc, dict) else None
    if not isinstance(got, dict):
        return None
    return {str(k).lower(): str(v) for k, v in got.items()
            if str(k).lower() not in _HOP and isinstance(v, (str, int))}
