"""Static mode (redfish_mocks.static): every kind of file a mockup or capture holds is
served as the BMC served it; queries, paging and sessions behave as on a live BMC. (That
every file, link and page of the shared mockups and captures is served so, over HTTP:
tests/functional/redfish/test_static_validator.py.)"""

import base64
import json
import os
import shutil
import tempfile
import unittest

from redfish_mocks.static import MockupError, StaticService

BASIC = {"Authorization": "Basic " + base64.b64encode(b"admin:password").decode()}
V1 = "/redfish/v1"
COPYRIGHT = "Copyright 2014-2025 DMTF."


def get(svc, path, headers=BASIC):
    resp = svc.handle("GET", path, headers, b"")
    ctype = dict(resp.headers).get("Content-Type", "")
    try:
        doc = json.loads(resp.body) if ctype.startswith("application/json") else resp.body
    except ValueError:
        doc = resp.body
    return resp.status, doc, resp


def write(root, rel, content):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not isinstance(content, (str, bytes)):
        content = json.dumps(content)
    with open(path, "w" if isinstance(content, str) else "wb") as f:
        f.write(content)


def collection(path, n, **extra):
    return dict({"@odata.id": path, "@odata.type": "#ThingCollection.ThingCollection",
                 "Name": "Things", "Members": [{"@odata.id": f"{path}/{i}"} for i in range(n)],
                 "Members@odata.count": n}, **extra)


