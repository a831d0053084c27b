"""Static mode adds nothing of its own to a tree: no FAIL of the emulator's making.

Every public mockup and real capture in ``../shared/redfish`` is served with the
static mode (``redfish_mocks.static``, the ``accel-redfish-mock --mockup`` service) on a
loopback HTTP server. What it must prove, and which part proves it:

* ``test_every_file_is_served_as_stored`` (every tree, every file, over HTTP): each file
  answers at its URI byte for byte as stored, with its content type (a mockup's
  ``@Redfish.Copyright``, which DMTF's own server drops too, is the only change); every
  link any file holds answers 200 when the tree holds its target and a Redfish 404
  otherwise; every collection pages as the tree holds it: following
  ``Members@odata.nextLink`` from the first page, from ``$skip=1`` and ``$top=1`` gives
  exactly the members the captured pages hold together, ``Members@odata.count`` the
  whole. So every resource the validator reads from a capture is the data's own,
  and its 404s are the data's dangling links: a validator FAIL on them is the data's.
* ``test_static_mode_adds_no_fail`` (the DMTF Redfish-Service-Validator, offline, on the
  four DMTF mockups and the two smaller captures): what the service computes itself
  (``/redfish``, sessions and Basic authentication, errors, pages) passes the
  validator, and each FAIL it finds is the data's: a link to a resource the tree does
  not hold (404), or a property of a file served exactly as stored. A FAIL on anything
  the emulator computed (a page it cut, a file it failed to find, an annotation it
  should have dropped) fails the test. Collections with more than ``LIMIT`` members
  are validated on their first members only.

The validator is not run on the Dell and Lenovo captures (119 s and 67 s of the
validator's time): the same code serves them, and the first test proves every file,
link and page of theirs exhaustively in seconds.
"""

import http.client
import json
import os
import re
import urllib.parse

import pytest

from redfish_mocks.httpd import HttpService
from redfish_mocks.static import StaticService
from tests.redfish_helpers import run_validator, shared_dir

pytestmark = pytest.mark.functional

SHARED = shared_dir()
LIMIT = 3
TREES = [f"{kind}/{name}" for kind in ("mockups", "captures")
         for name in (sorted(os.listdir(os.path.join(SHARED, "redfish", kind)))
                      if SHARED and os.path.isdir(os.path.join(SHARED, "redfish", kind)) else [])
         if os.path.isfile(os.path.join(SHARED, "redfish", kind, name, "index.json"))]
#: the captures the validator is not run on (proved by test_every_file_is_served_as_stored)
FILES_ONLY = {"captures/dell", "captures/lenovo"}
VALIDATED = [tree for tree in TREES if tree not in FILES_ONLY]
needs_shared = pytest.mark.skipif(
    not (SHARED and os.path.isdir(os.path.join(SHARED, "redfish", "csdl")) and TREES),
    reason="../shared/redfish (csdl, mockups, captures) is not here, nor $ACCEL_SHARED_DIR")


def collection_limits(root):
    """{resource type: LIMIT} for every collection of the tree with more members."""
    limits = {}
    for folder, _dirs, files in os.walk(root):
        if "index.json" not in files:
            continue
        try:
            with open(os.path.join(folder, "index.json"), "rb") as f:
                doc = json.load(f)
        except ValueError:
            continue
        kind = doc.get("@odata.type") if isinstance(doc, dict) else None
        match = re.match(r"^#(.+)Collection\..+Collection$", kind or "")
        if match and isinstance(doc.get("Members"), list) and len(doc["Members"]) > LIMIT:
            limits[match[1]] = LIMIT
    return limits


