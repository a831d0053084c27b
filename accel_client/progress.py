"""Upload progress and digests: a file reader that hashes what it hands out and draws a
progress bar on a stream."""

from __future__ import annotations

import hashlib
import os
import time


def _human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    return f"{n:.1f} GiB"


class ProgressBar:
    """``[######......]  50%  32.0 KiB/64.0 KiB`` on ``stream``: redrawn in place on a
    terminal; elsewhere one line per tenth, so logs stay short."""

    WIDTH = 30

    def __init__(self, total, stream, label="", interval=0.1):
        self.total, self.stream, self.label = total, stream, label
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.interval = interval
        self._shown = -1
        self._last = 0.0

    def update(self, done, final=False):
        pct = 100 if not self.total else min(100, done * 100 // self.total)
        now = time.monotonic()
        if self.tty:
            if not final and pct == self._shown and now - self._last < self.interval:
                return
        elif pct // 10 == self._shown // 10 and not (final and pct != self._shown):
            return
        self._shown, self._last = pct, now
        filled = self.WIDTH * pct // 100
        bar = "#" * filled + "." * (self.WIDTH - filled)
        text = f"{self.label}[{bar}] {pct:3d}%  {_human(done)}/{_human(self.total)}"
        self.stream.write(("\r" + text) if self.tty else (text + "\n"))
        if final and self.tty:
            self.stream.write("\n")
        self.stream.flush()


class HashingReader:
    """A file opened for upload: ``read`` feeds sha256/sha512 and the progress bar;
    ``len()`` gives the size, so the request carries a Content-Length."""

    def __init__(self, path, progress=None):
        self.size = os.path.getsize(path)
        self._file = open(path, "rb")  # noqa: SIM115 (closed by close())
        self.sha256 = hashlib.sha256()
        self.sha512 = hashlib.sha512()
        self.sent = 0
        self.progress = progress

    def __len__(self):
        return self.size

    def read(self, size=-1):
        data = self._file.read(size)
        if data:
            self.sha256.update(data)
            self.sha512.update(data)
            self.sent += len(data)
            if self.progress:
                self.progress.update(self.sent)
        return data

    def close(self):
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def file_digest(path, algorithm):
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
