"""Intel GPUs on i915: GVT-g mediated vGPU types on the PF (hwfacts gpu-partitioning.md 1.3).

The PF (``0000:00:02.0`` on client parts) is the mdev parent of the ``i915-GVTg_V<n>_<k>``
types; their ``description`` is multi-line (``low_gm_size``, ``high_gm_size``, ``fence``,
``resolution``, ``weight``) and ``available_instances`` shrinks as vGPUs are created. A
GPU without GVT-g is offered whole (``PGPU``).
"""

from __future__ import annotations

from ipa_fpga.discovery import mdev
from ipa_fpga.drivers import gpu_partitions
from ipa_fpga.drivers.base import AcceleratorDriver


class IntelGpuDriver(AcceleratorDriver):
    name = "intel_gpu"

    def describe(self, ctx):
        dev = ctx.device
        dev.traits = self.device_traits(dev)
        facts = gpu_partitions.Facts()
        facts.mdev_types, facts.mdevs = mdev.read_parent(ctx, dev.primary.address)
        if not facts.forms:
            self.pf_vf_tree(ctx, root_kind="gpu")
            return
        gpu_partitions.describe(self, ctx, facts, f"{dev.model} {dev.primary.address}")
