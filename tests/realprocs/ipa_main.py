"""Entry of the real ironic-python-agent process the tests start (see tests/realprocs/ipa.py).

It runs IPA's own ``ironic_python_agent.cmd.agent.run()`` with three test-only
changes made before IPA starts:

* hardware managers: only ``accelerators`` (ours, through its real entry point)
  and ``LoopbackHostManager`` below, which describes this test host (one NIC with
  the MAC of the node's port, no disks, no BMC) instead of probing the machine.
  IPA's ``GenericHardwareManager`` is excluded: its steps erase disks, assemble
  RAID and take links down;
* a guard refusing host-destructive commands (poweroff, reboot, shutdown, halt,
  ip, mdadm, modprobe, ...) and writes to ``/proc/sysrq-trigger``: IPA's own
  power-off and lockdown paths fail cleanly and Ironic falls back to its (fake)
  power interface.
"""

import builtins
import os
import subprocess
import sys

import stevedore
from ironic_python_agent import (
    config,  # noqa: F401  (before hardware)
    errors,
    hardware,
)
from oslo_concurrency import processutils
from stevedore import extension

REFUSED = {"poweroff", "reboot", "shutdown", "halt", "ip", "mdadm", "modprobe", "rmmod",
           "insmod", "wipefs", "sgdisk", "parted", "dd", "shred", "hdparm", "mkfs", "ifdown",
           "efibootmgr", "grub-install", "systemctl", "hwclock", "chronyd", "ntpdate"}


def _check(argv):
    if not argv:
        return
    first = argv[0] if not isinstance(argv, str) else argv.split()[0]
    name = os.path.basename(str(first))
    if name in REFUSED or name.startswith("mkfs."):
        raise processutils.ProcessExecutionError(
            cmd=" ".join(map(str, argv)) if not isinstance(argv, str) else argv,
            exit_code=126, description=f"refused by the ironic-accel test guard: {name}")


_orig_execute = processutils.execute


def _guarded_execute(*cmd, **kwargs):
    _check(cmd)
    return _orig_execute(*cmd, **kwargs)


processutils.execute = _guarded_execute


class _GuardedPopen(subprocess.Popen):
    def __init__(self, args, *a, **kw):
        _check(args if not isinstance(args, str | bytes) else [args])
        super().__init__(args, *a, **kw)


subprocess.Popen = _GuardedPopen
_orig_open = builtins.open


def _guarded_open(file, mode="r", *args, **kwargs):
    if str(file).startswith("/proc/sysrq") and any(c in mode for c in "wa+"):
        raise PermissionError(f"refused by the ironic-accel test guard: {file}")
    return _orig_open(file, mode, *args, **kwargs)


builtins.open = _guarded_open


class LoopbackHostManager(hardware.HardwareManager):
    """The test host: one NIC (``ACCEL_IPA_MAC``), no disks, no BMC."""

    HARDWARE_MANAGER_NAME = "LoopbackHostManager"
    HARDWARE_MANAGER_VERSION = "1.0"

    def evaluate_hardware_support(self):
        return hardware.HardwareSupport.GENERIC

    def list_network_interfaces(self):
        return [hardware.NetworkInterface("eth0", os.environ["ACCEL_IPA_MAC"],
                                          ipv4_address="127.0.0.1", has_carrier=True)]

    def get_cpus(self):
        return hardware.CPU("fixture", "2000", 2, "x86_64", flags=[])

    def get_memory(self):
        return hardware.Memory(8 << 30, physical_mb=8192)

    def list_block_devices(self, include_partitions=False, all_serial_and_wwn=False):
        return []

    def get_bmc_address(self):
        return None

    def get_bmc_v6address(self):
        return None

    def get_bmc_mac(self):
        raise errors.IncompatibleHardwareMethodError()

    def get_system_vendor_info(self):
        return hardware.SystemVendorInfo("fixture", "0", "ironic-accel",
                                         hardware.SystemFirmware("", "", ""))

    def get_boot_info(self):
        return hardware.BootInfo("uefi", os.environ["ACCEL_IPA_MAC"])

    def wait_for_disks(self):
        return None

    def get_os_install_device(self, permit_refresh=False):
        raise errors.DeviceNotFound("the test host has no disks")


def _extensions():
    ours = stevedore.NamedExtensionManager(
        "ironic_python_agent.hardware_managers", names=["accelerators"], invoke_on_load=True,
        on_missing_entrypoints_callback=lambda names: sys.exit(f"missing entry points {names}"))
    from importlib.metadata import EntryPoint

    ep = EntryPoint(name="loopback_host", value=f"{__name__}:LoopbackHostManager",
                    group="ironic_python_agent.hardware_managers")
    return list(ours.extensions) + [
        extension.Extension("loopback_host", ep, LoopbackHostManager, LoopbackHostManager())]


_EXTENSIONS = None


def _get_extensions():
    global _EXTENSIONS
    if _EXTENSIONS is None:
        _EXTENSIONS = _extensions()
    return _EXTENSIONS


hardware._get_extensions = _get_extensions

if __name__ == "__main__":
    from ironic_python_agent.cmd import agent

    agent.run()
