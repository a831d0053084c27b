"""Streamed image download: constant memory, checksum verified before any device write.

``fetch()`` writes the body to a private, locked temporary file
(``accel_contract.staging``) while hashing it and returns only once the whole image
matched its sha256/sha512; nothing is handed to a device before that. What a killed
agent left in the image directory is removed before the next download. URL schemes
are restricted, sizes limited, errors clear; which URLs and addresses are fetched at
all is ``ipa_fpga.url_guard``'s rule.
"""

import hashlib
import hmac
import queue
import re
import tempfile
import threading
import urllib.parse

import requests

from accel_contract import staging
from ipa_fpga import conf, url_guard
from ipa_fpga.errors import ImageError

PREFIX = "accel-image-"

CHUNK = 1 << 20
#: Chunks in flight between the network reader and the hash+write loop (memory bound).
PIPELINE_DEPTH = 8
ALGORITHMS = {"sha256": 64, "sha512": 128}
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def parse_checksum(checksum, checksum_type=None, device="image"):
    """``("sha256", hex)`` from ``"sha256:<hex>"`` or ``<hex>`` + ``checksum_type``."""
    if not isinstance(checksum, str) or not checksum:
        raise ImageError(device, "a checksum (sha256 or sha512) is required")
    algo = checksum_type
    value = checksum
    if ":" in checksum:
        algo, value = checksum.split(":", 1)
    algo = (algo or "").lower()
    if algo not in ALGORITHMS:
        raise ImageError(device, f"checksum type {algo or 'missing'!r} is not sha256 or sha512")
    if len(value) != ALGORITHMS[algo] or not _HEX.match(value):
        raise ImageError(device, f"{algo} checksum must be {ALGORITHMS[algo]} hex digits")
    return algo, value.lower()


class Image:
    """A verified local copy; ``close()`` (or the context manager) deletes it."""

    def __init__(self, staged, size, algo, digest, url):
        self._staged = staged
        self.path, self.size, self.algo, self.digest, self.url = (
            staged.path, size, algo, digest, url)

    def close(self):
        self._staged.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def fetch(url, checksum, checksum_type=None, device="image", max_bytes=None,
          allowed_schemes=None, dest_dir=None, timeout=None):
    """Download ``url`` to a temp file, verify it; return an :class:`Image`."""
    opts = conf.options()
    algo, expected = parse_checksum(checksum, checksum_type, device)
    schemes = allowed_schemes or opts.allowed_url_schemes
    parts = url_guard.check_url(url, device, schemes)
    max_bytes = max_bytes or opts.max_image_size_mb * (1 << 20)
    timeout = timeout or opts.download_timeout
    shown = url_guard.redacted(url)
    hasher = hashlib.new(algo)
    directory = dest_dir or opts.image_dir or tempfile.gettempdir()
    staging.sweep(directory, PREFIX)  # what a killed download left, never a live one
    staged = staging.StagedFile(directory, PREFIX)
    size = 0
    try:
        for chunk in _pipelined(_chunks(parts, url, shown, device, timeout, max_bytes,
                                          schemes)):
            size += len(chunk)
            if size > max_bytes:
                raise ImageError(device, f"image at {shown} is larger than the "
                                         f"{max_bytes} byte limit")
            hasher.update(chunk)
            staged.file.write(chunk)
        staged.file.flush()
        got = hasher.hexdigest()
        if not hmac.compare_digest(got, expected):
            raise ImageError(device, f"{algo} checksum mismatch for {shown}: expected "
                                     f"{expected}, got {got}; the device was not touched")
        return Image(staged, size, algo, got, shown)
    except BaseException:
        staged.close()
        raise


def _pipelined(chunks):
    """Read the next chunks in a thread while this one is hashed and written.

    At most PIPELINE_DEPTH chunks wait in between, so memory stays constant.
    """
    q = queue.Queue(maxsize=PIPELINE_DEPTH)
    stop = threading.Event()
    done = object()

    def reader():
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        q.put(chunk, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # handed to the consumer, raised there
            q.put(exc)

    thread = threading.Thread(target=reader, name="image-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(5)
        close = getattr(chunks, "close", None)
        if close and not thread.is_alive():
            close()


def _chunks(parts, url, shown, device, timeout, max_bytes, schemes):
    if parts.scheme == "file":
        try:
            with open(urllib.parse.unquote(parts.path), "rb") as f:
                while chunk := f.read(CHUNK):
                    yield chunk
        except OSError as exc:
            raise ImageError(device, f"cannot read {shown}: {exc.strerror}") from None
        return
    try:
        with url_guard.Session() as session:
            resp = url_guard.get(session, parts, url, shown, device, timeout, schemes)
            yield from _body(resp, shown, device, max_bytes)
    except requests.RequestException as exc:
        reason = type(exc).__name__
        if isinstance(exc, requests.ConnectionError):
            reason = "connection failed (unreachable host or refused)"
        elif isinstance(exc, requests.Timeout):
            reason = f"no data for {timeout}s"
        raise ImageError(device, f"downloading {shown} failed: {reason}") from None


def _body(resp, shown, device, max_bytes):
    with resp:
        if resp.status_code != 200:
            raise ImageError(device, f"downloading {shown} failed: HTTP {resp.status_code}")
        length = resp.headers.get("Content-Length")
        # ASCII digits only: "²" passes isdigit() and then fails int().
        if length and length.isascii() and length.isdigit() and int(length) > max_bytes:
            raise ImageError(device, f"image at {shown} is {length} bytes, over the "
                                     f"{max_bytes} byte limit")
        yield from resp.iter_content(CHUNK)
