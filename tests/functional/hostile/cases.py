"""Hostile requests generated for every route of ``accel_api/api/openapi.yaml``.

Each family returns ``Case`` s, all of which the API must refuse with a 4xx in Cyborg's
JSON shape (``check``). Routes come from the OpenAPI document, so a new route gets
every family without anyone writing its cases; bodies start from a valid one per route
(``good_body``) so that a mutation reaches as deep as a real request would.
"""

import dataclasses
import json
import re
import uuid

import yaml

from accel_api.api import openapi
from tests.accel_api_helpers import inventory
from tests.functional.hostile.harness import AGENT, ANONYMOUS

#: What a refused request may answer.
REFUSED = range(400, 500)
#: Words that only a stack trace or a leaked exception would put in a body.
LEAKS = ("Traceback", 'File "', "sqlalchemy", "psycopg", "pymysql", "Error:", "webob",
         "site-packages")


@dataclasses.dataclass
class Case:
    family: str
    principal: str
    method: str
    path: str
    body: bytes | None = None
    headers: dict = dataclasses.field(default_factory=dict)
    allowed: range | tuple = REFUSED
    #: The version a 2xx answer must be at (a request whose version header never
    #: reached the app is answered at the minimum).
    version: str | None = None

    def send(self, api):
        return api.client(self.principal).request(self.method, self.path, body=self.body,
                                                  headers=self.headers)


def check(case, answer):
    """Problems with ``answer`` (empty when it is a proper refusal)."""
    problems = []
    if answer.status not in case.allowed:
        problems.append(f"status {answer.status}")
    if case.version and answer.status < 400 and \
            answer.headers.get("openstack-api-version") != case.version:
        problems.append(f"answered at {answer.headers.get('openstack-api-version')}")
    if answer.status >= 400 and not (case.method == "HEAD" and not answer.body):
        if not answer.headers.get("content-type", "").startswith("application/json"):
            problems.append(f"content type {answer.headers.get('content-type')!r}")
        try:
            fault = json.loads(answer.json()["error_message"])
            if fault["faultcode"] != ("Client" if answer.status < 500 else "Server") or \
                    not fault["faultstring"]:
                problems.append(f"fault {fault}")
        except (ValueError, KeyError, TypeError):
            problems.append("not Cyborg's error shape")
    text = answer.body.decode("utf-8", "replace")
    problems += [f"leaks {word!r}" for word in LEAKS if word in text]
    if problems:
        return [f"{case.family}: {answer.request} -> {answer.status} {', '.join(problems)}: "
                f"{answer.body[:200]!r}"]
    return []


def routes():
    """(method, template, operation) of every route in the OpenAPI document."""
    with open(openapi.PATH) as f:
        doc = yaml.safe_load(f)
    for template, operations in doc["paths"].items():
        for method, op in operations.items():
            yield method.upper(), template, op


def json_routes():
    return [(m, t, op) for m, t, op in routes()
            if "application/json" in op.get("requestBody", {}).get("content", {})]


def query_names(op):
    return [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]


def fill(template, ids, owner="alice", **values):
    """A real path for ``template``: the seeded resources of ``owner``."""
    defaults = {"hostname": "h1", "name_or_uuid": "dp", "deployable_uuid": ids["deployable"]}
    by_collection = {"accelerator_requests": ids[f"arq_{owner}"] if f"arq_{owner}" in ids
                     else ids["arq_alice"],
                     "devices": ids["device"], "deployables": ids["deployable"],
                     "attributes": ids["attribute"], "claims": ids["claim_alice"],
                     "bitstreams": ids.get(f"bitstream_{owner}", ids["bitstream_alice"]),
                     "programming_jobs": str(uuid.uuid4())}

    def _one(match):
        name = match.group(1)
        if name in values:
            return values[name]
        if name == "uuid":
            collection = template[:match.start()].rstrip("/").rsplit("/", 1)[-1]
            return by_collection[collection]
        return defaults[name]

    return re.sub(r"\{([a-z_]+)\}", _one, template)


