"""Which URLs the agent agrees to download from, and how it connects to them.

Schemes are those of ``[ipa_fpga] allowed_url_schemes``. Addresses follow
``accel_contract.addresses`` (no metadata service, link-local, unspecified, multicast,
broadcast or reserved address, no legacy IPv4 form; loopback only with ``[ipa_fpga]
allow_loopback_urls``; within ``[ipa_fpga] allowed_url_networks`` when set). They are
checked on the URL's host when the URL is checked, on every address its name resolves
to before connecting, on the address each connection reaches before a byte is sent (a
name that resolves again differently gains nothing), and on every redirect, which is
followed here, hop by hop, up to MAX_REDIRECTS.
"""

import ipaddress
import urllib.parse

import requests
import requests.adapters
import urllib3

from accel_contract import addresses
from ipa_fpga import conf
from ipa_fpga.errors import ImageError

#: Redirects followed (each one checked as the URL was) before a download fails.
MAX_REDIRECTS = 5
_LOOPBACK_OPTION = f"[{conf.GROUP}] allow_loopback_urls"


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
    address = addresses.unmapped(address)
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


class Session(requests.Session):
    """Follows no redirect itself, nor reads one (``get`` does, hop by hop)."""

    def __init__(self):
        super().__init__()
        self.mount("http://", _CheckedAdapter())
        self.mount("https://", _CheckedAdapter())

    def get_redirect_target(self, resp):
        return None  # requests parses it even unfollowed (``Response.next``)


def get(session, parts, url, shown, device, timeout, schemes):
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
            hop = f"{shown} (redirected to {redacted(url)})"
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


def redacted(url):
    parts = urllib.parse.urlsplit(url)
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))
