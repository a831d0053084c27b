"""Intel green bitstreams (GBS): header parsing before a partial reconfiguration.

Layout (OPAE): 16-byte GBS GUID ``"XeonFPGA\\xb7GBSv001"``, a little-endian u32
metadata length, that many bytes of JSON metadata, then the raw bitstream that
the kernel programs. The metadata's ``afu-image.interface-uuid`` must equal the
PR region's ``compat_id``; ``accelerator-clusters[0].accelerator-type-uuid`` is
the AFU id the port reports afterwards.
"""

import json
import struct

from ipa_fpga.errors import IncompatibleImage

GBS_GUID = b"XeonFPGA\xb7GBSv001"
MAX_METADATA = 1 << 20


def _uuid_hex(value):
    return str(value or "").lower().replace("-", "")


class Gbs:
    def __init__(self, interface_id, afu_id, metadata, offset, length):
        self.interface_id = interface_id
        self.afu_id = afu_id
        self.metadata = metadata
        self.offset = offset
        self.length = length


def parse(path, device):
    """Read the header of the GBS at ``path`` (the raw bitstream is not loaded)."""
    with open(path, "rb") as f:
        head = f.read(20)
        if len(head) < 20 or head[:16] != GBS_GUID:
            raise IncompatibleImage(device, "not an Intel GBS bitstream (GBS GUID missing)")
        (mlen,) = struct.unpack("<I", head[16:20])
        if mlen == 0 or mlen > MAX_METADATA:
            raise IncompatibleImage(device, f"GBS metadata length {mlen} is out of range")
        raw = f.read(mlen)
        f.seek(0, 2)
        total = f.tell()
    try:
        meta = json.loads(raw.decode("utf-8"))
        afu = meta["afu-image"]
        interface = _uuid_hex(afu["interface-uuid"])
        clusters = afu.get("accelerator-clusters") or [{}]
        afu_id = _uuid_hex(clusters[0].get("accelerator-type-uuid"))
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        raise IncompatibleImage(device, "GBS metadata is not the expected JSON "
                                        "(afu-image.interface-uuid)") from None
    if len(interface) != 32:
        raise IncompatibleImage(device, f"GBS interface-uuid {interface!r} is not a UUID")
    offset = 20 + mlen
    if total <= offset:
        raise IncompatibleImage(device, "GBS has no bitstream after its metadata")
    return Gbs(interface, afu_id or None, meta, offset, total - offset)


def build(interface_id, afu_id, bitstream, name="afu"):
    """A GBS file's bytes (tests, the demo and bench build images with it)."""
    meta = json.dumps({
        "version": 1,
        "platform-name": "ironic-accel",
        "afu-image": {
            "interface-uuid": str(interface_id),
            "magic-no": 488605312,
            "accelerator-clusters": [{"name": name, "total-contexts": 1,
                                      "accelerator-type-uuid": str(afu_id)}],
        },
    }).encode()
    return GBS_GUID + struct.pack("<I", len(meta)) + meta + bitstream
