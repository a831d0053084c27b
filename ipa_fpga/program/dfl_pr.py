"""DFL partial reconfiguration: ``ioctl(DFL_FPGA_FME_PORT_PR)`` on ``/dev/dfl-fme.N``.

The GBS header is checked first (interface id == the region's ``compat_id``),
the raw bitstream is handed to the kernel (``struct dfl_fpga_fme_port_pr``:
argsz, flags, port_id, buffer_size, buffer_address), and the port's ``afu_id``
is read back and compared with the GBS's accelerator id.

Kernel emulation for fixtures: an ioctl cannot target a plain file, so when (and
only when) the FME node under a non-``/`` root is NOT a character device AND the
root carries the marker of ``accel_hosts.kernel_sim`` (``.accel-kernel-sim/active``),
the same request (port id + raw bitstream) is handed to that simulator through
files in the marker directory and its errno is read back. On a real host (root
``/``, or a real character device) this path is never taken.
"""

import ctypes
import errno
import fcntl
import json
import logging
import mmap
import os
import stat
import time

from ipa_fpga.errors import IncompatibleImage, UpdateFailed, VerificationFailed
from ipa_fpga.program import gbs as gbs_mod

LOG = logging.getLogger(__name__)

DFL_FPGA_MAGIC = 0xB6
DFL_FME_BASE = 0x80
#: _IO(DFL_FPGA_MAGIC, DFL_FME_BASE + 0)
DFL_FPGA_FME_PORT_PR = (DFL_FPGA_MAGIC << 8) | (DFL_FME_BASE + 0)
SIM_DIR = ".accel-kernel-sim"


class DflFpgaFmePortPr(ctypes.Structure):
    _fields_ = [
        ("argsz", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("port_id", ctypes.c_uint32),
        ("buffer_size", ctypes.c_uint32),
        ("buffer_address", ctypes.c_uint64),
    ]


def _read(path, device):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except OSError as exc:
        raise UpdateFailed(device, f"cannot read {path}: {exc.strerror}") from None


def simulator_dir(root):
    """The kernel simulator's channel under ``root``, or None (always None for ``/``)."""
    if os.path.realpath(root) == "/":
        return None
    path = os.path.join(root, SIM_DIR)
    return path if os.path.exists(os.path.join(path, "active")) else None


def check_compatible(image, compat_path, device):
    compat = _read(compat_path, device).lower().replace("-", "")
    if image.interface_id != compat:
        raise IncompatibleImage(device, f"bitstream built for PR interface "
                                        f"{image.interface_id}, region has {compat}")
    return compat


def program(root, fme_node, port_dir, compat_path, image_path, device, port_id=0,
            timeout=120):
    """Program the GBS at ``image_path`` into the region; return the verified AFU id."""
    image = gbs_mod.parse(image_path, device)
    check_compatible(image, compat_path, device)
    before = _read(os.path.join(port_dir, "afu_id"), device)
    try:
        mode = os.stat(fme_node).st_mode
    except OSError as exc:
        raise UpdateFailed(device, f"cannot open {fme_node}: {exc.strerror}") from None
    LOG.info("%s: partial reconfiguration of port %d with %d bytes (AFU %s, was %s)",
             device, port_id, image.length, image.afu_id, before)
    # The image stays in the file: the ioctl gets a mapping of it and the simulator a
    # streamed copy, so memory does not grow with the bitstream's size.
    with open(image_path, "rb") as f:
        if stat.S_ISCHR(mode):
            _ioctl(fme_node, port_id, f, image, device)
        else:
            sim = simulator_dir(root)
            if sim is None:
                raise UpdateFailed(device, f"{fme_node} is not a character device")
            _simulated_ioctl(sim, fme_node, port_id, f, image, device, timeout)
    after = _read(os.path.join(port_dir, "afu_id"), device).lower().replace("-", "")
    if image.afu_id and after != image.afu_id:
        raise VerificationFailed(device, f"port reports AFU {after} after programming, "
                                         f"expected {image.afu_id}")
    LOG.info("%s: AFU %s loaded and verified", device, after)
    return after


def _ioctl(fme_node, port_id, image_file, image, device):
    # A private (copy-on-write, never written) mapping of the image file: the kernel
    # copies the bitstream from it, page-cache pages only, no anonymous copy.
    buf = mmap.mmap(image_file.fileno(), 0, access=mmap.ACCESS_COPY)
    try:
        view = ctypes.c_char.from_buffer(buf)
        address = ctypes.addressof(view) + image.offset
        del view  # release the export so the mapping can be closed
        req = DflFpgaFmePortPr(ctypes.sizeof(DflFpgaFmePortPr), 0, port_id, image.length,
                               address)
        fd = os.open(fme_node, os.O_RDWR)
        try:
            fcntl.ioctl(fd, DFL_FPGA_FME_PORT_PR, req)
        except OSError as exc:
            raise UpdateFailed(device, f"DFL_FPGA_FME_PORT_PR on {fme_node} failed: "
                                       f"{exc.strerror}") from None
        finally:
            os.close(fd)
    finally:
        buf.close()


def _simulated_ioctl(sim, fme_node, port_id, image_file, image, device, timeout):
    name = os.path.basename(fme_node)
    req = os.path.join(sim, f"pr-{name}")
    result = req + ".result"
    if os.path.exists(result):
        os.unlink(result)
    image_file.seek(image.offset)
    left = image.length
    with open(req + ".bin.tmp", "wb") as f:
        while left:
            chunk = image_file.read(min(left, 1 << 20))
            if not chunk:
                raise UpdateFailed(device, "bitstream shorter than its header says")
            f.write(chunk)
            left -= len(chunk)
    with open(req + ".json.tmp", "w") as f:
        json.dump({"port_id": port_id, "argsz": ctypes.sizeof(DflFpgaFmePortPr)}, f)
    os.rename(req + ".bin.tmp", req + ".bin")
    os.rename(req + ".json.tmp", req + ".json")
    deadline = time.monotonic() + timeout
    while not os.path.exists(result):
        if time.monotonic() > deadline:
            raise UpdateFailed(device, f"DFL_FPGA_FME_PORT_PR on {fme_node} did not "
                                       f"complete in {timeout}s")
        time.sleep(0.02)
    with open(result) as f:
        code = int(json.load(f).get("errno", errno.EIO))
    os.unlink(result)
    if code:
        raise UpdateFailed(device, f"DFL_FPGA_FME_PORT_PR on {fme_node} failed: "
                                   f"{os.strerror(code)}")
