"""In-process API checks on SQLite: bad input is a 4xx with a message, never a 500;
microversions; auth strategies reject what they must."""

import json
import os
import time
import uuid

from webob import Request

from accel_api.api.app import load_conf, make_app
from accel_api.db import engine, migrate
from tests.accel_api_helpers import inventory, write_htpasswd
from tests.unit import base


def _call(app, method, path, body=None, headers=None, raw=None):
    req = Request.blank(path, method=method, headers=headers or {})
    if body is not None or raw is not None:
        req.body = raw if raw is not None else json.dumps(body).encode()
        req.content_type = "application/json"
    return req.get_response(app)


def _fault(resp):
    return json.loads(resp.json["error_message"])["faultstring"]


BIND = [{"path": "/hostname", "op": "add", "value": "h1"},
        {"path": "/device_rp_uuid", "op": "add", "value": str(uuid.uuid4())},
        {"path": "/instance_uuid", "op": "add", "value": str(uuid.uuid4())}]


def _conf(tmp_path, config="", **api):
    path = tmp_path / "accel-api.conf"
    path.write_text(config)
    conf = load_conf(args=["--config-file", str(path)])
    conf.set_override("state_dir", str(tmp_path))
    for key, value in api.items():
        conf.set_override(key, value, "api")
    migrate.upgrade(engine.default_url(str(tmp_path)))
    return conf


BAD_INPUT_IS_A_4XX_WITH_A_MESSAGE_CASES = [
    ("POST", "/v2/accelerator_requests", {"device_profile_name": "nope"}, None, 404,
     "nope"),
    ("POST", "/v2/accelerator_requests", {"device_profile_name": 5}, None, 400, "string"),
    ("POST", "/v2/accelerator_requests", None, b"{not json", 400, "JSON"),
    ("POST", "/v2/accelerator_requests", None, b"", 400, "body is required"),
    ("POST", "/v2/accelerator_requests", None, b"x" * 5000, 413, "larger"),
    ("GET", "/v2/accelerator_requests/not-a-uuid", None, None, 400, "UUID"),
    ("GET", f"/v2/accelerator_requests/{uuid.uuid4()}", None, None, 404, "not found"),
    ("GET", "/v2/accelerator_requests?bind_state=bound", None, None, 400, "resolved"),
    ("PATCH", "/v2/accelerator_requests", {"x": BIND}, None, 400, "invalid"),
    ("PATCH", "/v2/accelerator_requests", {str(uuid.uuid4()): [
        {"path": "/hostname", "op": "replace", "value": "h"}]}, None, 400, "invalid"),
    ("PATCH", "/v2/accelerator_requests", {str(uuid.uuid4()): BIND[:2]}, None, 400,
     "absent"),
    ("PATCH", "/v2/accelerator_requests", {str(uuid.uuid4()): [
        BIND[0], {"path": "/device_rp_uuid", "op": "remove"}]}, None, 400, "every op"),
    ("PATCH", "/v2/accelerator_requests", {str(uuid.uuid4()): BIND}, None, 404,
     "not found"),
    ("DELETE", "/v2/accelerator_requests", None, None, 400, "either"),
    ("DELETE", "/v2/accelerator_requests?arqs=1,2", None, None, 400, "UUID"),
    ("POST", "/v2/device_profiles", [{"name": "bad name", "groups": [{}]}], None, 400,
     "invalid"),
    ("POST", "/v2/device_profiles", [{"name": "x", "groups": [{"resources:FPGA": "0"}]}],
     None, 400, "positive"),
    ("POST", "/v2/device_profiles", [{"name": "dp", "groups": [{"resources:FPGA": "1"}]}],
     None, 409, "exists"),
    ("GET", "/v2/device_profiles/dp", None, None, 406, "2.2"),  # Cyborg's NotAcceptable
    ("POST", "/v2/device_profiles", [{"name": "y", "uuid": "not-a-uuid",
                                      "groups": [{"resources:FPGA": "1"}]}], None, 400, "uuid"),
    ("PUT", "/v2/hosts/h1/inventory", {"schema_version": "1.0"}, None, 400, "host"),
    ("PUT", "/v2/hosts/other/inventory", inventory("h1", 1, 1), None, 400, "not 'other'"),
    ("POST", "/v2/claims", {"hostname": "h1", "resource_class": "fpga"}, None, 400,
     "invalid"),
    ("POST", "/v2/attributes", {"deployable_id": 999, "key": "k", "value": "v"}, None, 400,
     "does not exist"),
    ("GET", "/v2/nowhere", None, None, 404, "no resource"),
]


MICROVERSIONS_CASES = [
    (None, 200, "accelerator 2.0"), ("accelerator 2.3", 200, "accelerator 2.3"),
    ("accelerator latest", 200, "accelerator 2.3"), ("accelerator 2.4", 406, None),
    ("accelerator two", 400, None), ("compute 2.90", 200, "accelerator 2.0")]