def good_body(method, template, ids):
    """A body this route accepts (for admin), as a Python value."""
    bind = [{"path": "/hostname", "op": "add", "value": "h1"},
            {"path": "/device_rp_uuid", "op": "add", "value": ids["rp_uuid"]},
            {"path": "/instance_uuid", "op": "add", "value": str(uuid.uuid4())}]
    bodies = {
        ("POST", "/v2/device_profiles"): [{"name": "hostile", "description": "d",
                                           "groups": [{"resources:FPGA": "1",
                                                       "trait:CUSTOM_X": "required"}]}],
        ("POST", "/v2/accelerator_requests"): {"device_profile_name": "dp",
                                               "device_profile_group_id": 0},
        ("PATCH", "/v2/accelerator_requests"): {ids["arq_alice"]: bind},
        ("PATCH", "/v2/accelerator_requests/{uuid}"): {ids["arq_alice"]: bind},
        ("POST", "/v2/attributes"): {"deployable_id": ids["deployable_id"], "key": "k1",
                                     "value": "v"},
        ("PUT", "/v2/hosts/{hostname}/inventory"): inventory("h1", 2, 2),
        ("POST", "/v2/claims"): {"hostname": "h1", "resource_class": "FPGA",
                                 "traits": ["CUSTOM_FPGA_INTEL"], "bitstream_id": None},
        ("POST", "/v2/bitstreams"): {"name": "b", "vendor": "v", "type": "t",
                                     "function_id": "0" * 32, "interface_id": "1" * 32,
                                     "board": "n3000", "visibility": "private"},
        ("PATCH", "/v2/deployables/{uuid}/program"): [
            {"path": "/bitstream_id", "op": "replace", "value": ids["bitstream_alice"]}],
        ("POST", "/fpga/{deployable_uuid}"): {"glance_bitstream_uuid": ids["bitstream_alice"]},
        ("POST", "/v2/programming_jobs"): {"deployable_uuid": ids["deployable"],
                                           "bitstream_uuid": ids["bitstream_alice"]},
        ("PUT", "/v2/hosts/{hostname}/agent"): {"rpc_host": "127.0.0.1", "rpc_port": 8089,
                                                "version": "1"},
    }
    return bodies[(method, template)]


def _json(value):
    return json.dumps(value).encode()


JSON = {"Content-Type": "application/json"}


def deep_json(ids):
    cases = []
    for method, template, _ in json_routes():
        for principal in ("admin", "alice"):
            for raw in (b"[" * 10000 + b"]" * 10000,
                        b'{"a":' * 10000 + b"1" + b"}" * 10000):
                cases.append(Case("deep JSON", principal, method, fill(template, ids), raw,
                                  JSON))
    return cases


def _string_leaves(value, path=()):
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _string_leaves(item, (*path, i))


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: (_replace(v, rest, new) if k == head else v) for k, v in value.items()}
    return [(_replace(v, rest, new) if i == head else v) for i, v in enumerate(value)]


def _escape_json(value):
    """JSON text of ``value`` with every string's lone surrogates escaped as \\uXXXX."""
    return json.dumps(value, ensure_ascii=True).encode()


def unstorable_strings(ids):
    """Every string of every route's good body, in turn a NUL and a lone surrogate; and
    a key that is a lone surrogate. Only admin: nothing but the body refuses them."""
    cases = []
    for method, template, _ in json_routes():
        body = good_body(method, template, ids)
        leaves = list(_string_leaves(body))[:4]  # the first few: each reaches the same check
        for leaf in leaves:
            for bad in ("a\x00b", "\ud800", "x\udfffy"):
                cases.append(Case("unstorable strings", "admin", method, fill(template, ids),
                                  _escape_json(_replace(body, leaf, bad)), JSON))
        if isinstance(body, dict):
            cases.append(Case("unstorable strings", "admin", method, fill(template, ids),
                              _escape_json({**body, "\udc80": "x"}), JSON))
    return cases


