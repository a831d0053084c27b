"""accel_client's pieces without a server: the progress bar, the hashing reader, error
sentences, the endpoint root, and the plugin's registration in setup.cfg."""

import configparser
import hashlib
import io
import json
import pathlib
from unittest import mock

from keystoneauth1 import session as ks_session
from keystoneauth1.noauth import NoAuth

from accel_client import http, progress
from accel_client.osc import plugin
from tests.unit import base

TOP = pathlib.Path(__file__).resolve().parents[3]


class _Tty(io.StringIO):
    def isatty(self):
        return True


class TestProgress(base.TestCase):
    def test_a_log_gets_one_line_per_tenth_and_the_end(self):
        out = io.StringIO()
        bar = progress.ProgressBar(1000, out, "x ")
        for done in range(0, 1001, 10):
            bar.update(done)
        bar.update(1000, final=True)
        lines = out.getvalue().splitlines()
        self.assertEqual([line.split("]")[1].split("%")[0].strip() for line in lines],
                         [str(p) for p in range(0, 101, 10)])
        self.assertTrue(lines[-1].startswith("x [" + "#" * 30 + "] 100%"))
        self.assertTrue(lines[-1].endswith("1000 B/1000 B"))

    def test_a_terminal_is_redrawn_in_place(self):
        out = _Tty()
        bar = progress.ProgressBar(4 << 20, out)
        bar.update(1 << 20)
        bar.update(4 << 20, final=True)
        text = out.getvalue()
        self.assertEqual(text.count("\r"), 2)
        self.assertTrue(text.endswith("100%  4.0 MiB/4.0 MiB\n"))

    def test_the_reader_hashes_what_it_hands_out(self):
        path = self.tmp_dir() / "blob"
        data = bytes(range(256)) * 300
        path.write_bytes(data)
        out = io.StringIO()
        with progress.HashingReader(str(path), progress.ProgressBar(len(data), out)) as r:
            self.assertEqual(len(r), len(data))
            got = b"".join(iter(lambda: r.read(8192), b""))
        self.assertEqual(got, data)
        self.assertEqual(r.sha512.hexdigest(), hashlib.sha512(data).hexdigest())
        self.assertEqual(r.sha256.hexdigest(), hashlib.sha256(data).hexdigest())
        self.assertEqual(progress.file_digest(str(path), "sha256"),
                         hashlib.sha256(data).hexdigest())
        self.assertIn("100%", out.getvalue())


class _Resp:
    def __init__(self, body, text=None, reason="Bad Request"):
        self._body, self.text, self.reason = body, text or json.dumps(body), reason

    def json(self):
        if self._body is None:
            raise ValueError("no JSON")
        return self._body


class TestHttp(base.TestCase):
    def test_fault_reads_cyborgs_error_shape(self):
        wsme = {"error_message": json.dumps({"faultstring": "bitstream x not found",
                                             "faultcode": "Client"})}
        self.assertEqual(http.fault(_Resp(wsme)), "bitstream x not found")
        self.assertEqual(http.fault(_Resp({"error_message": "plain"})), "plain")
        self.assertEqual(http.fault(_Resp(None, text="  proxy said no \n")), "proxy said no")
        self.assertEqual(http.fault(_Resp({"other": 1})), '{"other": 1}')

    def test_the_root_drops_a_catalog_v2_suffix(self):
        for endpoint, root in (("http://h:6666", "http://h:6666"),
                               ("http://h:6666/", "http://h:6666"),
                               ("http://h/accelerator/v2", "http://h/accelerator"),
                               ("http://h/accelerator/v2/", "http://h/accelerator")):
            with self.subTest(endpoint=endpoint):
                client = http.AccelApiClient(ks_session.Session(auth=NoAuth(endpoint=endpoint)))
                self.assertEqual(client.root, root)

    def test_no_endpoint_is_a_clear_error(self):
        client = http.AccelApiClient(ks_session.Session(auth=NoAuth()))
        with self.assertRaisesRegex(http.ClientError, "no accel-api endpoint"):
            _ = client.root

    def test_an_unreachable_server_is_one_sentence(self):
        client = http.AccelApiClient(ks_session.Session(auth=NoAuth(
            endpoint="http://127.0.0.1:9")))
        with self.assertRaisesRegex(http.ClientError, "cannot reach accel-api at "
                                                      "http://127.0.0.1:9"):
            client.get("/v2/bitstreams")


class TestPlugin(base.TestCase):
    def test_every_command_of_the_plugin_is_registered(self):
        cfg = configparser.ConfigParser()
        cfg.read(TOP / "setup.cfg")
        eps = cfg["entry_points"]
        self.assertEqual(eps["openstack.cli.extension"].strip(),
                         f"{plugin.API_NAME} = accel_client.osc.plugin")
        group = f"openstack.{plugin.API_NAME}.v{plugin.DEFAULT_API_VERSION}"
        names = []
        for line in eps[group].strip().splitlines():
            name, target = (part.strip() for part in line.split("="))
            module, cls = target.split(":")
            names.append(name)
            with self.subTest(name=name):
                mod = __import__(module, fromlist=[cls])
                self.assertTrue(getattr(mod, cls).__doc__)
        # Beside OSC's own accelerator commands (Cyborg's API), never on top of them.
        taken = ("accelerator_arq_", "accelerator_deployable_", "accelerator_device_")
        self.assertFalse([n for n in names if n.startswith(taken)])
        self.assertEqual(sorted(names), names)

    def test_make_client_uses_osc_session_and_endpoint_override(self):
        session = ks_session.Session(auth=NoAuth(endpoint="http://catalog:1"))
        cloud = mock.Mock()
        cloud.get_endpoint.return_value = "http://override:6666/v2"
        instance = mock.Mock(session=session, interface="public", region_name="r1",
                             _cli_options=cloud)
        client = plugin.make_client(instance)
        cloud.get_endpoint.assert_called_once_with("accelerator")
        self.assertEqual(client.root, "http://override:6666")
        self.assertIs(client.adapter.session, session)