def not_the_data(svc, uri, message):
    """Why this FAIL is the emulator's doing, or None when the tree itself carries it."""
    if uri is None:
        return "a FAIL before any resource"
    link = re.search(r"\[Link to: ([^\]]+)\]\): Resource Error: Received HTTP 404", message)
    if link:  # the link of a resource leads nowhere: the tree must not hold its target
        uri, message = link.group(1), "Received HTTP 404"
    split = urllib.parse.urlsplit(uri)
    rel = urllib.parse.unquote(split.path)[len("/redfish/v1"):].strip("/")
    if split.query:
        rel = f"{rel}?{urllib.parse.unquote(split.query)}"
    stored = svc._file(rel)
    if "Received HTTP 404" in message:
        return "the tree holds this resource" if stored is not None else None
    if stored is None:
        return "a FAIL on a page or resource the emulator computed"
    served = svc.handle("GET", uri, {"Authorization": "Basic YWRtaW46cGFzc3dvcmQ="}, b"")
    if stored.doc is None:
        return None if served.body == stored.body else "an unparsable file served altered"
    expected = {k: v for k, v in stored.doc.items() if k != "@Redfish.Copyright"}
    if json.loads(served.body) != expected:
        return "the resource was not served as stored"
    return None


@needs_shared
@pytest.mark.parametrize("tree", VALIDATED)
def test_static_mode_adds_no_fail(tree, tmp_path):
    root = os.path.join(SHARED, "redfish", tree)
    svc = StaticService(root)
    srv = HttpService(svc).start()
    try:
        run = run_validator(srv.url, tmp_path, collection_limits(root))
    finally:
        srv.stop()
    print(f"{tree}: {run}")
    assert run.passed > 100, run.output[-3000:]  # it walked the tree
    assert len(run.failures) == run.failed, run.output[-3000:]
    ours = [(uri, msg, why) for uri, msg in run.failures
            if (why := not_the_data(svc, uri, msg)) is not None]
    assert ours == [], "\n".join(map(str, ours))


# -- every file, link and page, exhaustively ---------------------------------------------------
V1 = "/redfish/v1"
JSON = "application/json"
TYPES = {".json": JSON, ".xml": "application/xml"}


def stored_files(root):
    """{URI: (path of the file, content type)} of every resource file of a Mockup-Creator
    tree: ``<p>/index.json`` (or ``index.xml``), a captured page ``<p>?<query>/index.json``,
    or a plain file such as ``Registries/Base.1.5.0.json``; not ``headers.json`` (the
    BMC's headers) nor ``explorer_config.json`` (the DMTF explorer's settings)."""
    out = {}
    for folder, _dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root).replace(os.sep, "/")
        uri = V1 if rel == "." else f"{V1}/{rel}"
        for name in files:
            path = os.path.join(folder, name)
            if name == "index.json" or (name == "index.xml" and "index.json" not in files):
                out[uri] = (path, TYPES[name[5:]])
            elif name not in ("headers.json", "explorer_config.json", "index.xml"):
                out[f"{uri}/{name}"] = (path, TYPES.get(os.path.splitext(name)[1].lower()))
    return out


