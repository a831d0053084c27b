"""Image downloads against servers that misbehave: a Content-Length in other scripts'
digits, a Retry-After likewise; what a killed download left is removed before the next
one, never a download another writer is still making."""

import hashlib
import http.server
import os
import subprocess
import sys
import threading

from accel_contract import staging
from ipa_fpga import images
from ironic_fpga.redfish import task_poller
from tests.unit import base
from tests.unit.ipa_fpga.simulated import allow_loopback_urls

BODY = b"image bytes " * 100


class _Server(http.server.BaseHTTPRequestHandler):
    length = str(len(BODY))

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", self.length)  # sent as latin-1: "²" is 0xB2
        self.end_headers()
        self.wfile.write(BODY)
        self.close_connection = True

    def log_message(self, *args):
        pass


class HostileImageServersTest(base.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = str(self.tmp_dir())
        allow_loopback_urls(self)

    def _serve(self, length):
        handler = type("Handler", (_Server,), {"length": length})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        return f"http://127.0.0.1:{server.server_address[1]}/image"

    def test_a_content_length_in_other_digits_is_not_a_size(self):
        checksum = "sha256:" + hashlib.sha256(BODY).hexdigest()
        for length in ("\u00b2", "\u00b9\u00b2"):  # ², ¹² (latin-1, so a server can send them)
            with self.subTest(length=length):
                with images.fetch(self._serve(length), checksum, dest_dir=self.dir) as image:
                    self.assertEqual(image.size, len(BODY))
        self.assertEqual(os.listdir(self.dir), [])

    def test_retry_after_in_other_digits_is_no_delay(self):
        self.assertEqual(task_poller.parse_retry_after("5"), 5.0)
        for value in ("\u00b2", "\u0663", "\uff15", "1\u00b2"):
            with self.subTest(value=value):
                self.assertIsNone(task_poller.parse_retry_after(value))

    def test_a_killed_downloads_file_is_removed_before_the_next_download(self):
        holder = subprocess.Popen([sys.executable, "-c", (
            "import sys, time\nfrom accel_contract import staging\n"
            "f = staging.StagedFile(sys.argv[1], sys.argv[2])\nprint(f.path, flush=True)\n"
            "time.sleep(600)\n"), self.dir, images.PREFIX], stdout=subprocess.PIPE, text=True)
        self.addCleanup(holder.kill)
        live = holder.stdout.readline().strip()
        dead = staging.StagedFile(self.dir, images.PREFIX)
        dead_path = dead.path
        dead.file.close()  # its writer is gone: the lock with it, the file stays
        checksum = "sha256:" + hashlib.sha256(BODY).hexdigest()
        with images.fetch(self._serve(str(len(BODY))), checksum, dest_dir=self.dir):
            names = os.listdir(self.dir)
        self.assertFalse(os.path.exists(dead_path))
        self.assertTrue(os.path.exists(live), names)  # another writer's: kept
        self.assertEqual(len(names), 2)  # the live one and the download in hand
