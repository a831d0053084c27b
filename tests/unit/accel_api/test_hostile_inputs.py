"""In-process: each class of hostile input is a 4xx in Cyborg's JSON shape with a reason,
on every route it reaches, never a 5xx, an empty body or a traceback; and errors of the
auth layers are JSON too (keystonemiddleware, http_basic, anything escaping them)."""

import base64
import json
import os
import socket
import uuid

import yaml
from webob import Request

from accel_api.api import guard, openapi
from accel_api.api.app import load_conf, make_app
from accel_api.db import engine, migrate
from tests.accel_api_helpers import inventory, write_htpasswd
from tests.unit import base

JSON_ROUTES = []  # (method, path template) of every route with a JSON body
ALL_ROUTES = []
for _path, _ops in yaml.safe_load(open(openapi.PATH)).get("paths", {}).items():
    for _method, _op in _ops.items():
        ALL_ROUTES.append((_method.upper(), _path))
        if "application/json" in _op.get("requestBody", {}).get("content", {}):
            JSON_ROUTES.append((_method.upper(), _path))


def _fill(template):
    return (template.replace("{hostname}", "h1").replace("{name_or_uuid}", "dp")
            .replace("{uuid}", str(uuid.uuid4()))
            .replace("{deployable_uuid}", str(uuid.uuid4())))


def _state(test, config=""):
    state = str(test.tmp_dir())
    path = os.path.join(state, "accel-api.conf")
    with open(path, "w") as f:
        f.write(config)
    conf = load_conf(args=["--config-file", path])
    conf.set_override("state_dir", state)
    migrate.upgrade(engine.default_url(state))
    return conf, state


def call(app, method, path, raw=None, headers=None, environ=None):
    """One request; ``path`` may hold raw (PEP 3333, latin-1) bytes and a query."""
    req = Request.blank("/", method=method, headers=headers or {})
    target, _, query = path.partition("?")
    req.environ["PATH_INFO"], req.environ["QUERY_STRING"] = target, query
    if raw is not None:
        req.body = raw
        req.content_type = "application/json"
    req.environ.update(environ or {})
    return req.get_response(app)


class ApiCase(base.TestCase):
    """An accel-api on SQLite (noauth) with one host and one device profile."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.state = str(cls.class_tmp_dir())
        conf = load_conf(args=[])
        conf.set_override("state_dir", cls.state)
        conf.set_override("max_request_body_size", 64 * 1024, "api")
        migrate.upgrade(engine.default_url(cls.state))
        cls.app = make_app(conf)
        assert call(cls.app, "PUT", "/v2/hosts/h1/inventory",
                    json.dumps(inventory("h1", 1, 1)).encode()).status_int == 200
        assert call(cls.app, "POST", "/v2/device_profiles", json.dumps(
            [{"name": "dp", "groups": [{"resources:FPGA": "1"}]}]).encode()).status_int == 201

    def assertClientError(self, resp, *words, status=None):
        """A 4xx, in Cyborg's shape, whose reason holds ``words``, with no traceback."""
        self.assertGreaterEqual(resp.status_int, 400, resp.body[:300])
        self.assertLess(resp.status_int, 500, resp.body[:300])
        if status is not None:
            self.assertEqual(resp.status_int, status, resp.body[:300])
        self.assertEqual(resp.content_type, "application/json")
        fault = json.loads(resp.json["error_message"])
        self.assertEqual(fault["faultcode"], "Client")
        self.assertNotIn("Traceback", resp.text)
        for word in words:
            self.assertIn(word, fault["faultstring"])
        return fault["faultstring"]


