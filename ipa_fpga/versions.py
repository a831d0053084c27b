"""Ordering of firmware version strings (``D.2.1.24``, ``4.6.20``, ``0x2300011001030f``)."""

import re


def key(version):
    text = str(version or "").strip()
    if re.fullmatch(r"0x[0-9a-fA-F]+", text):
        return ((0, int(text, 16)),)
    out = []
    for part in re.split(r"[.\-_]", text):
        out.append((0, int(part)) if part.isdigit() else (1, part.upper()))
    return tuple(out)


def compare(a, b):
    """-1, 0 or 1 as ``a`` is older than, equal to or newer than ``b``."""
    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)
