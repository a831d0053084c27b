"""IPA hardware manager ``accelerators``: in-band accelerator steps for clean, deploy and service.

Supports the hardware (``SERVICE_PROVIDER``) when discovery finds accelerators,
``NONE`` otherwise, so ramdisks without accelerators are unaffected. Steps are
data (``STEPS``); every step has priority 0 (run on request: manual cleaning,
deploy templates with a priority of 41-99, service steps).
"""

import copy
import logging

# IPA's config must be imported before its hardware module (which reads its options).
from ironic_python_agent import config as _ipa_config  # noqa: F401
from ironic_python_agent import hardware

from ipa_fpga import conf, selectors
from ipa_fpga.discovery import discover
from ipa_fpga.steps import bitstream, firmware, gpu_partitions, vfs

LOG = logging.getLogger(__name__)

HARDWARE_MANAGER_NAME = "AcceleratorHardwareManager"
HARDWARE_MANAGER_VERSION = "1.0"

_IMAGES_DOC = (
    "List of images to flash, in order. Each: url (http/https), checksum (hex, or "
    "'sha256:<hex>'/'sha512:<hex>'), checksum_type (sha256|sha512; optional with the prefixed "
    "form), component (firmware component as inspection reports it, e.g. max10_bmc_nios, "
    "fpga_image, xrt_shell), a device selector (address, or vendor_id+device_id, or model), "
    "version (optional: verified after the flash and used to refuse downgrades), force "
    "(optional bool: allow a downgrade or re-flash of the same version).")

STEPS = [
    {
        "step": "flash_accelerator_firmware",
        "priority": 0,
        "interface": "deploy",
        "reboot_requested": False,
        "abortable": False,
        "argsinfo": {"images": {"description": _IMAGES_DOC, "required": True}},
    },
    {
        "step": "program_fpga_bitstream",
        "priority": 0,
        "interface": "deploy",
        "reboot_requested": False,
        "abortable": False,
        "argsinfo": dict(
            {
                "url": {"description": "URL (http/https) of the bitstream: an Intel GBS for "
                        "DFL cards, an xclbin for Xilinx cards.", "required": True},
                "checksum": {"description": "sha256/sha512 of the bitstream (hex, or "
                             "'sha256:<hex>').", "required": True},
                "checksum_type": {"description": "sha256 or sha512 (optional with the "
                                  "prefixed checksum form).", "required": False},
                "region": {"description": "Region deployable id or name (default: the card's "
                           "first programmable region).", "required": False},
            },
            **selectors.ARGSINFO,
        ),
    },
    {
        "step": "configure_accelerator_vfs",
        "priority": 0,
        "interface": "deploy",
        "reboot_requested": False,
        "abortable": True,
        "argsinfo": dict(
            {"num_vfs": {"description": "Number of SR-IOV virtual functions to enable "
                         "(0 disables them).", "required": True}},
            **selectors.ARGSINFO,
        ),
    },
    {
        "step": "configure_gpu_partitions",
        "priority": 0,
        "interface": "deploy",
        "reboot_requested": False,
        "abortable": False,
        "argsinfo": dict(gpu_partitions.ARGSINFO, **selectors.ARGSINFO),
    },
]


class AcceleratorHardwareManager(hardware.HardwareManager):
    HARDWARE_MANAGER_NAME = HARDWARE_MANAGER_NAME
    HARDWARE_MANAGER_VERSION = HARDWARE_MANAGER_VERSION

    @property
    def root(self):
        return conf.options().sysfs_root

    def evaluate_hardware_support(self):
        try:
            doc = discover(root=self.root)
        except Exception:
            LOG.exception("accelerator discovery failed under %s", self.root)
            return hardware.HardwareSupport.NONE
        if doc["devices"]:
            LOG.info("accelerators found: %s", ", ".join(
                f"{d['model']}@{d['id']}" for d in doc["devices"]))
            return hardware.HardwareSupport.SERVICE_PROVIDER
        return hardware.HardwareSupport.NONE

    def get_version(self):
        return {"name": self.HARDWARE_MANAGER_NAME, "version": self.HARDWARE_MANAGER_VERSION}

    def _steps(self):
        return copy.deepcopy(STEPS)

    def get_clean_steps(self, node, ports):
        return self._steps()

    def get_deploy_steps(self, node, ports):
        return self._steps()

    def get_service_steps(self, node, ports):
        return self._steps()

    # -- steps -------------------------------------------------------------------------------
    def flash_accelerator_firmware(self, node, ports, images=None, **kwargs):
        """Flash board firmware / FPGA shells; see ``ipa_fpga.steps.firmware``."""
        _no_extra("flash_accelerator_firmware", kwargs)
        return firmware.flash(self.root, images)

    def program_fpga_bitstream(self, node, ports, url=None, checksum=None, checksum_type=None,
                               region=None, **selector):
        """Program an FPGA region; see ``ipa_fpga.steps.bitstream``."""
        _only_selector("program_fpga_bitstream", selector)
        return bitstream.program(self.root, url, checksum, checksum_type, region, **selector)

    def configure_accelerator_vfs(self, node, ports, num_vfs=None, **selector):
        """Set the VF count of a PF; see ``ipa_fpga.steps.vfs``."""
        _only_selector("configure_accelerator_vfs", selector)
        return vfs.configure(self.root, num_vfs, **selector)

    def configure_gpu_partitions(self, node, ports, mig=None, vgpu=None, **selector):
        """MIG instances or vendor-VFIO vGPUs; see ``ipa_fpga.steps.gpu_partitions``."""
        _only_selector("configure_gpu_partitions", selector)
        return gpu_partitions.configure(self.root, mig=mig, vgpu=vgpu, **selector)


def _no_extra(step, kwargs):
    if kwargs:
        from ipa_fpga.errors import InvalidArgs

        raise InvalidArgs(step, f"unknown arguments {sorted(kwargs)}")


def _only_selector(step, selector):
    extra = set(selector) - set(selectors.KEYS)
    if extra:
        from ipa_fpga.errors import InvalidArgs

        raise InvalidArgs(step, f"unknown arguments {sorted(extra)}")
