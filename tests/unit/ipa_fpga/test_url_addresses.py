"""Image URLs cannot make the ramdisk (or accel-agent) fetch from somewhere else (SSRF).

The URL's host is checked when the URL is (the step's arguments), every address its name
resolves to before connecting, the address each connection reached before a byte is
sent, and every redirect; ``[ipa_fpga] allowed_url_networks`` narrows it further.
Servers here are real ``http.server`` s on loopback; only name resolution is made up
(``socket.getaddrinfo``), for names no resolver here knows.
"""

import hashlib
import http.server
import os
import socket
import threading
from unittest import mock

from keystoneauth1 import session as ks_session

from accel_hosts import sysfs
from ipa_fpga import conf, errors, images, url_guard
from ipa_fpga.agent import program
from ipa_fpga.hardware_manager import AcceleratorHardwareManager
from tests.unit import base
from tests.unit.ipa_fpga import simulated

BODY = b"bitstream " * 64
CHECKSUM = "sha256:" + hashlib.sha256(BODY).hexdigest()
N3000 = "0000:3f:00.0"

#: URL -> what the refusal names (the rule); loopback is not allowed in these
REFUSED_AT_PARSE = {
    "http://169.254.169.254/latest/meta-data/": "'169.254.169.254' is a cloud metadata",
    "http://[fd00:ec2::254]/latest/": "'fd00:ec2::254' is a cloud metadata",
    "http://100.100.100.200/latest/": "'100.100.100.200' is a cloud metadata",
    "http://[::ffff:169.254.169.254]/": "'::ffff:169.254.169.254' is a cloud metadata",
    "http://[::ffff:a9fe:a9fe]/": "is a cloud metadata",
    "http://169.254.10.1/x.bin": "'169.254.10.1' is a link-local address",
    "http://[fe80::1]/x.bin": "'fe80::1' is a link-local address",
    "http://[fe80::1%25eth0]/x.bin": "carries a zone (link-local)",
    "http://0.0.0.0:8080/x.bin": "'0.0.0.0' is a unspecified address",
    "http://[::]/x.bin": "'::' is a unspecified address",
    "http://224.0.0.1/x.bin": "'224.0.0.1' is a multicast address",
    "http://[ff02::1]/x.bin": "'ff02::1' is a multicast address",
    "http://255.255.255.255/x.bin": "'255.255.255.255' is a reserved address",
    "http://240.0.0.1/x.bin": "'240.0.0.1' is a reserved address",
    "http://0x7f.1/x.bin": "'0x7f.1' is neither a host name",
    "http://0xa9fea9fe/x.bin": "nor an IP address in standard form",
    "http://2130706433/x.bin": "its last label is numeric",
    "http://0177.0.0.1/x.bin": "its last label is numeric",
    "http://127.1/x.bin": "its last label is numeric",
    "http://169.254.169.254./x.bin": "its last label is numeric",
    "http://%31%36%39.254.169.254/x.bin": "is not a host name (RFC 1123",
    "http://127.0.0.1/x.bin": "'127.0.0.1' is a loopback address (allowed only with "
                              "[ipa_fpga] allow_loopback_urls)",
    "http://[::1]/x.bin": "'::1' is a loopback address",
    "http://localhost/x.bin": "'localhost' is a loopback address",
    "http://images.localhost/x.bin": "'images.localhost' is a loopback address",
}


def _override(test, name, value):
    conf.cfg.CONF.set_override(name, value, group=conf.GROUP)
    test.addCleanup(conf.cfg.CONF.clear_override, name, group=conf.GROUP)


