"""The firmware image format the emulated BMCs accept.

A real BMC reads a vendor header (component, version, signature) and checks the
payload before it touches flash. Ours does the same with a one-line header::

    ACCEL-FW/1 {"component": "max10_bmc_nios", "version": "D.2.1.25", "sha256": "..."}\\n
    <payload bytes>

``sha256`` is the digest of the payload; a mismatch, a missing header or a
component that does not fit the target fails the update (task ``Exception``).
"""

from __future__ import annotations

import hashlib
import json

MAGIC = b"ACCEL-FW/1 "


class ImageError(ValueError):
    """The image is not one this BMC can apply; the message says why."""


def build(component, version, payload=b"\x00" * 4096):
    """Image bytes for ``component`` at ``version`` (tests, the demo, operators' samples)."""
    header = {"component": component, "version": version,
              "sha256": hashlib.sha256(payload).hexdigest()}
    return MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n" + payload


def parse(data):
    """(header dict, payload) of an image; ImageError when it is malformed or corrupt."""
    if not data.startswith(MAGIC):
        raise ImageError("not a firmware image: the ACCEL-FW/1 header is missing")
    line, sep, payload = data.partition(b"\n")
    if not sep:
        raise ImageError("truncated image: no end of header")
    try:
        header = json.loads(line[len(MAGIC):])
    except ValueError:
        raise ImageError("corrupt image header") from None
    if not isinstance(header, dict) or not all(
        isinstance(header.get(k), str) for k in ("component", "version", "sha256")
    ):
        raise ImageError("image header lacks component, version or sha256")
    digest = hashlib.sha256(payload).hexdigest()
    if digest != header["sha256"]:
        raise ImageError(
            f"image checksum mismatch: header says {header['sha256']}, payload is {digest}"
        )
    return header, payload
