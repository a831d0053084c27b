"""Creating and removing GPU partitions through the kernel's and NVIDIA's interfaces.

One module per form, shared by the IPA step ``configure_gpu_partitions`` and accel-agent
(claims): ``mdev`` (``create``/``remove`` attributes), ``vgpu_vf`` (``current_vgpu_type``
of NVIDIA's vendor VFIO framework, ``sriov_numvfs``), ``mig`` (``nvidia-smi``). Every
write is verified by re-reading what the kernel or the tool then shows, within a bounded
time (a real kernel answers at once; the fixture's simulator within a poll); a missing
driver or tool is refused with ``NotSupported`` saying what the ramdisk lacks.
"""

import os
import time

#: Seconds a write may take to show (the simulator polls; a kernel is synchronous).
SETTLE = 10.0
#: A fixture root's kernel simulator (accel_hosts.kernel_sim) and its pass counter.
SIM_DIR = ".accel-kernel-sim"


def _passes(sim_dir):
    try:
        with open(os.path.join(sim_dir, "passes")) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return None


def settle(root, timeout=SETTLE):
    """Return once what was just written has been acted on.

    A kernel acts within the ``write()``; on a fixture root the simulator acts on its
    next pass, so wait until it has completed a whole pass begun after the write (its
    ``passes`` counter moves by two). Nothing to wait for on ``/`` or without a simulator.
    """
    if os.path.abspath(root) == "/":
        return
    sim_dir = os.path.join(root, SIM_DIR)
    if not os.path.exists(os.path.join(sim_dir, "active")):
        return
    start = _passes(sim_dir) or 0  # no counter yet: the simulator's first pass is running
    until(lambda: (_passes(sim_dir) or 0) >= start + 2, timeout)


def until(check, timeout=SETTLE, interval=0.02):
    """Poll ``check()`` until it is truthy (returned) or ``timeout`` passes (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)