class TestApiInputs(base.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        state = str(cls.class_tmp_dir("accel-state-"))
        conf = load_conf(args=[])
        conf.set_override("state_dir", state)
        conf.set_override("max_request_body_size", 4096, "api")
        migrate.upgrade(engine.default_url(state))
        cls.app = make_app(conf)
        _call(cls.app, "PUT", "/v2/hosts/h1/inventory", inventory("h1", 1, 1))
        _call(cls.app, "POST", "/v2/device_profiles",
              [{"name": "dp", "groups": [{"resources:FPGA": "1"}]}])

    def test_bad_input_is_a_4xx_with_a_message(self):
        for method, path, body, raw, status, words in BAD_INPUT_IS_A_4XX_WITH_A_MESSAGE_CASES:
            with self.subTest(method=method, path=path, body=body, raw=raw, status=status,
                              words=words):
                resp = _call(self.app, method, path, body, raw=raw)
                self.assertEqual(resp.status_int, status, resp.body)
                self.assertIn(words, _fault(resp))

    def test_wrong_method_is_405(self):
        resp = _call(self.app, "PUT", "/v2/devices")
        self.assertEqual(resp.status_int, 405)
        self.assertEqual(resp.headers["Allow"], "GET, HEAD")

    def test_microversions(self):
        for header, status, answered in MICROVERSIONS_CASES:
            with self.subTest(header=header, status=status, answered=answered):
                resp = _call(self.app, "GET", "/v2/device_profiles",
                             headers={"OpenStack-API-Version": header} if header else {})
                self.assertEqual(resp.status_int, status)
                if answered:
                    self.assertEqual(resp.headers["OpenStack-API-Version"], answered)

    def test_profile_by_name_from_2_2_and_device_status_from_2_3(self):
        v22 = {"OpenStack-API-Version": "accelerator 2.2"}
        self.assertEqual(_call(self.app, "GET", "/v2/device_profiles/dp", headers=v22).json[
            "device_profile"]["name"], "dp")
        self.assertNotIn("status", _call(self.app, "GET", "/v2/devices").json["devices"][0])
        v23 = {"OpenStack-API-Version": "accelerator 2.3"}
        self.assertEqual(_call(self.app, "GET", "/v2/devices", headers=v23).json["devices"][0][
            "status"], "enabled")

    def test_project_id_in_a_bind_needs_2_1(self):
        resp = _call(self.app, "PATCH", "/v2/accelerator_requests",
                     {str(uuid.uuid4()): BIND + [{"path": "/project_id", "op": "add",
                                                   "value": "p"}]})
        self.assertEqual(resp.status_int, 406)

    def test_keystone_strategy_rejects_requests_without_a_token(self):
        tmp_path = self.tmp_dir()
        config = "[keystone_authtoken]\nwww_authenticate_uri = http://127.0.0.1:5000/v3\n"
        app = make_app(_conf(tmp_path, config, auth_strategy="keystone"))
        self.assertEqual(_call(app, "GET", "/").status_int, 200)
        self.assertEqual(_call(app, "GET", "/v2/devices").status_int, 401)
        forged = {"X-Roles": "admin", "X-Project-Id": "admin", "X-Identity-Status": "Confirmed"}
        self.assertEqual(_call(app, "GET", "/v2/devices", headers=forged).status_int, 401)

    def test_http_basic_ignores_forged_identity_headers(self):
        tmp_path = self.tmp_dir()
        htpasswd = tmp_path / "htpasswd"
        write_htpasswd(htpasswd, {"carol": "pw"})
        conf = _conf(tmp_path, auth_strategy="http_basic")
        conf.set_override("auth_file", str(htpasswd), "http_basic")
        conf.set_override("user_roles", {"carol": "member"}, "http_basic")
        conf.set_override("user_projects", {"carol": "pc"}, "http_basic")
        app = make_app(conf)
        import base64

        auth = {"Authorization": "Basic " + base64.b64encode(b"carol:pw").decode(),
                "X-Roles": "admin"}
        self.assertEqual(_call(app, "GET", "/v2/devices", headers=auth).status_int, 403)
        self.assertEqual(
            _call(app, "GET", "/v2/accelerator_requests", headers=auth).status_int, 200)
        auth["Authorization"] = "Basic " + base64.b64encode(b"carol:no").decode()
        self.assertEqual(
            _call(app, "GET", "/v2/accelerator_requests", headers=auth).status_int, 401)

    def test_noauth_warns_loudly(self):
        tmp_path = self.tmp_dir()
        logs = self.capture_logs("WARNING")
        make_app(_conf(tmp_path))
        self.assertIn("EVERY CALLER IS ADMIN", logs.output)

    def test_http_basic_remembers_a_verified_password_not_a_failed_one(self):
        tmp_path = self.tmp_dir()
        import base64

        from accel_api.auth import http_basic

        checks = []
        real = http_basic.bcrypt.checkpw

        def _counting(password, hashed):
            checks.append(password)
            return real(password, hashed)

        self.patch(http_basic.bcrypt, "checkpw", _counting)
        htpasswd = tmp_path / "htpasswd"
        write_htpasswd(htpasswd, {"carol": "pw"})
        conf = _conf(tmp_path, auth_strategy="http_basic")
        conf.set_override("auth_file", str(htpasswd), "http_basic")

        def _get(user, password):
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            return _call(app, "GET", "/v2/accelerator_requests",
                         headers={"Authorization": f"Basic {token}"}).status_int

        app = make_app(conf)
        self.assertEqual([_get("carol", "pw") for _ in range(3)], [200] * 3)
        self.assertEqual(len(checks), 1)  # bcrypt once, then remembered
        self.assertEqual([_get("carol", "wrong") for _ in range(2)], [401] * 2)
        self.assertEqual(len(checks), 3)  # failures are checked every time
        write_htpasswd(htpasswd, {"carol": "new-pw"})
        os.utime(htpasswd, ns=(time.time_ns(), time.time_ns() + 10**9))  # a later mtime
        self.assertEqual(_get("carol", "pw"), 401)  # the old password is forgotten with the file
        self.assertEqual(_get("carol", "new-pw"), 200)
        conf.set_override("verified_cache_seconds", 0, "http_basic")
        app = make_app(conf)
        before = len(checks)
        self.assertEqual([_get("carol", "new-pw") for _ in range(2)], [200] * 2)
        self.assertEqual(len(checks), before + 2)  # 0: bcrypt on every request