class _Handler(http.server.BaseHTTPRequestHandler):
    """``/image`` is the image; a path in ``server.redirects`` answers 302 there."""

    def do_GET(self):
        self.server.seen.append(self.path)
        if self.path in self.server.redirects:
            self.send_response(302)
            self.send_header("Location", self.server.redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


def _server(test):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.seen, server.redirects = [], {"/loop": "/loop"}
    threading.Thread(target=server.serve_forever, daemon=True).start()
    test.addCleanup(server.server_close)
    test.addCleanup(server.shutdown)
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _redirect(server, location):
    """A URL of ``server`` that answers 302 to ``location``."""
    path = f"/r{len(server.redirects)}"
    server.redirects[path] = location
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def _resolving(names, later=None):
    """``socket.getaddrinfo`` answering ``names`` (name -> address) itself, every other
    name as the system does; with ``later``, the second and later answers for a name
    are ``later[name]`` (a name that resolves differently when connecting)."""
    real = socket.getaddrinfo
    asked = {}

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host not in names:
            return real(host, port, family, type, proto, flags)
        asked[host] = asked.get(host, 0) + 1
        address = names[host] if not later or asked[host] == 1 else later[host]
        fam = socket.AF_INET6 if ":" in address else socket.AF_INET
        sockaddr = (address, port, 0, 0) if fam == socket.AF_INET6 else (address, port)
        return [(fam, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

    return mock.patch.object(socket, "getaddrinfo", side_effect=getaddrinfo)


class URLAddressRuleTest(base.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = str(self.tmp_dir())

    def assert_refused(self, url, words, **kwargs):
        with self.assertRaises(errors.ImageError) as caught:
            images.fetch(url, CHECKSUM, dest_dir=self.dir, **kwargs)
        self.assertIn(words, str(caught.exception))
        self.assertEqual(os.listdir(self.dir), [])  # nothing left on disk
        return str(caught.exception)

    def test_each_refused_class_is_refused_when_the_url_is_checked(self):
        for url, words in REFUSED_AT_PARSE.items():
            with self.subTest(url=url):
                with self.assertRaises(errors.ImageError) as caught:
                    url_guard.check_url(url, "images[0]")
                self.assertIn(words, str(caught.exception))
                self.assertIn("images[0]: URL host", str(caught.exception))
                self.assert_refused(url, words)

    def test_loopback_only_with_allow_loopback_urls(self):
        server, base_url = _server(self)
        self.assert_refused(f"{base_url}/image", "is a loopback address")
        self.assertEqual(server.seen, [])
        _override(self, "allow_loopback_urls", True)
        with images.fetch(f"{base_url}/image", CHECKSUM, dest_dir=self.dir) as image:
            self.assertEqual(image.size, len(BODY))
        self.assertEqual(server.seen, ["/image"])
        # What is never allowed stays refused with loopback allowed.
        self.assert_refused("http://169.254.169.254/", "cloud metadata")

    def test_a_name_that_resolves_to_a_refused_address_is_refused_before_connecting(self):
        names = {"images.example.test": ("169.254.169.254", "a cloud metadata service"),
                 "v6.example.test": ("fd00:ec2::254", "a cloud metadata service"),
                 "mapped.example.test": ("::ffff:169.254.169.254", "a cloud metadata"),
                 "link.example.test": ("fe80::1", "a link-local address"),
                 "any.example.test": ("0.0.0.0", "a unspecified address")}
        with _resolving({name: address for name, (address, _) in names.items()}), \
                mock.patch.object(socket.socket, "connect",
                                  side_effect=AssertionError("connected")):
            for name, (_, words) in names.items():
                with self.subTest(name=name):
                    message = self.assert_refused(f"http://{name}/fw.bin",
                                                  f"refused: URL host {name!r} (resolves to ")
                    self.assertIn(f") is {words}", message)

    def test_a_name_that_resolves_elsewhere_when_connecting_is_refused_before_a_byte(self):
        # Checked, the name is a documentation address; connected, it is loopback (DNS
        # rebinding): the connection is closed before the request is sent.
        server, _ = _server(self)
        port = server.server_address[1]
        with _resolving({"cdn.example.test": "192.0.2.10"},
                        later={"cdn.example.test": "127.0.0.1"}):
            message = self.assert_refused(f"http://cdn.example.test:{port}/image",
                                          "(connected to 127.0.0.1) is a loopback address")
        self.assertIn("'cdn.example.test'", message)
        self.assertEqual(server.seen, [])

    def test_a_redirect_to_a_refused_address_is_not_followed(self):
        _override(self, "allow_loopback_urls", True)
        server, base_url = _server(self)
        message = self.assert_refused(
            _redirect(server, "http://169.254.169.254/latest/meta-data/iam/"),
            "redirected to http://169.254.169.254/latest/meta-data/iam/) refused: "
            "URL host '169.254.169.254' is a cloud metadata service address")
        self.assertIn(f"downloading {base_url}/r1 (redirected", message)
        for target, words in (("http://[fe80::1%25eth0]/", "carries a zone"),
                              ("http://0x7f.1/", "standard form"),
                              ("http://[::ffff:169.254.169.254]/x",
                               "(redirected to http://[::ffff:169.254.169.254]/x) refused: "
                               "URL host '::ffff:169.254.169.254' is a cloud metadata"),
                              ("file:///etc/passwd", "scheme 'file' is not allowed"),
                              ("http://[::1/", "a URL that cannot be parsed"),
                              ("http://h:port/", "cannot be parsed")):
            with self.subTest(target=target):
                self.assert_refused(_redirect(server, target), words,
                                    allowed_schemes=["http", "file"])
        with _resolving({"meta.example.test": "169.254.169.254"}):
            self.assert_refused(_redirect(server, "http://meta.example.test/"),
                                "(redirected to http://meta.example.test/) refused: URL "
                                "host 'meta.example.test' (resolves to 169.254.169.254)")
        self.assert_refused(f"{base_url}/loop", f"more than {url_guard.MAX_REDIRECTS} redirects")
        # A redirect that passes the rule is followed.
        with images.fetch(_redirect(server, "/image"), CHECKSUM, dest_dir=self.dir) as image:
            self.assertEqual(image.size, len(BODY))
        self.assertEqual(server.seen[-2:], [f"/r{len(server.redirects) - 1}", "/image"])

    def test_allowed_url_networks(self):
        _override(self, "allow_loopback_urls", True)
        server, base_url = _server(self)
        _override(self, "allowed_url_networks", ["10.0.0.0/8", "2001:db8::/32"])
        self.assert_refused(f"{base_url}/image", "URL host '127.0.0.1' is not in [ipa_fpga] "
                            "allowed_url_networks (10.0.0.0/8, 2001:db8::/32)")
        self.assert_refused("http://192.0.2.7/image", "'192.0.2.7' is not in")
        self.assert_refused("http://[::ffff:192.0.2.7]/image", "is not in")
        self.assertEqual(server.seen, [])
        url_guard.check_url("http://10.1.2.3/image")
        url_guard.check_url("http://[2001:db8::7]/image")
        url_guard.check_url("http://[::ffff:10.1.2.3]/image")
        with _resolving({"far.example.test": "192.0.2.9"}):
            self.assert_refused("http://far.example.test/image",
                                "'far.example.test' (resolves to 192.0.2.9) is not in")
        # The list narrows the built-in rule, never widens it.
        _override(self, "allowed_url_networks", ["169.254.0.0/16", "127.0.0.0/8"])
        self.assert_refused("http://169.254.169.254/", "cloud metadata")
        self.assert_refused(_redirect(server, "http://169.254.1.1/"), "link-local")
        with images.fetch(f"{base_url}/image", CHECKSUM, dest_dir=self.dir) as image:
            self.assertEqual(image.digest, CHECKSUM.split(":")[1])
        _override(self, "allowed_url_networks", ["127.0.0.1"])  # one address: its /32
        with images.fetch(_redirect(server, "/image"), CHECKSUM, dest_dir=self.dir):
            pass
        _override(self, "allowed_url_networks", ["127.0.0.2/32"])
        self.assert_refused(f"{base_url}/image", "(127.0.0.2/32)")

    def test_a_network_that_is_no_cidr_is_a_configuration_error(self):
        for value in ("10.0.0.0/33", "example.org", "10.0.0.0/8/8"):
            with self.subTest(value=value):
                with self.assertRaises(ValueError):
                    conf.cfg.CONF.set_override("allowed_url_networks", [value],
                                               group=conf.GROUP)


class StepsRefuseTest(simulated.SimulatorTestCase):
    """Through IPA's steps: refused before the device is touched."""

    def test_firmware_step_refuses_a_metadata_url_when_checking_its_arguments(self):
        before = len(self.files.requests)
        with self.assertRaisesRegex(errors.ImageError, r"images\[0\]: URL host "
                                    "'169.254.169.254' is a cloud metadata"):
            AcceleratorHardwareManager().flash_accelerator_firmware({}, [], images=[{
                "url": "http://169.254.169.254/latest/user-data", "checksum": CHECKSUM,
                "address": N3000, "component": "max10_bmc_nios"}])
        self.assertEqual(self.files.requests[before:], [])

    def test_bitstream_step_refuses_a_redirect_to_metadata_and_the_region_is_untouched(self):
        server, base_url = _server(self)
        port_afu = os.path.join(sysfs.port_dir(self.host_a, self.host_a.cards[0],
                                               self.sim_root), "afu_id")
        with open(port_afu) as f:
            before = f.read()
        with self.assertRaisesRegex(errors.ImageError, "redirected to "
                                    "http://169.254.169.254/.*cloud metadata"):
            AcceleratorHardwareManager().program_fpga_bitstream(
                {}, [], url=_redirect(server, "http://169.254.169.254/latest/"), checksum=CHECKSUM,
                address=N3000)
        with open(port_afu) as f:
            self.assertEqual(f.read(), before)


class AgentDownloadTest(base.TestCase):
    """accel-agent downloads only under its accel-api's endpoint; a redirect from there
    is not followed (it would carry the agent's credentials elsewhere)."""

    def test_a_redirect_is_a_failed_download_and_nothing_is_sent_on(self):
        elsewhere, elsewhere_url = _server(self)
        api, api_url = _server(self)
        sess = ks_session.Session()
        dest = str(self.tmp_dir())
        with self.assertRaisesRegex(program.JobFailed, "HTTP 302"):
            program.download(sess, _redirect(api, f"{elsewhere_url}/image"),
                             hashlib.sha256(BODY).hexdigest(), len(BODY), dest, 1 << 20, 5)
        self.assertEqual(len(api.seen), 1)
        self.assertEqual(elsewhere.seen, [])
        self.assertEqual(os.listdir(dest), [])
