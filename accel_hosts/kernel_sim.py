"""The kernel's side of device writes, emulated on a fixture tree (tests and the demo only).

The Linux kernel cannot run here, so for a fixture root built by
``accel_hosts.sysfs.build`` this simulator reacts to writes like the kernel
and the card would:

* firmware upload (``/sys/class/firmware/secure-updateN``): after ``loading=1``,
  a ``data`` write and ``loading=0`` it moves ``status`` through
  ``preparing``/``transferring``/``programming`` back to ``idle`` (with
  ``remaining_size`` counting down), sets ``error`` to ``<status>:<error>`` for
  an image the card would refuse (bad Block 0 magic, other board), and on
  success updates what the driver reads back (``bmcfw_version`` for a BMC image,
  ``bitstream_id`` for an FPGA image). A real card only shows new versions after
  a reboot; the simulator shows them at once.
* DFL partial reconfiguration: ``ipa_fpga.program.dfl_pr`` hands requests over
  through ``<root>/.accel-kernel-sim/`` (see there); the simulator checks the
  bitstream against the region like the FME does and sets the port's ``afu_id``.
* GPU partitions (``accel_hosts.kernel_sim_gpu``): mdev ``create``/``remove``, the
  vendor VFIO framework's ``current_vgpu_type``, ``sriov_numvfs`` of NVIDIA GPUs. MIG is
  driven through the fixture's model of ``nvidia-smi`` (``accel_hosts.nvidia_smi``).

What the emulated *hardware* reports after a write (new version, AFU id) comes
from a simulator tag inside the test image payload: ``ACCELSIM {json}``
(``fw_payload()``/``pr_bitstream()`` make them). Start it with ``KernelSim(host,
root).start()`` (a thread) or ``python -m accel_hosts.kernel_sim --host NAME --root DIR``.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import struct
import threading
import time

from accel_hosts import kernel_sim_gpu, sysfs

MARKER_DIR = ".accel-kernel-sim"
TAG = b"ACCELSIM "
BLOCK0_MAGIC = 0xB6EAFD19
STEP_DELAY = 0.12


def encode_m10_version(text):
    """``"D.2.1.25"`` -> ``"0x44020119"`` (the MAX10 register form sysfs shows)."""
    letter, a, b, c = text.split(".")
    return "0x%02x%02x%02x%02x" % (ord(letter.upper()), int(a), int(b), int(c))


def fw_payload(board, version, size=4096):
    """Payload of a simulated secure-update image: tag + padding to ``size``."""
    tag = TAG + json.dumps({"board": board, "version": version}).encode() + b"\n"
    return tag + b"\xff" * max(0, size - len(tag))


def pr_bitstream(interface_id, afu_id, size=4096):
    """A raw bitstream the simulated FME accepts for ``interface_id`` and loads as ``afu_id``."""
    tag = TAG + json.dumps({"interface_id": interface_id.replace("-", "").lower(),
                            "afu_id": afu_id.replace("-", "").lower()}).encode() + b"\n"
    return tag + b"\x00" * max(0, size - len(tag))


def _tag(data):
    at = data.find(TAG)
    if at < 0:
        return None
    end = data.find(b"\n", at)
    try:
        return json.loads(data[at + len(TAG): end if end > 0 else None])
    except ValueError:
        return None


_read = sysfs.read_value


def _write(path, value):
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{value}\n")


class KernelSim:
    def __init__(self, host, root, poll=0.02):
        self.host = host
        self.root = root
        self.poll = poll
        self._stop = threading.Event()
        self._thread = None
        # The upstream DFL driver's interfaces only: the legacy OPAE driver is not modelled
        # (ipa_fpga has no path through it).
        self.cards = [c for c in host.cards if c.dfl is not None and not c.dfl.legacy]
        self.events = []
        self.gpu = kernel_sim_gpu.GpuSim(host, root, self.events)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self):
        os.makedirs(os.path.join(self.root, MARKER_DIR), exist_ok=True)
        _write(os.path.join(self.root, MARKER_DIR, "active"), os.getpid())
        # Anyone running the agent may write the channel (the agent runs unprivileged).
        os.chmod(os.path.join(self.root, MARKER_DIR), 0o1777)
        self._thread = threading.Thread(target=self._run, name="kernel-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        try:
            os.unlink(os.path.join(self.root, MARKER_DIR, "active"))
        except OSError:
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _run(self):
        while not self._stop.is_set():
            for card in self.cards:
                try:
                    if card.dfl.secure_update is not None:
                        self._fw_upload(card)
                    self._pr(card)
                except OSError:
                    pass
            self.gpu.tick()
            self._count_pass()
            time.sleep(self.poll)

    def _count_pass(self):
        """``passes``: how many whole passes so far (writers wait on it, see
        ``ipa_fpga.partitions.settle``; the kernel needs no such thing)."""
        self.passes = getattr(self, "passes", 0) + 1
        path = os.path.join(self.root, MARKER_DIR, "passes")
        try:
            with open(path + ".tmp", "w") as f:
                f.write(f"{self.passes}\n")
            os.chmod(path + ".tmp", 0o644)
            os.replace(path + ".tmp", path)
        except OSError:
            pass

    # -- firmware upload ---------------------------------------------------------------------
    def _fw_upload(self, card):
        fw = sysfs.secure_update_dir(self.host, card, self.root)
        if _read(os.path.join(fw, "loading")) != "0" or _read(os.path.join(fw, "status")) != "idle":
            return
        data_path = os.path.join(fw, "data")
        if os.path.getsize(data_path) == 0:
            return
        with open(data_path, "rb") as f:
            data = f.read()
        open(data_path, "wb").close()  # the kernel frees its buffer
        _write(os.path.join(fw, "error"), "")
        size = len(data)
        _write(os.path.join(fw, "remaining_size"), size)
        _write(os.path.join(fw, "status"), "preparing")
        time.sleep(STEP_DELAY)
        error = self._check_image(card, data)
        if error:
            self._finish(fw, f"preparing:{error}", card, error)
            return
        _write(os.path.join(fw, "status"), "transferring")
        for left in (size // 2, 0):
            time.sleep(STEP_DELAY / 2)
            _write(os.path.join(fw, "remaining_size"), left)
        _write(os.path.join(fw, "status"), "programming")
        time.sleep(STEP_DELAY)
        self._apply(card, data)
        self._finish(fw, "", card, None)

    def _finish(self, fw, error, card, reason):
        _write(os.path.join(fw, "error"), error)
        _write(os.path.join(fw, "remaining_size"), 0)
        _write(os.path.join(fw, "status"), "idle")
        self.events.append(("fw_upload", card.name, reason or "ok"))

    def _check_image(self, card, data):
        if len(data) < 1024 or struct.unpack_from("<I", data, 0)[0] != BLOCK0_MAGIC:
            return "firmware-invalid"
        tag = _tag(data[1024:])
        if tag is None or tag.get("board") != card.kind:
            return "firmware-invalid"
        return None

    def _apply(self, card, data):
        ctype = struct.unpack_from("<I", data, 8)[0] & 0xFF
        version = _tag(data[1024:])["version"]
        if ctype == 1:  # BMC (MAX10 NIOS) image
            _write(os.path.join(sysfs.bmc_dir(self.host, card, self.root), "bmcfw_version"),
                   encode_m10_version(version))
        elif ctype == 0:  # FPGA (FIM / static region) image
            _write(os.path.join(sysfs.fme_dir(self.host, card, self.root), "bitstream_id"),
                   version)

    # -- partial reconfiguration -------------------------------------------------------------
    def _pr(self, card):
        name = os.path.basename(sysfs.dev_node(card, "fme"))
        req = os.path.join(self.root, MARKER_DIR, f"pr-{name}")
        if not os.path.exists(req + ".json"):
            return
        with open(req + ".json") as f:
            args = json.load(f)
        with open(req + ".bin", "rb") as f:
            bitstream = f.read()
        os.unlink(req + ".json")
        os.unlink(req + ".bin")
        code = 0
        tag = _tag(bitstream)
        compat = _read(sysfs.compat_id_path(self.host, card, self.root))
        if args.get("port_id") != 0 or tag is None:
            code = errno.EINVAL
        elif tag["interface_id"] != compat:
            code = errno.EINVAL  # the FME refuses a bitstream for another PR interface
        else:
            mgr = sysfs.fpga_manager_dir(self.host, card, self.root)
            _write(os.path.join(mgr, "state"), "write")
            time.sleep(STEP_DELAY)
            _write(os.path.join(sysfs.port_dir(self.host, card, self.root), "afu_id"),
                   tag["afu_id"])
            _write(os.path.join(mgr, "state"), "operating")
        self.events.append(("pr", card.name, os.strerror(code) if code else "ok"))
        with open(req + ".result.tmp", "w") as f:
            json.dump({"errno": code}, f)
        os.chmod(req + ".result.tmp", 0o666)
        os.rename(req + ".result.tmp", req + ".result")


def main(argv=None):
    from accel_hosts import loader

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True, help="bundled host name or description file")
    parser.add_argument("--root", required=True, help="fixture root built from that host")
    args = parser.parse_args(argv)
    sim = KernelSim(loader.load(args.host), args.root).start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()


if __name__ == "__main__":
    main()