def bad_utf8_paths(ids):
    cases = []
    for method, template, _ in routes():
        if "{" not in template:
            continue
        for bad in ("%FF%FE", "%ED%A0%80", "%C3", "%C0%AF"):
            name = re.search(r"\{([a-z_]+)\}", template).group(1)
            path = fill(template, ids, **{name: bad})
            principal = "admin" if len(cases) % 2 else "alice"
            cases.append(Case("invalid UTF-8 in paths", principal, method, path,
                              _json(good_body(method, template, ids))
                              if (method, template) in _BODIES else None, JSON))
    return cases


_BODIES = {(m, t) for m, t, _ in json_routes()}


def bad_queries(ids):
    """Invalid UTF-8, NUL and non-ASCII digits in query strings of every route."""
    cases = []
    for method, template, op in routes():
        names = query_names(op) or ["x"]
        for i, name in enumerate(names[:3]):
            for bad in ("%FF%FE", "%ED%B0%80", "a%00b"):
                path = f"{fill(template, ids)}?{name}={bad}"
                cases.append(Case("bad query strings", "admin" if i % 2 else "service", method,
                                  path))
        cases.append(Case("bad query strings", "admin", method,
                          f"{fill(template, ids)}?%FF=1"))
    cases += [Case("non-ASCII digits", "admin", "GET", f"/v2/attributes?deployable_id={d}")
              for d in ("%C2%B2", "%D9%A3", "%EF%BC%91", "1%C2%B2", "-1", "1e3", "9" * 30)]
    for digit in ("²", "٣", "１", "1²", "0", "-1", "9" * 30, ""):
        cases.append(Case("non-ASCII digits", "admin", "POST", "/v2/device_profiles", _json(
            [{"name": "digits", "groups": [{"resources:FPGA": digit}]}]), JSON))
    return cases


def microversions(ids):
    """Overlong, malformed and out-of-range versions on every route, refused by the
    app. Versions in other scripts' digits travel as UTF-8 bytes, which some servers
    pass on (the app refuses them) and others drop (granian: the request is then
    answered at 2.0, as without the header): those go to GET routes only."""
    cases = []
    values = ["accelerator 2." + "9" * 5000, "accelerator " + "9" * 5000 + ".0",
              "accelerator 99.99", "accelerator 2.3.1", "accelerator -2.1",
              "accelerator " + "x" * 300, "accelerator 2.x", "accelerator 2."]
    for i, (method, template, _) in enumerate(routes()):
        value = values[i % len(values)]
        body = _json(good_body(method, template, ids)) if (method, template) in _BODIES \
            else None
        cases.append(Case("microversions", "admin", method, fill(template, ids), body,
                          {**JSON, "OpenStack-API-Version": value}))
        if method == "GET":
            cases.append(Case("microversions", "admin", method, fill(template, ids),
                              headers={"OpenStack-API-Version": ("accelerator 2.\u0663",
                                                                 "accelerator \u0662.\u0661")[
                                  i % 2]}, allowed=range(200, 500),
                              version="accelerator 2.0"))
    return cases


def traversal(ids):
    """Path parameters and query values that try to climb out of where they belong."""
    climbs = ["..", "../../../../etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
              "..%5c..%5cwindows", "%252e%252e%252f", "....//....//etc"]
    cases = []
    for method, template, _ in routes():
        if "{" not in template or (method, template) in _BODIES and method != "PATCH":
            continue
        name = re.search(r"\{([a-z_]+)\}", template).group(1)
        for i, climb in enumerate(climbs[:3]):
            principal = ("alice", "admin", "bob")[i]
            cases.append(Case("path traversal", principal, method,
                              fill(template, ids, **{name: climb})))
    for climb in climbs:
        cases.append(Case("path traversal", "alice", "GET",
                          f"/v2/bitstreams/{climb}/data"))
        cases.append(Case("path traversal", "admin", "GET", f"/v2/hosts/{climb}"))
        cases.append(Case("path traversal", "admin", "PUT", f"/v2/hosts/{climb}/inventory",
                          _json(inventory("h1", 1, 1)), JSON))
    return cases


