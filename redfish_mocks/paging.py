"""Query parameters and collection paging, as a BMC applies them (both emulator modes).

``$top`` and ``$skip`` select a window of a collection's ``Members``; a page that
does not reach the end carries ``Members@odata.nextLink`` (the same path with the
next ``$skip``), and ``Members@odata.count`` is always the whole collection's.
A service may also page on its own (``page_size``: a DGX BMC sends its PCIe
devices 75 at a time, an iDRAC some OEM collections 50 at a time): a client that
does not follow ``nextLink`` then sees only the first page.

Bad values are refused as a BMC refuses them (HTTP 400 with a Base registry
message); Redfish query parameters this service does not implement (``$expand``,
``$select``, ``$filter``, ``only``, ``excerpt``...) answer 501, as DSP0266 asks,
instead of being silently ignored; other parameters that do not start with ``$``
are ignored (DSP0266 again).
"""

from __future__ import annotations

import dataclasses
import urllib.parse

#: Redfish-defined query parameters that are not ``$``-prefixed.
_REDFISH_PLAIN = ("only", "excerpt", "includeoriginofcondition")


class QueryError(Exception):
    """A query this service refuses; ``status`` and ``message_id`` say how."""

    def __init__(self, status, message, message_id):
        super().__init__(message)
        self.status = status
        self.message_id = message_id


@dataclasses.dataclass(frozen=True)
class Query:
    top: int | None = None
    skip: int | None = None

    @property
    def paging(self):
        return self.top is not None or self.skip is not None


def _count(name, value):
    if not value.isdigit() or not value.isascii():
        raise QueryError(400, f"the value {value!r} of {name} is not a non-negative integer",
                         "Base.1.19.QueryParameterValueTypeError")
    return int(value)


def parse(query):
    """The ``Query`` a raw query string asks for; QueryError for what is refused."""
    if not query:
        return Query()
    seen = {}
    for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if name in seen:
            raise QueryError(400, f"the query parameter {name} is given more than once",
                             "Base.1.19.QueryParameterValueFormatError")
        seen[name] = value
    top = skip = None
    for name, value in seen.items():
        if name == "$top":
            top = _count(name, value)
            if top < 1:
                raise QueryError(400, "$top must be at least 1",
                                 "Base.1.19.QueryParameterOutOfRange")
        elif name == "$skip":
            skip = _count(name, value)
        elif name.startswith("$") or name.lower() in _REDFISH_PLAIN:
            raise QueryError(501, f"the query parameter {name} is not supported by this "
                             "service (only $top and $skip are)",
                             "Base.1.19.QueryNotSupported")
    return Query(top, skip)


def is_collection(doc):
    return isinstance(doc, dict) and isinstance(doc.get("Members"), list)


def page(doc, path, query, page_size=None):
    """``doc`` (a whole collection) as the page ``query`` asks for.

    ``page_size`` (None: no server-side paging) caps a page's length. Returns
    ``doc`` itself when nothing is cut, else a shallow copy with the window of
    ``Members``, the whole ``Members@odata.count`` and, unless it is the last page,
    ``Members@odata.nextLink``.
    """
    if not is_collection(doc):
        if query.paging:
            raise QueryError(400, f"{path} is not a resource collection: $top and $skip "
                             "do not apply", "Base.1.19.QueryNotSupportedOnResource")
        return doc
    members = doc["Members"]
    total = len(members)
    skip = query.skip or 0
    if skip > total:
        raise QueryError(400, f"$skip={skip} is beyond the {total} members of {path}",
                         "Base.1.19.QueryParameterOutOfRange")
    want = total - skip if query.top is None else min(query.top, total - skip)
    size = want if not page_size else min(want, page_size)
    if skip == 0 and size == total:
        return doc
    out = dict(doc)
    out["Members"] = members[skip:skip + size]
    out["Members@odata.count"] = total
    out.pop("Members@odata.nextLink", None)
    if size < want:  # the service cut the page short: say where the rest is
        nxt = f"$skip={skip + size}"
        if query.top is not None:
            nxt += f"&$top={query.top - size}"
        out["Members@odata.nextLink"] = f"{path}?{nxt}"
    return out
