"""Intel PAC secure-update images (``pacsign`` output): read block 0 before writing.

A signed image starts with Block 0 (128 bytes: magic ``0xb6eafd19``, content
length, content type) and Block 1 (896 bytes, signature chain); the payload
follows at offset 1024. The content type says what the image updates, which is
checked against the component the operator asked for before the device is touched.
"""

import struct

from ipa_fpga.errors import IncompatibleImage

BLOCK0_MAGIC = 0xB6EAFD19
HEADER_SIZE = 1024
#: Content types of Block 0 -> our firmware component names (ipa_fpga.drivers.intel_dfl).
CONTENT_TYPES = {0: "fpga_image", 1: "max10_bmc_nios", 2: "afu"}


def read_header(path, device):
    """``{"content_type": int, "component": str, "length": int}`` or IncompatibleImage."""
    with open(path, "rb") as f:
        head = f.read(HEADER_SIZE)
    if len(head) < HEADER_SIZE:
        raise IncompatibleImage(device, f"image is {len(head)} bytes, shorter than the "
                                        f"{HEADER_SIZE}-byte signed header")
    magic, length, ctype = struct.unpack_from("<III", head, 0)
    if magic != BLOCK0_MAGIC:
        raise IncompatibleImage(device, f"not a signed PAC image (block 0 magic 0x{magic:08x}, "
                                        f"expected 0x{BLOCK0_MAGIC:08x})")
    component = CONTENT_TYPES.get(ctype & 0xFF)
    if component is None:
        raise IncompatibleImage(device, f"unknown image content type {ctype & 0xFF}")
    return {"content_type": ctype & 0xFF, "component": component, "length": length}


def build(component, payload):
    """A Block 0/1 header + payload (tests and the demo build images with it; unsigned)."""
    ctype = {v: k for k, v in CONTENT_TYPES.items()}[component]
    block0 = struct.pack("<III", BLOCK0_MAGIC, len(payload), ctype).ljust(128, b"\0")
    return block0 + b"\0" * (HEADER_SIZE - 128) + payload