def ssrf(ids):
    """Where accel-api would connect on a client's word: an agent's rpc_host, given by the
    host's own agent (the only principal that may). Only real host names and routable
    addresses; never metadata, link-local or unspecified ones (loopback is allowed here,
    ``[agent_rpc] allow_loopback``). Services and other agents get 403 whatever they send."""
    # (A name is checked again at each call, by what it resolves to: a registered
    # metadata.google.internal is refused where it resolves to 169.254.169.254.)
    hosts = ["169.254.169.254", "fe80::1", "0.0.0.0", "::", "fd00:ec2::254", "224.0.0.1",
             "255.255.255.255", "http://127.0.0.1:80/", "127.0.0.1/admin", "user@127.0.0.1",
             "127.0.0.1 ", "a..b", "-leading.dash", "x" * 256, "::ffff:169.254.169.254",
             "0x7f.1", "2130706433", "127.1"]
    cases = [Case("SSRF addresses", AGENT, "PUT", "/v2/hosts/h1/agent",
                  _json({"rpc_host": h, "rpc_port": 8089}), JSON) for h in hosts]
    cases += [Case("SSRF addresses", AGENT, "PUT", "/v2/hosts/h1/agent",
                   _json({"rpc_host": "127.0.0.1", "rpc_port": p}), JSON)
              for p in (0, 65536, -1, "8089", 8089.5, True, 10**30)]
    cases += [Case("SSRF addresses", principal, "PUT", f"/v2/hosts/{host}/agent",
                   _json({"rpc_host": "192.0.2.10", "rpc_port": 8089}), JSON)
              for principal, host in (("service", "h1"), ("admin", "h1"), (AGENT, "h2"),
                                      ("alice", "h1"))]
    return cases


def bad_patches(ids):
    """Malformed bind/unbind and program patches (JSON Patch and Cyborg's variants)."""
    arq = ids["arq_alice"]
    good = good_body("PATCH", "/v2/accelerator_requests", ids)[arq]
    patches = [
        [], {}, "x", 1, None, [good[0]], {arq: []}, {arq: good[0]}, {arq: "add"},
        {arq: [dict(good[0], op="replace")]}, {arq: [dict(good[0], op="test")]},
        {arq: [dict(good[0], op="move", **{"from": "/hostname"})]},
        {arq: [dict(good[0], path="/../hostname")]}, {arq: [dict(good[0], path="hostname")]},
        {arq: [dict(good[0], path="/state")]}, {arq: [dict(good[0], path="/attach_handle_id")]},
        {arq: [*good, good[0]]}, {arq: [good[0], dict(good[1], op="remove")]},
        {arq: [dict(p, value=None) for p in good]}, {arq: [dict(p, value=5) for p in good]},
        {arq: [dict(p, value="x" * 300) for p in good]},
        {arq: [dict(p, extra=1) for p in good]}, {arq.upper() + "x": good},
        {"not-a-uuid": good}, {str(uuid.uuid4()): good},
        {str(uuid.uuid4()): good for _ in range(65)},
        {arq: [{"op": "add", "path": "/instance_uuid", "value": "not-a-uuid"}, *good[:2]]},
        {arq: [{"op": "add", "path": "/device_rp_uuid", "value": "../../x"}, good[0],
               good[2]]},
    ]
    cases = []
    for i, patch in enumerate(patches):
        cases.append(Case("bad JSON patches", "service", "PATCH", "/v2/accelerator_requests",
                          _json(patch), JSON))
        if i % 3 == 0:
            cases.append(Case("bad JSON patches", "service", "PATCH",
                              f"/v2/accelerator_requests/{arq}", _json(patch), JSON))
    bitstream = ids["bitstream_alice"]
    for patch in ([], [{"path": "/bitstream_id", "op": "remove"}],
                  [{"path": "/bitstream_id", "op": "replace", "value": "../x"}],
                  [{"path": "/name", "op": "replace", "value": bitstream}],
                  [{"path": "/bitstream_id", "op": "copy", "value": bitstream}],
                  [{"path": "/bitstream_id", "op": "replace", "value": bitstream}] * 2,
                  {"path": "/bitstream_id", "op": "replace", "value": bitstream}):
        cases.append(Case("bad JSON patches", "admin", "PATCH",
                          f"/v2/deployables/{ids['deployable']}/program", _json(patch), JSON))
    return cases


