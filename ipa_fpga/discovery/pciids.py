"""Human names from pci.ids (optional): the root's copy first, else the system's.

Only the vendors actually seen are looked up, by searching the file text, so a
1.3 MB pci.ids costs one read, not a full parse.
"""

from __future__ import annotations

import os
import re

#: Where distributions install pci.ids (Debian/Ubuntu: misc; Fedora/RHEL: hwdata).
CANDIDATES = ("usr/share/misc/pci.ids", "usr/share/hwdata/pci.ids", "usr/share/pci.ids")
_CACHE = {}
_NEXT_VENDOR = re.compile(r"\n[0-9a-fA-FC]")


def find(root):
    """Path of the pci.ids to use for ``root``, or None."""
    for base in dict.fromkeys((root, "/")):
        for rel in CANDIDATES:
            path = os.path.join(base, rel)
            if os.path.isfile(path):
                return path
    return None


class PciIds:
    """Vendor and device names from one pci.ids text."""

    def __init__(self, text):
        self._text = text
        self._vendors = {}
        self._devices = {}

    @classmethod
    def load(cls, root):
        path = find(root)
        if path is None:
            return cls("")
        try:
            stat = os.stat(path)
            key = (path, stat.st_mtime_ns, stat.st_size)
            if key not in _CACHE:
                with open(path, encoding="utf-8", errors="replace") as f:
                    _CACHE.clear()
                    _CACHE[key] = cls(f.read())
            return _CACHE[key]
        except OSError:
            return cls("")

    def _vendor_block(self, vid):
        if vid in self._vendors:
            return self._vendors[vid]
        text = self._text
        needle = f"\n{vid}  "
        start = text.find(needle)
        block = None
        if start >= 0:
            line_end = text.find("\n", start + 1)
            name = text[start + len(needle): line_end].strip()
            # The block ends at the next line starting with a hex digit (the next vendor).
            match = _NEXT_VENDOR.search(text, line_end)
            end = match.start() if match else len(text)
            block = (name, text[line_end:end + 1])
        self._vendors[vid] = block
        return block

    def vendor(self, vendor_id):
        block = self._vendor_block(vendor_id.removeprefix("0x"))
        return block[0] if block else None

    def device(self, vendor_id, device_id):
        """``"Vendor Device"`` name, vendor name alone, or None."""
        key = (vendor_id, device_id)
        if key not in self._devices:
            self._devices[key] = self._device(vendor_id, device_id)
        return self._devices[key]

    def _device(self, vendor_id, device_id):
        block = self._vendor_block(vendor_id.removeprefix("0x"))
        if not block:
            return None
        did = device_id.removeprefix("0x")
        needle = f"\n\t{did}  "
        pos = block[1].find(needle)
        if pos < 0:
            return f"{block[0]} Device {did}"
        end = block[1].find("\n", pos + 1)
        return f"{block[0]} {block[1][pos + len(needle): end].strip()}"[:255]
