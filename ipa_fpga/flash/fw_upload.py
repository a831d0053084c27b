"""The kernel firmware-upload class (``/sys/class/firmware/<name>/``), as the kernel documents it.

``loading``: write ``1`` to start, ``0`` to end the data; ``data``: the image;
``status``: ``idle``/``receiving``/``preparing``/``transferring``/``programming``;
``error``: ``<status>:<error>`` of the last upload (empty on success);
``remaining_size``: bytes left to program; ``cancel``: write ``1`` to abort.
Progress is logged; on a failure or a timeout the upload is cancelled.
"""

import contextlib
import logging
import os
import shutil
import time

from ipa_fpga.errors import NotSupported, UpdateFailed

LOG = logging.getLogger(__name__)
BUSY = ("receiving", "preparing", "transferring", "programming")


class FwUpload:
    def __init__(self, class_dir, device, poll=0.05, start_grace=3.0):
        self.dir = class_dir
        self.device = device
        self.poll = poll
        self.start_grace = start_grace

    def _read(self, name):
        try:
            with open(os.path.join(self.dir, name), encoding="utf-8") as f:
                return f.read().strip()
        except OSError as exc:
            raise UpdateFailed(self.device, f"cannot read {self.dir}/{name}: "
                                            f"{exc.strerror}") from None

    def _write(self, name, value):
        try:
            with open(os.path.join(self.dir, name), "w", encoding="utf-8") as f:
                f.write(value)
        except OSError as exc:
            raise UpdateFailed(self.device, f"cannot write {self.dir}/{name}: "
                                            f"{exc.strerror}") from None

    def cancel(self):
        with contextlib.suppress(UpdateFailed):
            self._write("cancel", "1")
        with contextlib.suppress(UpdateFailed):
            if self._read("loading") == "1":
                self._write("loading", "0")

    #: the files of the class a whole upload uses
    FILES = ("loading", "data", "status", "error", "remaining_size", "cancel")

    def check_ready(self):
        """Before anything is downloaded: the interface is complete and idle."""
        missing = [n for n in self.FILES if not os.path.exists(os.path.join(self.dir, n))]
        if missing:
            raise NotSupported(self.device, f"no firmware-upload interface at {self.dir} "
                                            f"(missing {', '.join(missing)})")
        status = self._read("status")
        if status != "idle":
            raise UpdateFailed(self.device, f"firmware upload device is busy ({status})")

    def upload(self, image_path, timeout):
        """Write the image; return when the device is idle again, or raise UpdateFailed."""
        status = self._read("status")
        if status != "idle":
            raise UpdateFailed(self.device, f"firmware upload device is busy ({status})")
        size = os.path.getsize(image_path)
        deadline = time.monotonic() + timeout
        LOG.info("%s: uploading %d bytes through %s", self.device, size, self.dir)
        self._write("loading", "1")
        try:
            with open(image_path, "rb") as src, \
                    open(os.path.join(self.dir, "data"), "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except OSError as exc:
            self.cancel()
            raise UpdateFailed(self.device, f"writing the image to {self.dir}/data failed: "
                                            f"{exc.strerror}") from None
        self._write("loading", "0")
        self._wait(deadline, timeout)

    def _wait(self, deadline, timeout):
        started = time.monotonic()
        seen_busy = False
        last = None
        while True:
            status = self._read("status")
            if status in BUSY:
                seen_busy = True
                remaining = self._read("remaining_size")
                if (status, remaining) != last:
                    LOG.info("%s: firmware upload %s, %s bytes remaining", self.device, status,
                             remaining)
                    last = (status, remaining)
            elif status == "idle" and (seen_busy or
                                       time.monotonic() - started > self.start_grace):
                break
            if time.monotonic() > deadline:
                self.cancel()
                raise UpdateFailed(self.device, f"firmware upload still {status} after "
                                                f"{timeout}s; cancelled")
            time.sleep(self.poll)
        error = self._read("error")
        if error:
            raise UpdateFailed(self.device, f"the kernel reported firmware upload error "
                                            f"{error!r}")
        LOG.info("%s: firmware upload finished", self.device)
