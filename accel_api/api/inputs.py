"""What a request carries, decoded once and checked before any handler sees it.

* ``check_target``: the path and query string must be UTF-8 once percent-decoded (a
  path holding U+FFFD was decoded lossily by the server), hold nothing a database
  cannot store (``jsondoc.unstorable``), and stay within
  ``MAX_PATH``/``MAX_QUERY``; ``Content-Length`` must be plain ASCII digits. What
  fails is a 400 with the reason, never a decoding error later in a handler.
* ``read_body``: the body, never more than ``limit`` bytes read from the socket: a
  ``Content-Length`` over the limit is refused before reading, a chunked body as soon
  as it passes the limit.
* ``json_body``: the one JSON body reader: JSON media type, size limit, then
  ``accel_contract.jsondoc`` (depth, duplicate keys, numbers, storable strings); the
  document is parsed once per request.
* ``parse_int``: an integer from text written in ASCII digits only (``"²"`` and
  ``"٣"`` pass ``str.isdigit()`` but are no number a client meant).
"""

import re

from accel_api import errors
from accel_contract import jsondoc

MAX_PATH = 2048
#: Enough for 1,000 uuids in ?arqs= (37,000 characters).
MAX_QUERY = 48 * 1024
_DIGITS = re.compile(r"[0-9]{1,19}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_JSON_TYPES = ("application/json",)
READ_CHUNK = 64 * 1024


def parse_int(text, what, minimum=None, maximum=None):
    """``text`` as an int, or 400 naming ``what``; ASCII digits only, bounded."""
    if not isinstance(text, str) or not _DIGITS.fullmatch(text):
        raise errors.BadRequest(f"{what} must be a whole number written in digits 0-9, "
                                f"got {str(text)[:40]!r}")
    value = int(text)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise errors.BadRequest(f"{what} must be between {minimum} and {maximum}, got {value}")
    return value


def shown_path(environ):
    """The request path for a log line, whatever bytes it holds."""
    return ascii(environ.get("PATH_INFO", ""))[1:-1][:300]


def shown_method(environ):
    return ascii(environ.get("REQUEST_METHOD", ""))[1:-1][:16]


def check_target(req):
    """400 unless path, query and Content-Length are what a handler can use as text."""
    environ = req.environ
    raw = environ.get("PATH_INFO", "")
    if len(raw) > MAX_PATH:
        raise errors.ApiError(f"request path longer than {MAX_PATH} bytes", 414)
    if len(environ.get("QUERY_STRING", "")) > MAX_QUERY:
        raise errors.ApiError(f"query string longer than {MAX_QUERY} bytes", 414)
    try:
        path = req.path_info
    except (UnicodeDecodeError, UnicodeEncodeError):
        raise errors.BadRequest("the request path is not UTF-8 once percent-decoded") from None
    if "\ufffd" in path:  # a server that decoded invalid UTF-8 lossily (granian does)
        raise errors.BadRequest("the request path is not UTF-8 once percent-decoded (it "
                                "holds U+FFFD, the replacement character)")
    reason = jsondoc.unstorable(path) or _control(path)
    if reason:
        raise errors.BadRequest(f"the request path {reason}")
    try:
        params = req.GET.items()
    except (UnicodeDecodeError, UnicodeEncodeError):
        raise errors.BadRequest("the query string is not UTF-8 once percent-decoded") from None
    for name, value in params:
        reason = jsondoc.unstorable(name) or jsondoc.unstorable(value)
        if reason:
            raise errors.BadRequest(f"query parameter {name[:40]!r} {reason}")
    length = environ.get("CONTENT_LENGTH", "")
    if length and not _DIGITS.fullmatch(length.strip()):
        raise errors.BadRequest(f"Content-Length {length[:40]!r} is not a byte count")


def _control(text):
    found = _CONTROL.search(text)
    return f"contains the control character {found.group()!r}" if found else None


def content_length(req):
    """The declared body length (checked by ``check_target``), or None."""
    length = req.environ.get("CONTENT_LENGTH", "").strip()
    return int(length) if length else None


def read_body(req, limit, what="request body"):
    """The body's bytes; 413 past ``limit`` without reading beyond it."""
    stream = req.environ.get("wsgi.input")
    length = content_length(req)
    if length is not None:
        if length > limit:
            raise errors.ApiError(f"{what} larger than {limit} bytes", 413)
        parts, left = [], length
        while left > 0:
            data = stream.read(min(left, READ_CHUNK))
            if not data:
                raise errors.BadRequest(f"{what} ended {left} bytes before its "
                                        "Content-Length")
            parts.append(data)
            left -= len(data)
        return b"".join(parts)
    if stream is None or not req.environ.get("wsgi.input_terminated"):
        return b""
    parts, size = [], 0
    while True:
        data = stream.read(READ_CHUNK)
        if not data:
            return b"".join(parts)
        size += len(data)
        if size > limit:
            raise errors.ApiError(f"{what} larger than {limit} bytes", 413)
        parts.append(data)


def _is_json(content_type):
    media = content_type.split(";", 1)[0].strip().lower()
    return media in _JSON_TYPES or (media.startswith("application/")
                                    and media.endswith("+json"))


def json_body(req, limit=None, what="request body", required=True, verify=True):
    """The request's JSON document (parsed once per request), or 4xx with the reason.

    415 for a body of another media type (a browser's cross-site form cannot send
    ``application/json``); no Content-Type at all is taken as JSON. ``verify``: see
    ``jsondoc.loads`` (False only where the caller ``jsondoc.check`` s it later).
    """
    cached = req.environ.get("accel.json_body")
    if cached is not None:
        return cached[0]
    content_type = req.environ.get("CONTENT_TYPE", "")
    if content_type and not _is_json(content_type):
        raise errors.ApiError(f"{what} must be application/json, not "
                              f"{content_type[:60]!r}", 415)
    raw = read_body(req, req.app.max_body if limit is None else limit, what)
    if not raw.strip():
        if required:
            raise errors.BadRequest(f"a JSON {what} is required")
        return None
    try:
        doc = jsondoc.loads(raw, what, verify=verify)
    except jsondoc.DocumentError as exc:
        raise errors.BadRequest(str(exc)) from None
    req.environ["accel.json_body"] = (doc,)
    return doc