class JsonBodiesTest(ApiCase):
    def test_json_nested_10000_deep_on_every_json_route(self):
        self.assertTrue(JSON_ROUTES)
        for method, template in JSON_ROUTES:
            for raw in (b"[" * 10000 + b"]" * 10000, b'{"a":' * 10000 + b"1" + b"}" * 10000):
                with self.subTest(route=f"{method} {template}", raw=raw[:3]):
                    resp = call(self.app, method, _fill(template), raw)
                    self.assertClientError(resp, "nested deeper than 32 levels")

    def test_strings_no_database_stores_on_every_json_route(self):
        for method, template in JSON_ROUTES:
            for raw, words in ((b'{"x": "\\ud800"}', "surrogate"), (b'{"y": ["a\\u0000"]}', "NUL"),
                               (b'{"\\udc00": 1}', "surrogate")):
                with self.subTest(route=f"{method} {template}", words=words):
                    self.assertClientError(call(self.app, method, _fill(template), raw), words)

    def test_numbers_duplicates_and_media_types(self):
        cases = [(b'{"device_profile_name": "dp", "device_profile_group_id": 1'
                  + b"0" * 5000 + b"}", "digits", None),
                 (b'{"device_profile_name": "dp", "device_profile_group_id": NaN}', "NaN", None),
                 (b'{"device_profile_name": "a", "device_profile_name": "dp"}', "twice", None),
                 (b"\xff\xfe", "UTF-8", None)]
        for raw, words, _ in cases:
            with self.subTest(words=words):
                self.assertClientError(call(self.app, "POST", "/v2/accelerator_requests", raw),
                                       words, status=400)
        resp = call(self.app, "POST", "/v2/accelerator_requests",
                    b"device_profile_name=dp", environ={"CONTENT_TYPE": "text/plain"})
        self.assertClientError(resp, "application/json", status=415)
        resp = call(self.app, "POST", "/v2/accelerator_requests", b'{"device_profile_name":"dp"}',
                    environ={"CONTENT_TYPE": "application/x-www-form-urlencoded"})
        self.assertClientError(resp, status=415)

    def test_chunked_bodies_are_read_no_further_than_the_limit(self):
        class Endless:
            read_bytes = 0

            def read(self, size=-1):
                self.read_bytes += size
                return b"[" * size

        for method, template in JSON_ROUTES:
            with self.subTest(route=f"{method} {template}"):
                body = Endless()
                resp = call(self.app, method, _fill(template), environ={
                    "wsgi.input": body, "wsgi.input_terminated": True, "CONTENT_LENGTH": ""})
                self.assertClientError(resp, "larger than", status=413)
                limit = 16 * 1024 * 1024 if template.endswith("/inventory") else 64 * 1024
                self.assertLessEqual(body.read_bytes, limit + 64 * 1024)

    def test_content_length_must_be_a_byte_count(self):
        for value in ("abc", "-1", "²", "1e3", "٣"):
            with self.subTest(value=value):
                resp = call(self.app, "POST", "/v2/accelerator_requests",
                            environ={"CONTENT_LENGTH": value})
                self.assertClientError(resp, "Content-Length", status=400)

    def test_a_body_shorter_than_its_content_length(self):
        import io

        resp = call(self.app, "POST", "/v2/accelerator_requests", environ={
            "wsgi.input": io.BytesIO(b'{"device_profile_name"'), "CONTENT_LENGTH": "100"})
        self.assertClientError(resp, "ended", status=400)


