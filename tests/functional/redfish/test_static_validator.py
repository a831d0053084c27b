"""Static mode under the DMTF Redfish-Service-Validator: no FAIL of the emulator's making.

Every public mockup and real capture in ``../shared/redfish`` is served with
``accel-redfish-mock --mockup`` and validated offline. Real BMCs and older mockups are
not conformant to today's schemas, so the FAILs the validator finds are counted and
each one must be the data's own: a link to a resource the tree does not hold (404), or
a property of a file that was served exactly as stored (so the file carries it). A
FAIL on anything the emulator computed (a page it cut, a file it failed to find, an
annotation it should have dropped) fails the test.

Collections with more than ``LIMIT`` members are validated on their first members only
(and the validator is stopped once it has printed its summary), which keeps one run
within seconds to a couple of minutes.
"""

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
@pytest.mark.parametrize("tree", TREES)
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
