"""Benchmark: ``ipa_fpga.images.fetch`` vs ``curl -s URL | sha256sum`` on a loopback image.

A loopback HTTP server streams a generated image (default 2 GiB; never held in
memory: one 1 MiB block repeated). ``curl | sha256sum`` runs first and gives the
reference throughput and the digest; then ``images.fetch`` (download to a temp
file + sha256 verified) runs in a child process. Throughput and peak RSS are
printed side by side with the ratio. Targets: >= 90 % of curl's throughput, peak
RSS < 64 MiB whatever the size.

    python bench/image_fetch.py [--size-mib 2048] [--timeout 600]
"""

import argparse
import http.server
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

BLOCK = random.Random(42).randbytes(1 << 20)


def serve(size):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            left = size
            try:
                while left > 0:
                    chunk = BLOCK if left >= len(BLOCK) else BLOCK[:left]
                    self.wfile.write(chunk)
                    left -= len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/image.bin"


def wait_rss(procs, timeout):
    """Wait for each process; return (elapsed, max of the children's peak RSS in KiB)."""
    peak = 0
    deadline = time.monotonic() + timeout
    for proc in procs:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                peak = max(peak, usage.ru_maxrss)
                proc.returncode = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                for p in procs:
                    p.kill()
                raise SystemExit(f"timed out after {timeout}s")
            time.sleep(0.01)
    return peak


CHILD = """
import sys, time
from ipa_fpga import conf, images
conf.cfg.CONF.set_override("allow_loopback_urls", True, group=conf.GROUP)  # a loopback server
t = time.monotonic()
with images.fetch(sys.argv[1], sys.argv[2], "sha256", dest_dir=sys.argv[3],
                  max_bytes=int(sys.argv[4])) as img:
    print(time.monotonic() - t, img.size)
"""


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size-mib", type=int, default=2048)
    p.add_argument("--timeout", type=int, default=600, help="seconds per run")
    args = p.parse_args(argv)
    size = args.size_mib << 20
    httpd, url = serve(size)
    try:
        t0 = time.monotonic()
        curl = subprocess.Popen(["curl", "-s", url], stdout=subprocess.PIPE)
        sha = subprocess.Popen(["sha256sum"], stdin=curl.stdout, stdout=subprocess.PIPE)
        curl.stdout.close()
        out = sha.stdout.read().decode()
        curl_rss = wait_rss([curl, sha], args.timeout)
        curl_s = time.monotonic() - t0
        digest = out.split()[0]
        with tempfile.TemporaryDirectory(prefix="bench-fetch-") as tmp:
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD, url, digest, tmp, str(size + 1)],
                stdout=subprocess.PIPE, text=True)
            text = child.stdout.read()
            ours_rss = wait_rss([child], args.timeout)
            if child.returncode != 0:
                raise SystemExit(f"fetch failed (exit {child.returncode})")
        ours_s = float(text.split()[0])
    finally:
        httpd.shutdown()
    mib = size / (1 << 20)
    curl_tp, ours_tp = mib / curl_s, mib / ours_s
    print(f"image: {mib:.0f} MiB over loopback HTTP, sha256 {digest[:16]}...")
    print(f"{'':28}{'throughput MiB/s':>18}{'peak RSS MiB':>14}")
    print(f"{'curl -s URL | sha256sum':28}{curl_tp:18.1f}{curl_rss / 1024:14.1f}")
    print(f"{'ipa_fpga.images.fetch':28}{ours_tp:18.1f}{ours_rss / 1024:14.1f}")
    ratio = ours_tp / curl_tp
    print(f"throughput ratio: {ratio:.2f} (target >= 0.90) "
          f"{'OK' if ratio >= 0.9 else 'BELOW TARGET'}; peak RSS "
          f"{ours_rss / 1024:.1f} MiB (target < 64) "
          f"{'OK' if ours_rss / 1024 < 64 else 'ABOVE TARGET'}")
    print("note: fetch also writes the image to a temp file (curl | sha256sum writes "
          "nothing); the server shares this machine's CPUs with both.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