def links(doc):
    """Every ``@odata.id`` and ``Members@odata.nextLink`` in a JSON document."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key in ("@odata.id", "Members@odata.nextLink") and isinstance(value, str):
                yield value
            else:
                yield from links(value)
    elif isinstance(doc, list):
        for item in doc:
            yield from links(item)


def joined(files, uri, doc):
    """The members of a collection with the pages its capture holds (its nextLink chain,
    read from the files)."""
    members, seen = list(doc["Members"]), {uri}
    link = doc.get("Members@odata.nextLink")
    while isinstance(link, str):
        split = urllib.parse.urlsplit(link)
        page_uri = f"{urllib.parse.unquote(split.path).rstrip('/')}?" \
                   f"{urllib.parse.unquote(split.query)}"
        if page_uri in seen or page_uri not in files:
            break
        seen.add(page_uri)
        with open(files[page_uri][0], "rb") as f:
            page = json.load(f)
        members += page["Members"]
        link = page.get("Members@odata.nextLink")
    return members


def quoted(uri):
    return urllib.parse.quote(uri, safe="/$?=&:@")


class Client:
    """GETs over one keep-alive HTTP/1.1 connection (http.client: a few times cheaper per
    request than requests, which matters for the 3,000 files of a capture)."""

    AUTH = {"Authorization": "Basic YWRtaW46cGFzc3dvcmQ="}

    def __init__(self, url):
        split = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(split.hostname, split.port, timeout=30)

    def get(self, uri):
        """(status, headers, body) of a GET of ``uri`` (unquoted)."""
        self.conn.request("GET", quoted(uri), headers=self.AUTH)
        resp = self.conn.getresponse()
        return resp.status, resp.headers, resp.read()

    def json(self, uri):
        status, _headers, body = self.get(uri)
        assert status == 200, (uri, body[:300])
        return json.loads(body)

    def close(self):
        self.conn.close()


@needs_shared
@pytest.mark.parametrize("tree", TREES)
def test_every_file_is_served_as_stored(tree):
    root = os.path.join(SHARED, "redfish", tree)
    files = stored_files(root)
    srv = HttpService(StaticService(root)).start()
    http_client = Client(srv.url)

    def chain(uri):
        """(members, counts) of the pages from ``uri`` on, following nextLink."""
        members, counts, seen = [], set(), set()
        while uri and uri not in seen and len(seen) < 10000:
            seen.add(uri)
            page = http_client.json(uri)
            members += page["Members"]
            counts.add(page.get("Members@odata.count"))
            nxt = page.get("Members@odata.nextLink")
            uri = urllib.parse.unquote(nxt) if nxt else None
        return members, counts

    try:
        docs, targets = {}, set()
        for uri, (path, ctype) in sorted(files.items()):
            with open(path, "rb") as f:
                raw = f.read()
            status, headers, body = http_client.get(uri)
            assert status == 200, (uri, body[:300])
            if ctype:
                assert headers["Content-Type"].split(";")[0] == ctype, uri
            if b"@Redfish.Copyright" in raw:
                expected = json.loads(raw)
                expected.pop("@Redfish.Copyright")
                assert json.loads(body) == expected, uri
            else:
                assert body == raw, uri
            if ctype == JSON:
                try:
                    docs[uri] = json.loads(raw)
                except ValueError:
                    continue  # an unparsable file: served as stored, checked above
                targets.update(links(docs[uri]))

        dangling = 0
        for link in sorted(targets):
            split = urllib.parse.urlsplit(link)
            path = urllib.parse.unquote(split.path).split("#")[0].rstrip("/") or "/"
            if split.netloc or split.query or not path.startswith(V1):
                continue  # another service's, or a page (the chains below read those)
            if path in files and split.path == path:
                continue  # answered 200 above, to this very request
            status, _headers, body = http_client.get(urllib.parse.unquote(split.path))
            if path in files:  # written otherwise (a trailing /, %-escapes): the same file
                assert status == 200, (link, body[:300])
                continue
            # the data's own dangling link: a Redfish 404, as a BMC answers it
            assert status == 404, (link, status)
            assert "error" in json.loads(body), link
            dangling += 1

        collections = 0
        for uri, doc in sorted(docs.items()):
            if "?" in uri or not isinstance(doc, dict) or \
                    not isinstance(doc.get("Members"), list):
                continue
            whole = joined(files, uri, doc)
            total = len(whole)
            assert chain(uri)[0] == whole, uri  # the pages as captured
            if total:
                assert chain(f"{uri}?$skip=1") == (whole[1:], {total}), uri
                first = http_client.json(f"{uri}?$top=1")
                # a window that is the whole collection is the file, with the data's count
                count = total if total > 1 else doc.get("Members@odata.count")
                assert (first["Members"], first.get("Members@odata.count")) == \
                    (whole[:1], count), uri
            collections += 1
    finally:
        http_client.close()
        srv.stop()
    print(f"{tree}: {len(files)} files, {len(targets)} links ({dangling} dangling), "
          f"{collections} collections")
    assert len(files) > 100 and collections > 10