def numbers_and_keys(ids):
    """Huge integers, floats, booleans and duplicate keys where numbers are expected."""
    cases = []
    for value in ("1" + "0" * 5000, "1e400", "-1e400", "NaN", "Infinity", "true", "1.5",
                  "-1", "2147483648", "99999999999999999999", '"1"', "null"):
        cases.append(Case("numbers and duplicate keys", "admin", "POST", "/v2/attributes",
                          f'{{"deployable_id": {value}, "key": "n", "value": "v"}}'.encode(),
                          JSON))
        if value in ('"1"', "null"):  # python-cyborgclient sends those: accepted
            continue
        cases.append(Case("numbers and duplicate keys", "alice", "POST",
                          "/v2/accelerator_requests",
                          f'{{"device_profile_name": "dp", "device_profile_group_id": {value}}}'
                          .encode(), JSON))
    for method, template, _ in json_routes():
        body = good_body(method, template, ids)
        if isinstance(body, dict) and body:
            key = next(iter(body))
            text = _json(body).decode()
            dup = text[:-1] + f', {json.dumps(key)}: {json.dumps(body[key])}}}'
            cases.append(Case("numbers and duplicate keys", "admin", method,
                              fill(template, ids), dup.encode(), JSON))
    return cases


def media_types(ids):
    cases = []
    for method, template, _ in json_routes():
        body = _json(good_body(method, template, ids))
        for content_type in ("text/plain", "application/x-www-form-urlencoded",
                             "multipart/form-data; boundary=x"):
            cases.append(Case("wrong Content-Type", "admin", method, fill(template, ids), body,
                              {"Content-Type": content_type}))
    return cases


def methods(ids):
    cases = []
    paths = {}
    for method, template, _ in routes():
        paths.setdefault(template, set()).add(method)
    for template, known in paths.items():
        # (A malformed method, e.g. lower case, is refused by the HTTP server itself.)
        for method in ("OPTIONS", "TRACE", "PROPFIND", "BREW", "PATCHX"):
            cases.append(Case("unknown methods", "admin", method, fill(template, ids)))
        if "GET" not in known:
            cases.append(Case("unknown methods", "admin", "HEAD", fill(template, ids)))
        if "GET" in known and template != "/v2/bitstreams/{uuid}/data":
            cases.append(Case("HEAD", "alice", "HEAD", fill(template, ids), allowed=range(
                200, 500)))
    return cases


def overlong(ids):
    return [
        Case("overlong targets", "alice", "GET", "/v2/devices/" + "a" * 5000),
        # (Past 64 KiB the HTTP server itself refuses the target, as granian does.)
        Case("overlong targets", "alice", "GET", "/v2/bitstreams?name=" + "n" * 52000),
        Case("overlong targets", "admin", "GET", "/v2/hosts/" + "h" * 3000),
        Case("overlong targets", "admin", "POST", "/v2/accelerator_requests",
             _json({"device_profile_name": "x" * 70000}), JSON),
        Case("overlong targets", "admin", "POST", "/v2/device_profiles",
             _json([{"name": "n", "groups": [{"resources:FPGA": "1"}] * 100}]), JSON),
        Case("overlong targets", "alice", "POST", "/v2/bitstreams",
             _json({"name": "x" * 256}), JSON),
        Case("overlong targets", "alice", "DELETE",
             "/v2/accelerator_requests?arqs=" + ",".join([ids["arq_alice"]] * 1001)),
    ]


