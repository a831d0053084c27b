"""The hostile-input suite: every route of openapi.yaml, every family of hostile input
(cases.py), against a live accel-api with http_basic, two projects, a service user, an
admin and anonymous clients; on SQLite, PostgreSQL and MariaDB.

Each refused request must be a 4xx in Cyborg's JSON shape without any stack or
library text, and leave every table and the bitstream store exactly as they were
(``harness.dump`` before and after each family). Floods and upload races check that
nothing answers 5xx under concurrency and that what the API shows stays true.
"""

import concurrent.futures
import hashlib
import re
import time

import pytest

from tests.accel_api_helpers import DATABASE_KINDS, inventory, scratch_database
from tests.functional.hostile import cases as hostile
from tests.functional.hostile import harness

pytestmark = pytest.mark.functional
SENT = {}  # database kind -> requests sent (printed at the end of the module)


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def api(request):
    started = time.monotonic()
    with scratch_database(request.param) as url, harness.live_api(url) as live:
        live.kind = request.param
        yield live
    print(f"\nhostile suite on {request.param}: {SENT.get(request.param, 0)} requests in "
          f"{time.monotonic() - started:.1f} s")


def _send_all(api, cases, threads=4):
    def one(case):
        return case, case.send(api)

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        answers = list(pool.map(one, cases))
    SENT[api.kind] = SENT.get(api.kind, 0) + len(answers)
    return answers


@pytest.fixture(scope="module")
def generated(api):
    """{family: its cases} for this server's seeded ids (made once per database); of the
    families refused before the database, every ``SAMPLE``-th case but on SQLite."""
    out = {family: family(api.ids) for family in hostile.FAMILIES}
    if api.kind != "sqlite":
        for family in hostile.BEFORE_THE_DATABASE:
            out[family] = out[family][::hostile.SAMPLE]
    return out


@pytest.mark.parametrize("family", hostile.FAMILIES, ids=lambda f: f.__name__)
def test_refused_with_a_reason_and_nothing_changed(api, generated, family):
    cases = generated[family]
    assert cases, family.__name__
    before = harness.dump(api)
    problems = []
    for case, answer in _send_all(api, cases):
        problems += hostile.check(case, answer)
    after = harness.dump(api)
    changed = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
    assert not problems, f"{len(problems)} of {len(cases)}:\n" + "\n".join(problems[:40])
    assert not changed, f"refused requests changed {sorted(changed)}: {changed}"


def test_every_route_meets_the_families(api):
    """The families reach every route of the OpenAPI document (a new route is covered
    without anyone writing cases for it), each by more than one."""
    reached = {}
    for family in hostile.FAMILIES:
        cases = family(api.ids)
        for case in cases:
            reached.setdefault((case.method, case.path.split("?")[0]), set()).add(family)
    for method, template, _ in hostile.routes():
        pattern = re.compile(re.sub(r"\{[a-z_]+\}", "[^/]*", template))
        families = set().union(*[f for (m, p), f in reached.items()
                                  if m == method and pattern.fullmatch(p)])
        assert len(families) >= 2, (method, template, families)


