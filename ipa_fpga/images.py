"""Streamed image download: constant memory, checksum verified before any device write.

``fetch()`` writes the body to a private, locked temporary file
(``accel_contract.staging``) while hashing it and returns only once the whole image
matched its sha256/sha512; nothing is handed to a device before that. What a killed
agent left in the image directory is removed before the next download. URL schemes
are restricted, sizes limited, errors clear.

Addresses are restricted too (``accel_contract.addresses``: no metadata service,
link-local, unspecified, multicast, broadcast or reserved address, no legacy IPv4 form;
loopback only with ``[ipa_fpga] allow_loopback_urls``; within
``[ipa_fpga] allowed_url_networks`` when set): the URL's host when the URL is checked,
every address its name resolves to before connecting, the address each connection
reaches before a byte is sent (a name that resolves again differently gains nothing),
and every redirect, which is followed here, hop by hop, up to MAX_REDIRECTS.
"""

import hashlib
import hmac
import ipaddress
import queue
import re
import tempfile
import threading
import urllib.parse

import requests
import requests.adapters
import urllib3

from accel_contract import addresses, staging
from ipa_fpga import conf
from ipa_fpga.errors import ImageError

PREFIX = "accel-image-"

CHUNK = 1 << 20
#: Chunks in flight between the network reader and the hash+write loop (memory bound).
PIPELINE_DEPTH = 8
#: Redirects followed (each one checked as the URL was) before a download fails.
MAX_REDIRECTS = 5
_LOOPBACK_OPTION = f"[{conf.GROUP}] allow_loopback_urls"
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


def check_url(url, device="image", allowed=None):
    """The URL's parts once its scheme and host pass the rules; ``ImageError`` why not."""
    allowed = [s.lower() for s in (allowed or conf.options().allowed_url_schemes)]
    try:
        parts = urllib.parse.urlsplit(str(url))
        parts.port  # noqa: B018 - a port that is no number raises here
    except ValueError:
        raise ImageError(device, "the image URL cannot be parsed") from None
    if parts.scheme.lower() not in allowed:
        raise ImageError(device, f"URL scheme {parts.scheme or 'none'!r} is not allowed "
                                 f"(allowed: {', '.join(allowed)})")
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            raise ImageError(device, "the image URL has no host")
        try:
            host = addresses.check_host(parts.hostname, conf.options().allow_loopback_urls,
                                        "URL host", _LOOPBACK_OPTION)
            try:
                address = ipaddress.ip_address(host)
            except ValueError:
                pass  # a name: the addresses it resolves to are checked when connecting
            else:
                _check_network(address, f"URL host {parts.hostname!r}")
        except addresses.RefusedAddress as exc:
            raise ImageError(device, str(exc)) from None
    return parts


def _check_network(address, shown):
    """``RefusedAddress`` unless ``address`` is in ``allowed_url_networks`` (when set)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    networks = conf.options().allowed_url_networks
    if networks and not any(address in network for network in networks):
        raise addresses.RefusedAddress(
            f"{shown} is not in [{conf.GROUP}] allowed_url_networks "
            f"({', '.join(str(n) for n in networks)})")


def _check_resolved(parts):
    """Before connecting: every address the URL's host resolves to passes the rule."""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for address in addresses.check_resolved(parts.hostname, port,
                                            conf.options().allow_loopback_urls,
                                            "URL host", _LOOPBACK_OPTION):
        _check_network(address, f"URL host {parts.hostname!r} (resolves to {address})")


class _PeerChecked:
    """A urllib3 connection that checks the address it reached before sending a byte."""

    def _new_conn(self):
        sock = super()._new_conn()
        try:
            peer = addresses.parse_resolved(sock.getpeername()[0])
            shown = f"URL host {self.host!r} (connected to {peer})"
            addresses.check_address(peer, conf.options().allow_loopback_urls, shown,
                                    _LOOPBACK_OPTION)
            _check_network(peer, shown)
        except BaseException:
            sock.close()
            raise
        return sock


class _HTTPConnection(_PeerChecked, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_PeerChecked, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _CheckedAdapter(requests.adapters.HTTPAdapter):
    """Direct connections through :class:`_PeerChecked` (a proxy's are the proxy's)."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


class _Session(requests.Session):
    """Follows no redirect itself, nor reads one (``_open`` does, hop by hop)."""

    def __init__(self):
        super().__init__()
        self.mount("http://", _CheckedAdapter())
        self.mount("https://", _CheckedAdapter())

    def get_redirect_target(self, resp):
        return None  # requests parses it even unfollowed (``Response.next``)


def _open(session, parts, url, shown, device, timeout, schemes):
    """GET ``url``, following redirects hop by hop: each target is checked as ``url``."""
    hop = shown
    for _ in range(MAX_REDIRECTS + 1):
        try:
            _check_resolved(parts)
            resp = session.get(url, stream=True, timeout=(10, timeout), allow_redirects=False)
        except addresses.RefusedAddress as exc:
            raise ImageError(device, f"downloading {hop} refused: {exc}") from None
        target = requests.Session.get_redirect_target(session, resp)
        if target is None:
            return resp
        resp.close()
        try:
            url = urllib.parse.urljoin(url, target)
            hop = f"{shown} (redirected to {_redacted(url)})"
        except ValueError:
            raise ImageError(device, f"downloading {shown} refused: it redirects to a URL "
                                     "that cannot be parsed") from None
        # Never to file: (nor any scheme but the web's) by a server's say-so.
        web = [s for s in schemes if s.lower() in ("http", "https")]
        try:
            parts = check_url(url, device, web)
        except ImageError as exc:
            raise ImageError(device, f"downloading {hop} refused: {exc.reason}") from None
    raise ImageError(device, f"downloading {shown} failed: more than {MAX_REDIRECTS} "
                             "redirects")


def _redacted(url):
    parts = urllib.parse.urlsplit(url)
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


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
    parts = check_url(url, device, schemes)
    max_bytes = max_bytes or opts.max_image_size_mb * (1 << 20)
    timeout = timeout or opts.download_timeout
    shown = _redacted(url)
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
        with _Session() as session:
            resp = _open(session, parts, url, shown, device, timeout, schemes)
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
