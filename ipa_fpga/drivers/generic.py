"""Generic driver: catalogued FEC/NPU/DPU/other devices and class-code fallbacks.

One deployable per device (``CUSTOM_ACCELERATOR`` for an unknown one), or the
PF -> VF tree when SR-IOV VFs are enabled (e.g. ACC100 -> ``CUSTOM_FEC`` VFs).
"""

from ipa_fpga.drivers.base import AcceleratorDriver


class GenericDriver(AcceleratorDriver):
    name = "generic"