def test_floods_answer_everything_without_a_server_error(api):
    """16 clients at once: creations, deletions, binds of one ARQ, bad bodies; every
    answer is a 2xx or a 4xx, and what was created is what was answered created."""
    admin, alice = api.client("admin"), api.client("alice")
    ops = []
    for i in range(40):
        ops.append(("admin", "POST", "/v2/device_profiles", [
            {"name": f"flood-{i % 20}", "groups": [{"resources:FPGA": "1"}]}]))
        ops.append(("admin", "DELETE", f"/v2/device_profiles/flood-{(i + 7) % 20}", None))
        ops.append(("alice", "POST", "/v2/accelerator_requests",
                    {"device_profile_name": "dp"}))
        ops.append(("service", "PUT", "/v2/hosts/h2/inventory",
                    inventory("h2", 1, 1, bus_base=0x5E) if i % 10 == 0
                    else {"schema_version": "1.0"}))
        ops.append(("alice", "POST", "/v2/claims", {"hostname": "h2", "resource_class": "FPGA"}))
        ops.append(("bob", "GET", "/v2/accelerator_requests", None))

    def one(op):
        principal, method, path, body = op
        return op, api.client(principal).request(method, path, json_body=body)

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(one, ops))
    SENT[api.kind] = SENT.get(api.kind, 0) + len(answers)
    errors = [(op[:3], a.status, a.body[:200]) for op, a in answers if a.status >= 500]
    assert not errors
    created = {op[3][0]["name"] for op, a in answers if op[2] == "/v2/device_profiles"
               and op[1] == "POST" and a.status == 201}
    deleted = {op[2].rsplit("/", 1)[1] for op, a in answers if op[1] == "DELETE"
               and a.status == 204}
    listed = {p["name"] for p in admin.get("/v2/device_profiles").json()["device_profiles"]
              if p["name"].startswith("flood-")}
    assert listed <= created and (created - deleted) <= listed | deleted
    arqs = [a.json()["arqs"][0]["uuid"] for op, a in answers
            if op[2] == "/v2/accelerator_requests" and a.status == 201]
    mine = {a["uuid"] for a in alice.get("/v2/accelerator_requests").json()["arqs"]}
    assert set(arqs) <= mine
    claims = [a.json() for op, a in answers if op[2] == "/v2/claims" and a.status == 201]
    # Never the same handle to two claims.
    assert len({c["pci_address"] for c in claims}) == len(claims)
    for claim in claims:
        assert alice.request("DELETE", f"/v2/claims/{claim['uuid']}").status == 204


def _verify_active(api, principal):
    """Every bitstream the API shows ``active`` has its bytes, with its sha256."""
    client = api.client(principal)
    shown = client.get("/v2/bitstreams").json()["bitstreams"]
    problems = []
    for b in shown:
        if b["status"] != "active":
            continue
        answer = client.get(f"/v2/bitstreams/{b['uuid']}/data")
        if answer.status != 200 or hashlib.sha256(answer.body).hexdigest() != b["sha256"]:
            problems.append((b["uuid"], answer.status))
    return problems


def test_upload_races_never_lose_stored_bytes(api):
    """Identical uploads to one record at once (a client's retry), identical bytes to
    two records while one is deleted, and deletes racing uploads: no 5xx, and every
    record shown active has its bytes."""
    alice = api.client("alice")
    data = b"the same bytes " * 2000
    failures = []
    for round_ in range(4):
        records = [alice.request("POST", "/v2/bitstreams", json_body={
            "name": f"race-{round_}-{i}"}).json()["uuid"] for i in range(3)]
        ops = [("PUT", records[0])] * 4 + [("PUT", records[1])] * 2 + [("PUT", records[2])] + [
            ("DELETE", records[1]), ("DELETE", records[2])]

        def one(op):
            method, ident = op
            if method == "PUT":
                return op, harness.upload(alice, ident, data)
            return op, alice.request("DELETE", f"/v2/bitstreams/{ident}")

        with concurrent.futures.ThreadPoolExecutor(len(ops)) as pool:
            answers = list(pool.map(one, ops))
        SENT[api.kind] = SENT.get(api.kind, 0) + len(answers) + 3
        failures += [(op, a.status, a.body[:200]) for op, a in answers
                     if a.status >= 500 or a.status not in (200, 204, 404, 409)]
        winners = [a for op, a in answers if op == ("PUT", records[0]) and a.status == 200]
        assert len(winners) == 1, [(op, a.status, a.body[:200]) for op, a in answers]
        failures += _verify_active(api, "alice")
    assert not failures