class SyntheticMockupTest(unittest.TestCase):
    """One small mockup holding one file of every kind the captures and mockups hold."""

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="mockup-")
        self.addCleanup(shutil.rmtree, self.root)
        w = self.write = lambda rel, content: write(self.root, rel, content)
        w("index.json", {"@odata.id": "/redfish/v1/", "Id": "RootService",
                         "@Redfish.Copyright": COPYRIGHT})
        w("$metadata/index.xml", '<?xml version="1.0"?><edmx:Edmx Version="4.0"/>')
        w("odata/index.json", {"@odata.context": "/redfish/v1/$metadata", "value": []})
        w("Registries/index.json", collection("/redfish/v1/Registries", 1))
        w("Registries/Base.1.5.0.json", {"Id": "Base.1.5.0", "@Redfish.Copyright": COPYRIGHT})
        w("Schemas/Foo.json/index.json", {"$id": "/redfish/v1/Schemas/Foo.json",
                                          "copyright": "kept: not the annotation"})
        w("Schemas/Foo_v1.xml/index.xml", "<edmx:Edmx/>")
        w("Things/index.json", collection("/redfish/v1/Things", 7))
        page1 = collection("/redfish/v1/Paged", 3)
        page1["Members@odata.count"] = 7
        page1["Members@odata.nextLink"] = "/redfish/v1/Paged?$skip=3"
        w("Paged/index.json", page1)
        page2 = collection("/redfish/v1/Paged", 7)
        page2["Members"] = page2["Members"][3:6]
        page2["Members@odata.nextLink"] = "/redfish/v1/Paged?$skip=6"
        w("Paged?$skip=3/index.json", page2)
        page3 = collection("/redfish/v1/Paged", 7)
        page3["Members"] = page3["Members"][6:]
        w("Paged?$skip=6/index.json", page3)
        w("Broken/index.json", b'{"Id": "Broken", "Name": ')  # as a real capture has
        w("WithHeaders/index.json", {"Id": "WithHeaders"})
        w("WithHeaders/headers.json", {"GET": {"ETag": 'W/"abc"', "Allow": "GET, PATCH",
                                               "Content-Length": "999"}})
        self.svc = StaticService(self.root)

    def test_every_file_kind_is_served(self):
        status, root, _ = get(self.svc, V1, headers={})
        self.assertEqual(status, 200)
        self.assertNotIn("@Redfish.Copyright", root)  # mockup-only: a live BMC never sends it
        status, body, resp = get(self.svc, f"{V1}/$metadata", headers={})
        self.assertEqual((status, dict(resp.headers)["Content-Type"]), (200, "application/xml"))
        self.assertIn(b"edmx:Edmx", body)
        self.assertEqual(get(self.svc, f"{V1}/odata", headers={})[1]["value"], [])
        status, reg, _ = get(self.svc, f"{V1}/Registries/Base.1.5.0.json")
        self.assertEqual((status, reg), (200, {"Id": "Base.1.5.0"}))
        status, schema, _ = get(self.svc, f"{V1}/Schemas/Foo.json")
        self.assertEqual(schema["copyright"], "kept: not the annotation")
        status, body, resp = get(self.svc, f"{V1}/Schemas/Foo_v1.xml")
        self.assertEqual((status, body), (200, b"<edmx:Edmx/>"))
        self.assertEqual(get(self.svc, f"{V1}/Registries/")[0], 200)  # trailing slash

    def test_invalid_json_is_served_as_captured(self):
        status, body, _ = get(self.svc, f"{V1}/Broken")
        self.assertEqual((status, body), (200, b'{"Id": "Broken", "Name": '))

    def test_captured_headers_are_sent(self):
        _, _, resp = get(self.svc, f"{V1}/WithHeaders")
        headers = {k.lower(): v for k, v in resp.headers}
        self.assertEqual(headers["etag"], 'W/"abc"')
        self.assertEqual(headers["allow"], "GET, PATCH")
        self.assertNotIn("content-length", headers)  # the HTTP layer counts the real body
        self.assertEqual(get(self.svc, f"{V1}/WithHeaders/headers.json")[0], 404)

    def test_missing_files_and_escapes_are_404(self):
        for path in (f"{V1}/Nope", f"{V1}/../../etc/passwd", f"{V1}/%2e%2e/%2e%2e/etc",
                     "/etc/passwd", f"{V1}/Things/0"):
            with self.subTest(path=path):
                self.assertEqual(get(self.svc, path)[0], 404)

    def test_queries_on_a_whole_collection(self):
        status, page, _ = get(self.svc, f"{V1}/Things?$skip=2&$top=2")
        self.assertEqual(status, 200)
        self.assertEqual([m["@odata.id"] for m in page["Members"]],
                         [f"{V1}/Things/2", f"{V1}/Things/3"])
        self.assertEqual(page["Members@odata.count"], 7)
        self.assertNotIn("Members@odata.nextLink", page)
        self.assertEqual(len(get(self.svc, f"{V1}/Things?foo=bar")[1]["Members"]), 7)
        for query, status in (("$top=0", 400), ("$skip=x", 400), ("$skip=8", 400),
                              ("$expand=*", 501), ("only", 501)):
            with self.subTest(query=query):
                got, err, _ = get(self.svc, f"{V1}/Things?{query}")
                self.assertEqual(got, status)
                self.assertIn("@Message.ExtendedInfo", err["error"])
        self.assertEqual(get(self.svc, f"{V1}/odata?$top=1")[0], 400)  # not a collection
        self.assertEqual(get(self.svc, f"{V1}/Schemas/Foo_v1.xml?$top=1")[0], 400)

    def follow(self, svc, path):
        members, seen = [], []
        while path:
            self.assertNotIn(path, seen, "the nextLink chain loops")
            seen.append(path)
            status, page, _ = get(svc, path)
            self.assertEqual(status, 200, path)
            members += [m["@odata.id"] for m in page["Members"]]
            path = page.get("Members@odata.nextLink")
        return members, seen

    def test_captured_pages_are_served_as_captured(self):
        members, pages = self.follow(self.svc, f"{V1}/Paged")
        self.assertEqual(members, [f"{V1}/Paged/{i}" for i in range(7)])
        self.assertEqual(pages, [f"{V1}/Paged", f"{V1}/Paged?$skip=3", f"{V1}/Paged?$skip=6"])
        # a window the capture did not record comes from the joined pages, paged as captured
        status, page, _ = get(self.svc, f"{V1}/Paged?$skip=1")
        self.assertEqual([m["@odata.id"] for m in page["Members"]],
                         [f"{V1}/Paged/{i}" for i in (1, 2, 3)])
        self.assertEqual(page["Members@odata.nextLink"], f"{V1}/Paged?$skip=4")
        self.assertEqual(self.follow(self.svc, f"{V1}/Paged?$skip=1")[0],
                         [f"{V1}/Paged/{i}" for i in range(1, 7)])
        quoted = f"{V1}/Paged?%24skip=3"  # a client that escapes the dollar
        self.assertEqual(len(get(self.svc, quoted)[1]["Members"]), 3)

    def test_page_size_pages_every_whole_collection(self):
        svc = StaticService(self.root, page_size=3)
        members, pages = self.follow(svc, f"{V1}/Things")
        self.assertEqual(members, [f"{V1}/Things/{i}" for i in range(7)])
        self.assertEqual(len(pages), 3)
        self.assertEqual(get(svc, f"{V1}/Things")[1]["Members@odata.count"], 7)
        with self.assertRaises(MockupError):
            StaticService(self.root, page_size=0)

    def test_read_only_with_sessions(self):
        self.assertEqual(get(self.svc, f"{V1}/Things", headers={})[0], 401)
        self.assertEqual(self.svc.handle("PATCH", f"{V1}/Things", BASIC, b"{}").status, 405)
        resp = self.svc.handle("POST", f"{V1}/SessionService/Sessions", {},
                               json.dumps({"UserName": "admin", "Password": "password"}).encode())
        self.assertEqual(resp.status, 201)
        token = {"X-Auth-Token": dict(resp.headers)["X-Auth-Token"]}
        location = dict(resp.headers)["Location"]
        self.assertEqual(get(self.svc, f"{V1}/Things", token)[0], 200)
        self.assertEqual(get(self.svc, location, token)[1]["UserName"], "admin")
        self.assertEqual(self.svc.handle("DELETE", location, token, b"").status, 204)
        self.assertEqual(get(self.svc, f"{V1}/Things", token)[0], 401)
        bad = self.svc.handle("POST", f"{V1}/SessionService/Sessions", {},
                              json.dumps({"UserName": "admin", "Password": "x"}).encode())
        self.assertEqual(bad.status, 401)
        self.assertEqual(self.svc.handle("POST", f"{V1}/SessionService/Sessions", {},
                                         b"[").status, 400)

    def test_a_folder_without_index_is_not_a_mockup(self):
        with self.assertRaises(MockupError):
            StaticService(os.path.join(self.root, "Things", "nope"))
