"""``OpenStack-API-Version: accelerator 2.x`` — the range Cyborg has (2.0 to 2.3).

2.1 ``project_id`` allowed in bind patches; 2.2 device profiles by name or uuid;
2.3 device ``status`` and enable/disable.
"""

import re

from accel_api import errors

SERVICE = "accelerator"
MIN = (2, 0)
MAX = (2, 3)
HEADER = "OpenStack-API-Version"
#: ASCII digits only (``\\d`` also matches other scripts' digits), a few of them.
_RE = re.compile(r"([0-9]{1,4})\.([0-9]{1,4})")
#: Longest header value looked at: enough for several services' versions.
MAX_HEADER = 256


def fmt(version):
    return f"{version[0]}.{version[1]}"


def parse(request):
    """The requested version; 2.0 when absent (as Cyborg); 406 outside the range, 400
    when it is not ``accelerator <major>.<minor>`` (or ``latest``)."""
    raw = request.headers.get(HEADER, "")
    if len(raw) > MAX_HEADER:
        raise errors.BadRequest(f"{HEADER} header longer than {MAX_HEADER} characters")
    value = None
    for part in raw.split(","):
        words = part.strip().split()
        if len(words) == 2 and words[0].lower() == SERVICE:
            value = words[1]
    if value is None:
        return MIN
    if value.lower() == "latest":
        return MAX
    match = _RE.fullmatch(value)
    if not match:
        raise errors.BadRequest(
            f"invalid {HEADER} value {value[:40]!r}: expected 'accelerator 2.x'")
    version = (int(match.group(1)), int(match.group(2)))
    if not MIN <= version <= MAX:
        raise errors.NotAcceptable(
            f"version {value} is not supported; the range is {fmt(MIN)} to {fmt(MAX)}")
    return version