class TargetsTest(ApiCase):
    def test_invalid_utf8_in_the_path_of_every_route(self):
        for method, template in ALL_ROUTES:
            # PEP 3333: PATH_INFO holds the percent-decoded bytes as latin-1 characters.
            for bad in ("\xff\xfe", "\xed\xa0\x80", "\xc3"):
                path = template.replace("{", "").replace("}", "")
                path = path.rsplit("/", 1)[0] + "/" + bad if "/" in path[1:] else "/" + bad
                with self.subTest(route=f"{method} {template}", bad=bad):
                    self.assertClientError(call(self.app, method, path), "path", status=400)

    def test_a_path_a_server_decoded_lossily(self):
        # granian hands the app U+FFFD where the path's bytes were not UTF-8.
        resp = call(self.app, "PUT", "/v2/hosts/\xef\xbf\xbd\xef\xbf\xbd/agent",
                    b'{"rpc_host": "192.0.2.1", "rpc_port": 1}')
        self.assertClientError(resp, "U+FFFD", status=400)

    def test_control_characters_and_overlong_paths(self):
        self.assertClientError(call(self.app, "GET", "/v2/hosts/a\x00b"), "NUL", status=400)
        self.assertClientError(call(self.app, "GET", "/v2/hosts/a\nb"), "control", status=400)
        self.assertClientError(call(self.app, "GET", "/v2/hosts/" + "a" * 5000), status=414)
        self.assertClientError(call(self.app, "GET", "/v2/devices?type=" + "a" * 50000),
                               status=414)

    def test_invalid_utf8_and_unstorable_text_in_query_strings(self):
        queries = [("/v2/devices?type=%ff%fe", "UTF-8"), ("/v2/devices?type=%ed%a0%80", "UTF-8"),
                   ("/v2/devices?ty%ffpe=1", "UTF-8"), ("/v2/bitstreams?name=a%00b", "NUL"),
                   ("/v2/deployables?hostname=\xff", "UTF-8")]
        for path, words in queries:
            with self.subTest(path=path):
                self.assertClientError(call(self.app, "GET", path), words, status=400)

    def test_non_ascii_digits_where_numbers_are_parsed(self):
        for digits in ("%C2%B2", "%D9%A3", "%EF%BC%91"):  # ², Arabic-Indic 3, fullwidth 1
            with self.subTest(digits=digits):
                resp = call(self.app, "GET", f"/v2/attributes?deployable_id={digits}")
                self.assertClientError(resp, "digits 0-9", status=400)
                raw = json.dumps([{"name": f"p{len(digits)}", "groups": [
                    {"resources:FPGA": bytes.fromhex(digits.replace("%", "")).decode()}]}])
                resp = call(self.app, "POST", "/v2/device_profiles", raw.encode())
                self.assertClientError(resp, "digits 0-9", status=400)

    def test_microversion_headers(self):
        for value, status in (("accelerator 2." + "9" * 5000, 400), ("accelerator 2.٣", 400),
                              ("accelerator ٢.١", 400), ("accelerator " + "9" * 4000, 400),
                              ("accelerator 99.99", 406)):
            with self.subTest(value=value[:30]):
                resp = call(self.app, "GET", "/v2",
                            headers={"OpenStack-API-Version": value})
                self.assertClientError(resp, "OpenStack-API-Version" if status == 400
                                       else "not supported", status=status)
        resp = call(self.app, "GET", "/v2", headers={"OpenStack-API-Version": "accelerator 2.3"})
        self.assertEqual(resp.headers["OpenStack-API-Version"], "accelerator 2.3")

    def test_methods(self):
        resp = call(self.app, "HEAD", "/v2/device_profiles")
        self.assertEqual((resp.status_int, resp.body), (200, b""))
        for method in ("OPTIONS", "TRACE", "FOO", "CONNECT"):
            with self.subTest(method=method):
                resp = call(self.app, method, "/v2/device_profiles")
                self.assertClientError(resp, status=405)
                self.assertEqual(resp.headers["Allow"], "DELETE, GET, HEAD, POST")


