"""Reading sysfs under a root, one file at a time, turning every failure into a warning.

Real hosts (and broken fixtures) have unreadable, truncated, empty or missing
files, dangling symlinks and directories where files should be. None of them
may stop discovery: each becomes a warning (code, message, path) and the
caller gets ``None``.
"""

from __future__ import annotations

import errno
import os
import re

#: A sysfs attribute is at most one page; larger procfs/vendor files get MAX_READ.
ATTR_READ = 4096
MAX_READ = 65536

_HEX = {n: re.compile(f"0x[0-9a-f]{{{n}}}") for n in (2, 4, 6)}
_O_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)


class Warnings(list):
    """A list of contract warning dicts, with a helper to add one."""

    def add(self, code, message, path=None, device=None):
        self.append({"code": code, "message": message, "path": path, "device": device})


class Reader:
    """Reads files below ``root``; reports paths as the host sees them (``/sys/...``)."""

    def __init__(self, root, warnings=None):
        self.root = os.path.abspath(root)
        self.warnings = warnings if warnings is not None else Warnings()

    def host_path(self, path):
        """``<root>/sys/x`` -> ``/sys/x`` (what an operator would look at on the host)."""
        if self.root == "/":
            return path
        rel = os.path.relpath(path, self.root)
        return "/" + rel if not rel.startswith("..") else path

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    # -- low level, dir-fd based (fast: no path walk per file) ---------------------------------

    def open_dir(self, name, device=None, quiet=False, dir_fd=None, path=None):
        """A directory fd (``name`` relative to ``dir_fd`` if given), or None + a warning.

        ``path`` is the full path used in the warning (default: ``name``).
        """
        try:
            return os.open(name, _O_DIR, dir_fd=dir_fd)
        except OSError as exc:
            if not quiet:
                self._warn_os(exc, path or name, device)
            return None

    def read_at(self, dfd, name, dir_path, device=None, required=True):
        """Stripped text of ``name`` in the directory ``dfd``, or None.

        A missing file is silent unless ``required``; everything else is a warning.
        """
        try:
            fd = os.open(name, os.O_RDONLY, dir_fd=dfd)
        except FileNotFoundError as exc:
            if required:
                self._warn_os(exc, os.path.join(dir_path, name), device)
            return None
        except OSError as exc:
            self._warn_os(exc, os.path.join(dir_path, name), device)
            return None
        try:
            data = os.read(fd, ATTR_READ)
        except OSError as exc:
            self._warn_os(exc, os.path.join(dir_path, name), device)
            return None
        finally:
            os.close(fd)
        if data[-1:] == b"\n" and data.isascii():
            return data.decode("ascii").strip()  # the normal case, decided without a join
        return self._decode(data, os.path.join(dir_path, name), device, ATTR_READ)

    def readlink_at(self, dfd, name, dir_path, device=None, required=False):
        """Target of a symlink in ``dfd``, or None (missing: silent unless ``required``)."""
        try:
            return os.readlink(name, dir_fd=dfd)
        except FileNotFoundError as exc:
            if required:
                self._warn_os(exc, os.path.join(dir_path, name), device)
            return None
        except OSError as exc:
            if exc.errno == errno.EINVAL:
                self.warnings.add("not_a_symlink", f"{name} should be a symlink",
                                  self.host_path(os.path.join(dir_path, name)), device)
            else:
                self._warn_os(exc, os.path.join(dir_path, name), device)
            return None

    # -- path based (for the rarer, vendor-specific reads) ------------------------------------

    def read(self, path, device=None, required=True):
        """Stripped text of the file at ``path`` (absolute, under the root), or None."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError as exc:
            if required:
                self._warn_os(exc, path, device)
            return None
        except OSError as exc:
            self._warn_os(exc, path, device)
            return None
        try:
            data = os.read(fd, MAX_READ)
        except OSError as exc:
            self._warn_os(exc, path, device)
            return None
        finally:
            os.close(fd)
        return self._decode(data, path, device, MAX_READ)

    def listdir(self, path, device=None, required=False):
        """Sorted names in a directory, or [] (warning when it exists but cannot be listed)."""
        try:
            with os.scandir(path) as it:
                return sorted(e.name for e in it)
        except FileNotFoundError as exc:
            if required:
                self._warn_os(exc, path, device)
            return []
        except OSError as exc:
            self._warn_os(exc, path, device)
            return []

    def lines(self, path, device=None, required=True):
        text = self.read(path, device, required)
        return [line.strip() for line in text.splitlines() if line.strip()] if text else []

    # -- helpers --------------------------------------------------------------------------------

    def _decode(self, data, path, device, limit):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.warnings.add("bad_value", "file is not text (UTF-8)", self.host_path(path),
                              device)
            return None
        if not text.endswith("\n") and text != "" and len(data) < limit:
            # sysfs attributes always end with a newline: a missing one means truncation.
            self.warnings.add("truncated", "value does not end with a newline (truncated?)",
                              self.host_path(path), device)
        text = text.strip()
        if text == "" and data.strip() == b"":
            return ""
        return text

    def _warn_os(self, exc, path, device):
        shown = self.host_path(path)
        if isinstance(exc, PermissionError):
            code, msg = "permission_denied", "permission denied"
        elif isinstance(exc, IsADirectoryError):
            code, msg = "not_a_file", "a directory where a file was expected"
        elif isinstance(exc, NotADirectoryError):
            code, msg = "not_a_directory", "a file where a directory was expected"
        elif isinstance(exc, FileNotFoundError):
            if os.path.islink(path):
                code, msg = "dangling_symlink", f"symlink to missing {os.readlink(path)}"
            else:
                code, msg = "missing", "expected file is missing"
        else:
            code, msg = "unreadable", exc.strerror or str(exc)
        self.warnings.add(code, msg, shown, device)


def parse_hex(text, digits):
    """``"0x8086"`` (exactly ``digits`` hex digits, as the kernel prints) or None if malformed."""
    if not text:
        return None
    if len(text) == digits + 2 and _HEX[digits].fullmatch(text):
        return text  # the kernel's own format (fixed width): anything else is damage
    value = text.strip().lower()
    if len(value) == digits + 2 and _HEX[digits].fullmatch(value):
        return value
    return None


def parse_int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None