def test_names_that_differ_by_case_space_or_unicode_form_are_distinct(api):
    """Each database compares names alike: byte for byte (no case, accent, trailing-space
    or Unicode-normalisation folding), and stores any character, 4-byte ones too."""
    admin, service, alice = api.client("admin"), api.client("service"), api.client("alice")
    failures = []
    names = ["H1", "ｈ1", "caf\u00e9", "cafe\u0301", "cafe", "CAFE", "h\u0131",
             "emoji-\U0001F600", "ß", "ss"]
    # "h1 " is refused (a host name holds no whitespace) or another host than h1.
    spaced = service.request("PUT", "/v2/hosts/h1%20/inventory",
                             json_body=inventory("h1 ", 1, 1, bus_base=0x6F))
    if spaced.status == 200:
        names.append("h1 ")
    elif spaced.status != 400:
        failures.append(("h1 ", spaced.status, spaced.body[:200]))
    for i, name in enumerate(names):
        doc = inventory(name, 1, 1, bus_base=0x70 + i)
        answer = service.request("PUT", f"/v2/hosts/{_quote(name)}/inventory", json_body=doc)
        if answer.status != 200:
            failures.append((name, answer.status, answer.body[:200]))
    listed = [h["hostname"] for h in admin.get("/v2/hosts").json()["hosts"]]
    failures += [(name, "not listed exactly once") for name in names
                 if listed.count(name) != 1]
    for name in names:
        shown = admin.get(f"/v2/hosts/{_quote(name)}")
        if shown.status != 200 or shown.json()["hostname"] != name:
            failures.append((name, "shown as", shown.status, shown.body[:100]))
    for name in ("DP", "Dp", "dp-x", "DP-X"):
        answer = admin.request("POST", "/v2/device_profiles", json_body=[
            {"name": name, "description": "\U0001F680 é" * 30,
             "groups": [{"resources:FPGA": "1"}]}])
        if answer.status != 201:
            failures.append((name, answer.status, answer.body[:200]))
    answer = alice.request("POST", "/v2/bitstreams", json_body={
        "name": "\U0001F600" * 255, "vendor": "é" * 64, "type": "\u00e9\u0301" * 127})
    if answer.status != 201 or answer.json()["name"] != "\U0001F600" * 255:
        failures.append(("bitstream", answer.status, answer.body[:200]))
    for key in ("Seeded", "SEEDED"):
        answer = admin.request("POST", "/v2/attributes", json_body={
            "deployable_id": api.ids["deployable_id"], "key": key, "value": "é" * 4096})
        if answer.status != 201:
            failures.append((key, answer.status, answer.body[:200]))
    SENT[api.kind] = SENT.get(api.kind, 0) + 2 * len(names) + 9
    assert not failures


def _quote(name):
    import urllib.parse

    return urllib.parse.quote(name, safe="")


def _maximal_inventory(hostname):
    """An inventory whose free-text strings are all as long as the contract allows, in
    characters UTF-8 needs 2 to 4 bytes for."""
    doc = inventory(hostname, 1, 2, bus_base=0x90)
    doc["host"].update(system_uuid="u" * 64, kernel="\U0001F427" * 255,
                       sysfs_root="/" + "s" * 4095)
    doc["collected_at"] = "2026-12-01T10:00:00." + "1" * 38 + "+00:00"
    doc["collector"] = {"name": "\u00e9" * 255, "version": "v" * 64}
    device = doc["devices"][0]
    device.update(vendor="\U0001F600" * 255, product="\u00df" * 255, model="\u4e2d" * 255,
                  attributes={"k" * 128: "\u00e9" * 4096, "n": 1e308, "b": True})
    device["functions"][0].update(name="\u00e9" * 255, kernel_driver="d" * 64,
                                  local_cpulist="0," * 2047 + "1")
    device["firmware"] = [{"component": "c" * 64, "name": "\u00e9" * 255,
                           "version": "\U0001F600" * 255, "updatable": True,
                           "update_method": "fw_upload", "update_target": "t" * 4096,
                           "lowest_supported_version": "l" * 255}]
    dep = device["deployables"][0]
    dep["name"] = "\U0001F680" * 255
    dep["attributes"] = {"z" * 128: "\U0001F680" * 4096}
    return doc


def test_a_maximal_inventory_is_stored_on_every_database(api):
    """Every string of the contract at its maximum length, in multi-byte characters: the
    import stores it (or refuses it with a reason), never a database error."""
    service, admin = api.client("service"), api.client("admin")
    doc = _maximal_inventory("maximal")
    answer = service.request("PUT", "/v2/hosts/maximal/inventory", json_body=doc)
    SENT[api.kind] = SENT.get(api.kind, 0) + 3
    assert answer.status == 200, answer.body[:500]
    again = service.request("PUT", "/v2/hosts/maximal/inventory", json_body=doc)
    assert again.status == 200 and again.json()["devices"]["updated"] == 0, again.body[:300]
    shown = admin.get("/v2/hosts/maximal").json()
    assert shown["collector"] == f"{doc['collector']['name']} {doc['collector']['version']}"