def authentication(ids):
    """Anonymous on every non-public route; wrong, malformed and forged credentials."""
    cases = []
    for method, template, _ in routes():
        if template in ("/", "/v2"):
            continue
        body = _json(good_body(method, template, ids)) if (method, template) in _BODIES \
            else None
        cases.append(Case("authentication", ANONYMOUS, method, fill(template, ids), body,
                          JSON))
    for header in ("Basic " + "A" * 5000, "Basic YWxpY2U=", "Basic \xff\xfe",
                   "Basic YWxpY2U6" + "eA==" * 30, "Negotiate abc", "basic", " Basic x"):
        cases.append(Case("authentication", ANONYMOUS, "GET", "/v2/accelerator_requests",
                          headers={"Authorization": header}))
    forged = {"X-Roles": "admin", "X-Project-Id": "project-b", "X-User-Id": "admin",
              "X-Service-Roles": "service", "X-Identity-Status": "Confirmed"}
    for method, path in (("GET", "/v2/devices"), ("GET", "/v2/hosts"),
                         ("POST", f"/v2/devices/{ids['device']}/disable"),
                         ("DELETE", f"/v2/accelerator_requests/{ids['arq_bob']}"),
                         ("GET", f"/v2/bitstreams/{ids['bitstream_bob']}/data")):
        cases.append(Case("authentication", "alice", method, path, headers=forged))
    return cases


def cross_project(ids):
    """Bob at Alice's resources: not found (nothing leaks), nothing changes."""
    cases = []
    for method, path in (
            ("GET", f"/v2/accelerator_requests/{ids['arq_alice']}"),
            ("DELETE", f"/v2/accelerator_requests/{ids['arq_alice']}"),
            ("DELETE", f"/v2/accelerator_requests?arqs={ids['arq_alice']}"),
            ("GET", f"/v2/claims/{ids['claim_alice']}"),
            ("DELETE", f"/v2/claims/{ids['claim_alice']}"),
            ("GET", f"/v2/bitstreams/{ids['bitstream_alice']}"),
            ("GET", f"/v2/bitstreams/{ids['bitstream_alice']}/data"),
            ("DELETE", f"/v2/bitstreams/{ids['bitstream_alice']}"),
            ("PUT", f"/v2/bitstreams/{ids['uploading_alice']}/data"),
            ("POST", "/fpga/" + ids["deployable"]),
            ("PATCH", f"/v2/deployables/{ids['deployable']}/program")):
        body = None
        if method == "PUT":
            body = b"bob overwrites alice"
        elif path.startswith("/fpga"):
            body = _json({"glance_bitstream_uuid": ids["bitstream_alice"]})
        elif path.endswith("/program"):
            body = _json([{"path": "/bitstream_id", "op": "replace",
                           "value": ids["bitstream_alice"]}])
        cases.append(Case("cross-project", "bob", method, path, body,
                          {"Content-Type": "application/octet-stream"} if method == "PUT"
                          else JSON))
    for method, path in (("PUT", "/v2/hosts/h1/inventory"), ("GET", "/v2/hosts"),
                         ("POST", f"/v2/devices/{ids['device']}/disable"),
                         ("DELETE", "/v2/device_profiles/dp"),
                         ("PUT", "/v2/hosts/h1/agent"), ("GET", "/v2/devices")):
        body = None
        if path.endswith("/inventory"):
            body = _json(inventory("h1", 1, 1))
        elif path.endswith("/agent"):
            body = _json({"rpc_host": "127.0.0.1", "rpc_port": 1})
        cases.append(Case("cross-project", "alice", method, path, body, JSON))
    return cases


FAMILIES = (deep_json, unstorable_strings, bad_utf8_paths, bad_queries, microversions,
            traversal, ssrf, bad_patches, numbers_and_keys, media_types, methods, overlong,
            authentication, cross_project)
#: Families refused before any database access (decoding, media type, method, the
#: credentials): the same on every database, so SQLite gets them all and the others a
#: sample (``SAMPLE``), to keep the suite lean.
BEFORE_THE_DATABASE = (deep_json, bad_utf8_paths, bad_queries, microversions, media_types,
                       methods, overlong, authentication)
SAMPLE = 4
