"""One bounded, cached read of a BMC: every GET of an inventory read goes through here.

A resource linked from several places (a PCIe device named by the system, its chassis
and a processor) is fetched once. Collections are read whole: ``Members@odata.nextLink``
is followed page after page, a page seen twice (a loop) or a member listed twice is
detected, and sizes are bounded, so a misbehaving BMC cannot keep a conductor reading
forever. Every failure is a typed error (``ironic_fpga.redfish.errors``).
"""

from __future__ import annotations

import logging
import urllib.parse

from sushy import exceptions as sushy_exc

from ironic_fpga.redfish import errors

LOG = logging.getLogger(__name__)

#: Most GETs one inventory read may make (a 4-GPU HGX box needs ~300, a DGX ~1,500).
MAX_REQUESTS = 20000
#: Most pages one collection may have, and most members in all.
MAX_PAGES = 1000
MAX_MEMBERS = 20000


def normalize(uri):
    """``uri`` as a key: no fragment, no trailing slash (``/redfish/v1/`` is ``/redfish/v1``)."""
    if not isinstance(uri, str) or not uri:
        return None
    uri = uri.split("#", 1)[0]
    if uri.startswith(("http://", "https://")) or uri.startswith("//"):
        # Only the path is kept: a link never sends us (and our credentials) elsewhere.
        parts = urllib.parse.urlsplit(uri)
        uri = parts.path + (f"?{parts.query}" if parts.query else "")
    if not uri.startswith("/"):
        return None
    path, sep, query = uri.partition("?")
    return (path.rstrip("/") or "/") + sep + query


def odata_id(value):
    """The normalised ``@odata.id`` of a link object, or None."""
    if isinstance(value, dict):
        return normalize(value.get("@odata.id"))
    return None


def odata_ids(value):
    """Normalised ``@odata.id`` of a link, a list of links or a collection link; [] if none."""
    if isinstance(value, list):
        return [u for u in (odata_id(v) for v in value) if u]
    one = odata_id(value)
    return [one] if one else []


class BMC:
    """Cached JSON reads of one BMC through a sushy connector (``root._conn``)."""

    def __init__(self, conn, max_requests=MAX_REQUESTS, max_pages=MAX_PAGES,
                 max_members=MAX_MEMBERS):
        self.conn = conn
        self.max_requests = max_requests
        self.max_pages = max_pages
        self.max_members = max_members
        self.requests = 0
        self._cache = {}
        self._missing = set()
        self._resources = {}
        #: what was skipped and why (a member that 404s, a repeated member...)
        self.warnings = []

    def warn(self, message):
        if message not in self.warnings and len(self.warnings) < 200:
            LOG.warning("%s", message)
            self.warnings.append(message)

    def get(self, uri):
        """The resource at ``uri`` as a dict; DeviceNotFound (404), BMCUnreachable (no
        answer, 5xx), RedfishAccelError (other refusals, not JSON)."""
        key = normalize(uri)
        if key is None:
            raise errors.DeviceNotFound(f"the BMC gave an unusable link {uri!r}")
        if key in self._cache:
            return self._cache[key]
        if key in self._missing:
            raise errors.DeviceNotFound(f"the BMC has no resource {key}")
        return self._fetch(key)

    def _fetch(self, key):
        self.requests += 1
        if self.requests > self.max_requests:
            raise errors.ReadLimitExceeded(
                f"reading the BMC's accelerator inventory took more than {self.max_requests} "
                "requests; the BMC lists far more resources than a server has (a loop in its "
                "links?). Check the BMC's Redfish service, or update its firmware")
        try:
            resp = self.conn.get(key)  # the path only: never another host
        except sushy_exc.ResourceNotFoundError:
            self._missing.add(key)
            raise errors.DeviceNotFound(f"the BMC has no resource {key}") from None
        except sushy_exc.ConnectionError as exc:
            raise errors.BMCUnreachable(
                f"the BMC stopped answering while {key} was read: {exc}") from None
        except sushy_exc.ServerSideError as exc:
            raise errors.BMCUnreachable(
                f"the BMC answered {exc.status_code} reading {key} (busy or rebooting?): "
                f"{exc.detail or exc}") from None
        except sushy_exc.HTTPError as exc:
            raise errors.RedfishAccelError(
                f"the BMC refused to show {key} ({exc.status_code}): {exc.detail or exc}; "
                "check the node's Redfish credentials and the BMC account's role") from None
        try:
            doc = resp.json() if resp.content else {}
        except ValueError:
            raise errors.RedfishAccelError(
                f"the BMC answered {key} with something that is not JSON") from None
        if not isinstance(doc, dict):
            raise errors.RedfishAccelError(f"the BMC answered {key} with a JSON "
                                           f"{type(doc).__name__}, not a resource")
        self._cache[key] = doc
        return doc

    def resource(self, cls, uri, what="resource"):
        """The resource class ``cls`` (``resources.Resource``) at ``uri``, made once;
        None, with a warning, when the BMC links it but answers 404."""
        key = (cls, normalize(uri))
        if key not in self._resources:
            try:
                self._resources[key] = cls(self, uri)
            except errors.DeviceNotFound:
                self.warn(f"the BMC links {what} {key[1]} but answers 404 for it; skipped")
                self._resources[key] = None
        return self._resources[key]

    def members(self, uri):
        """Every member URI of the collection at ``uri``, all pages, each once, in order.

        ``Members: null`` is an empty collection. A nextLink that comes back to a page
        already read is a loop (BadCollection); so are more than ``max_pages`` pages or
        ``max_members`` members. A member listed twice is kept once, with a warning.
        """
        start = normalize(uri)
        out, seen, pages = [], set(), set()
        page_uri = uri
        while page_uri:
            page_key = normalize(page_uri)
            if page_key is None:
                raise errors.BadCollection(
                    f"the BMC's collection {start} has an unusable nextLink {page_uri!r}")
            if page_key in pages:
                raise errors.BadCollection(
                    f"the BMC's collection {start} loops: its nextLink {page_uri} points back "
                    f"to a page already read (after {len(pages)} page(s), {len(out)} "
                    "member(s)); the BMC's paging is broken")
            pages.add(page_key)
            if len(pages) > self.max_pages:
                raise errors.BadCollection(
                    f"the BMC's collection {start} has more than {self.max_pages} pages")
            page = self.get(page_uri)
            for member in page.get("Members") or []:
                mid = odata_id(member)
                if mid is None:
                    self.warn(f"collection {start} lists a member without @odata.id; skipped")
                    continue
                if mid in seen:
                    self.warn(f"collection {start} lists {mid} more than once; kept once")
                    continue
                seen.add(mid)
                out.append(mid)
                if len(out) > self.max_members:
                    raise errors.BadCollection(
                        f"the BMC's collection {start} has more than {self.max_members} "
                        "members")
            page_uri = page.get("Members@odata.nextLink")
            if page_uri is not None and not isinstance(page_uri, str):
                raise errors.BadCollection(
                    f"the BMC's collection {start} has a nextLink that is not a string")
        return out

    def linked(self, value, what="resource"):
        """The members behind a link property: a collection link (read whole), or an
        array of links, each as a URI."""
        if isinstance(value, dict):
            uri = odata_id(value)
            return self.members(uri) if uri else []
        return odata_ids(value)

