"""Intel QuickAssist: endpoint state and configured services (``qat/state``, ``qat/cfg_services``).

VFs are the allocatable deployables (``CUSTOM_QAT``) and carry one trait per
configured service (``sym;asym`` -> ``CUSTOM_QAT_SYM``, ``CUSTOM_QAT_ASYM``).
"""

import os

from accel_contract import naming
from ipa_fpga.drivers.base import AcceleratorDriver


def qat_dir(root, address):
    """The PF's ``qat/`` attribute group."""
    return os.path.join(root, "sys/bus/pci/devices", address, "qat")


class QatDriver(AcceleratorDriver):
    name = "intel_qat"

    def describe(self, ctx):
        dev = ctx.device
        dev.traits = self.device_traits(dev)
        folder = qat_dir(ctx.root, dev.primary.address)
        state = ctx.read(os.path.join(folder, "state"), required=False)
        services = None
        extra = []
        if state is not None:
            dev.attributes["qat.state"] = state
            services = ctx.read(os.path.join(folder, "cfg_services"), required=False)
            rps = ctx.read(os.path.join(folder, "num_rps"), required=False)
            if rps and rps.isdigit():
                dev.attributes["qat.num_rps"] = int(rps)
        if services is not None:
            dev.attributes["qat.cfg_services"] = services
            if state == "up":
                extra = naming.qat_service_traits(services)
            else:
                ctx.warn("device_down", f"QAT endpoint is {state!r}: services not offered",
                         os.path.join(folder, "state"))
        self.pf_vf_tree(ctx, root_kind="pf", extra_traits=extra)