class AuthLayersTest(base.TestCase):
    assertClientError = ApiCase.assertClientError

    def assertServerError(self, resp, status, *words):
        self.assertEqual(resp.status_int, status, resp.body[:300])
        self.assertEqual(resp.content_type, "application/json")
        fault = json.loads(resp.json["error_message"])
        self.assertEqual(fault["faultcode"], "Server")
        for word in words:
            self.assertIn(word, fault["faultstring"])

    def test_anything_escaping_a_layer_is_a_json_error(self):
        def broken(environ, start_response):
            raise RuntimeError("secret detail")

        resp = Request.blank("/v2/devices").get_response(guard.JsonErrors(broken))
        self.assertServerError(resp, 500, "see the server log")
        self.assertNotIn("secret", resp.text)

        def html(environ, start_response):
            start_response("503 Service Unavailable", [("Content-Type", "text/html"),
                                                       ("Retry-After", "5")])
            return [b"<html>down</html>"]

        resp = Request.blank("/").get_response(guard.JsonErrors(html, {503: "it is down"}))
        self.assertServerError(resp, 503, "it is down")
        self.assertEqual(resp.headers["Retry-After"], "5")

    def test_unreachable_keystone_is_a_json_503_with_the_reason(self):
        with socket.socket() as s:  # a port nothing listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        conf, _ = _state(self, (
            "[api]\nauth_strategy = keystone\n[keystone_authtoken]\n"
            f"www_authenticate_uri = http://127.0.0.1:{port}/v3\n"
            f"auth_url = http://127.0.0.1:{port}/v3\nauth_type = password\nusername = a\n"
            "password = b\nproject_name = s\nuser_domain_name = Default\n"
            "project_domain_name = Default\n"))
        app = make_app(conf)
        resp = call(app, "GET", "/v2/devices", headers={"X-Auth-Token": "t"})
        self.assertServerError(resp, 503, "Keystone", "cannot be reached")
        resp = call(app, "GET", "/v2/devices")  # no token: keystonemiddleware's 401
        self.assertClientError(resp, status=401)
        self.assertIn("Keystone uri=", resp.headers["WWW-Authenticate"])

    def test_a_wrong_identity_endpoint_is_a_json_error_not_an_empty_500(self):
        import http.server
        import threading

        class NotKeystone(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<html>not keystone</html>")

            do_POST = do_GET

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotKeystone)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        url = f"http://127.0.0.1:{server.server_address[1]}/v3"
        conf, _ = _state(self, (
            f"[api]\nauth_strategy = keystone\n[keystone_authtoken]\nwww_authenticate_uri = "
            f"{url}\nauth_url = {url}\nauth_type = password\nusername = a\npassword = b\n"
            "project_name = s\nuser_domain_name = Default\nproject_domain_name = Default\n"))
        resp = call(make_app(conf), "GET", "/v2/devices", headers={"X-Auth-Token": "t"})
        self.assertServerError(resp, 500, "[keystone_authtoken]")

    def _basic_app(self):
        conf, state = _state(self, "[api]\nauth_strategy = http_basic\n")
        htpasswd = os.path.join(state, "htpasswd")
        write_htpasswd(htpasswd, {"carol": "pw"})
        with open(htpasswd, "a") as f:
            f.write("mallory:$2b$04$not-a-usable-bcrypt-hash\n")
        conf.set_override("auth_file", htpasswd, "http_basic")
        return make_app(conf), htpasswd

    @staticmethod
    def _basic(user, password):
        token = base64.b64encode(f"{user}:{password}".encode("utf-8", "surrogatepass"))
        return {"Authorization": "Basic " + token.decode()}

    def test_http_basic_errors_are_json(self):
        app, htpasswd = self._basic_app()
        for headers, words in (
                (self._basic("carol", "x" * 100), "72 bytes"),
                (self._basic("mallory", "pw"), "Invalid"),
                (self._basic("carol\udc80", "pw"), "Malformed"),
                ({"Authorization": "Basic !!!"}, "Malformed"),
                ({"Authorization": "Basic"}, "Malformed"),
                ({"Authorization": "Bearer abc"}, "Malformed"),
                ({}, "required")):
            with self.subTest(headers=headers):
                resp = call(app, "GET", "/v2/devices", headers=headers)
                self.assertClientError(resp, words, status=401)
        self.assertEqual(call(app, "GET", "/v2/accelerator_requests",
                              headers=self._basic("carol", "pw")).status_int, 200)
        os.unlink(htpasswd)
        resp = call(app, "GET", "/v2/accelerator_requests", headers=self._basic("carol", "pw"))
        self.assertServerError(resp, 503, "cannot read its user file")


class DatabaseRefusalsTest(ApiCase):
    def test_a_value_the_database_refuses_is_a_400_not_a_500(self):
        from sqlalchemy import exc as sa_exc

        api = self.app.app  # inside guard.JsonErrors and the auth layer
        while not hasattr(api, "router"):
            api = api.app
        route = next(r for r in api.router.routes
                     if (r.method, r.template) == ("GET", "/v2/hosts"))
        original = route.handler

        def refused(req):
            raise sa_exc.DataError("INSERT ...", {}, Exception("value too long"))

        route.handler = refused
        self.addCleanup(setattr, route, "handler", original)
        resp = call(self.app, "GET", "/v2/hosts")
        self.assertClientError(resp, "cannot be stored", status=400)
