"""Materialise a host model as a fake but kernel-faithful sysfs/procfs/dev tree under a root.

Formats follow the kernel (see hwfacts/hosts.md): attribute files end with
``\\n``; ids are ``0x%04x``, ``class`` is ``0x%06x``; ``/sys/bus/pci/devices/<BDF>``
are relative symlinks into ``/sys/devices/pci<DDDD:BB>/<bridges>/<BDF>``; ``driver``,
``iommu_group``, ``physfn``, ``virtfnN`` and ``subsystem`` are relative symlinks;
``config`` holds a 256-byte configuration header so ``lspci -A linux-sysfs
-O sysfs.path=<root>/sys/bus/pci`` reads the tree.

Files a writer touches (the issue-3 "kernel simulator" and the write paths act on these;
get their paths from the helpers below, never rebuild them by hand):

* firmware upload (``fw_upload`` method) - ``secure_update_dir(host, card)``:
  ``loading`` (write ``1``, stream into ``data``, write ``0``), ``data``, ``status``
  (``idle``/``receiving``/``preparing``/``transferring``/``programming``), ``error``
  (``<status>:<error>`` or empty), ``remaining_size``, ``cancel``; class-wide
  ``sys/class/firmware/timeout``. After an update the MAX10 versions change in
  ``bmc_dir(host, card)`` (``bmc_version``, ``bmcfw_version``) and the FPGA image id in
  ``fme_dir(host, card)/bitstream_id``.
* partial reconfiguration (``fpga_pr``) - ``dev_node(card, "fme")`` (``/dev/dfl-fme.N``,
  ioctl ``DFL_FPGA_FME_PORT_PR``); result visible in ``port_dir(host, card)/afu_id``;
  compatibility checked against ``compat_id_path(host, card)``; FPGA manager state in
  ``fpga_manager_dir(host, card)/state``.
* SR-IOV - ``<function dir>/sriov_numvfs`` (write N; ``virtfn*`` links and VF dirs appear).
* driver binding - ``<function dir>/driver_override``, ``sys/bus/pci/drivers/<name>/bind|unbind``.
* XRT - user PF ``xclbinuuid`` after an xclbin download; mgmt PF ``logic_uuids`` after a
  shell flash.
* mdev - ``<parent dir>/mdev_supported_types/<type>/create`` (write a uuid: the mdev
  ``<parent dir>/<uuid>`` appears with ``/sys/bus/mdev/devices/<uuid>``), ``<parent
  dir>/<uuid>/remove`` (write ``1``); ``available_instances`` recomputed after each.
* NVIDIA vendor VFIO framework - ``<VF dir>/nvidia/current_vgpu_type`` (write a type id
  from ``creatable_vgpu_types``, ``0`` to release).
* MIG - only through ``usr/bin/nvidia-smi`` (a model of NVIDIA's tool, ``accel_hosts
  .nvidia_smi``, over the driver state ``driver_state_path(root)``); it keeps
  ``/proc/driver/nvidia/capabilities/gpuN/mig/giG[/ciC]/access`` in step.
"""

from __future__ import annotations

import json
import os
import struct
import sys

from accel_contract import catalogue
from accel_hosts import gpu_partitions
from accel_hosts.model import Card, Host, PciFunction

#: Character-device majors used for ``dev`` files (values are what a typical kernel assigns).
_DFL_FME_MAJOR = 235
_DFL_PORT_MAJOR = 236
_XRT_VERSION = "2.16.204"
_NVIDIA_DRIVER = "550.90.07"
#: Vendor names for the fixture's own pci.ids (as in the public pci.ids).
_VENDOR_NAMES = {
    "0x8086": "Intel Corporation",
    "0x10ee": "Xilinx Corporation",
    "0x10de": "NVIDIA Corporation",
    "0x10b5": "PLX Technology, Inc.",
    "0x1002": "Advanced Micro Devices, Inc. [AMD/ATI]",
    "0x15b3": "Mellanox Technologies",
    "0x1c2c": "Silicom Denmark",
}
_BRIDGE_NAMES = {
    ("0x8086", "0x2030"): "Sky Lake-E PCI Express Root Port A",
    ("0x10b5", "0x8747"): "PEX 8747 48-Lane, 5-Port PCI Express Gen 3 (8.0 GT/s) Switch",
}


# -- paths (all relative to the root unless ``root`` is given) ---------------------------------


def _join(root, rel):
    return os.path.join(root, rel) if root is not None else rel


def device_dir(host: Host, address: str, root: str | None = None) -> str:
    """``sys/devices/pci0000:3a/0000:3a:00.0/.../<address>`` for one function of ``host``."""
    return _join(root, _rel_dir(host.functions(), address))


def _rel_dir(functions, address, memo=None):
    if memo is not None and address in memo:
        return memo[address]
    fn = functions[address]
    if fn.parent and fn.parent in functions:
        rel = os.path.join(_rel_dir(functions, fn.parent, memo), address)
    else:
        rel = os.path.join("sys/devices", f"pci{fn.domain}:{fn.bus:02x}", address)
    if memo is not None:
        memo[address] = rel
    return rel


def _dfl(card: Card):
    if card.dfl is None:
        raise ValueError(f"card {card.id} ({card.kind}) is not a DFL card")
    return card.dfl


def base_region_dir(host, card, root=None):
    """The card's base FPGA region: ``<fpga PF>/fpga_region/regionN``."""
    d = _dfl(card)
    return os.path.join(device_dir(host, card.primary.address, root), "fpga_region",
                        f"region{d.base_region}")


def fme_dir(host, card, root=None):
    """The FME: ``bitstream_id``, ``bitstream_metadata``, ``ports_num``, ``socket_id``."""
    return os.path.join(base_region_dir(host, card, root), f"dfl-fme.{_dfl(card).fme_index}")


def port_dir(host, card, root=None):
    """The port (AFU slot): ``afu_id``, ``id``, ``dev``."""
    return os.path.join(base_region_dir(host, card, root), f"dfl-port.{_dfl(card).port_index}")


def pr_region_dir(host, card, root=None):
    """The PR region below ``dfl-fme-region.N`` (holds ``compat_id``)."""
    d = _dfl(card)
    return os.path.join(fme_dir(host, card, root), f"dfl-fme-region.{d.fme_index}",
                        "fpga_region", f"region{d.pr_region}")


def compat_id_path(host, card, root=None):
    """The PR interface id file (``%016llx%016llx``)."""
    return os.path.join(pr_region_dir(host, card, root), "compat_id")


def fpga_manager_dir(host, card, root=None):
    d = _dfl(card)
    return os.path.join(fme_dir(host, card, root), f"dfl-fme-mgr.{d.fme_index}", "fpga_manager",
                        f"fpga{d.fpga_manager}")


def bmc_dir(host, card, root=None):
    """The MAX10 BMC SPI device: ``bmc_version``, ``bmcfw_version`` (``0x%x``)."""
    d = _dfl(card)
    return os.path.join(fme_dir(host, card, root), f"dfl_dev.{d.spi_bus}", "spi_master",
                        f"spi{d.spi_bus}", f"spi{d.spi_bus}.0")


def sec_update_dev_dir(host, card, root=None):
    """The MAX10 secure-update platform device (parent of the firmware-upload device)."""
    d = _dfl(card)
    return os.path.join(bmc_dir(host, card, root), f"{d.sec_update_name}.{d.spi_bus}.auto")


def secure_update_dir(host, card, root=None):
    """The firmware-upload device: ``loading``, ``data``, ``status``, ``error``, ..."""
    d = _dfl(card)
    return os.path.join(sec_update_dev_dir(host, card, root), "firmware",
                        f"secure-update{d.secure_update}")


def secure_update_class_link(card, root=None):
    """``sys/class/firmware/secure-updateN`` (a symlink to ``secure_update_dir``)."""
    return _join(root, f"sys/class/firmware/secure-update{_dfl(card).secure_update}")


def legacy_fpga_dev_dir(host, card, root=None):
    """Legacy OPAE driver (``intel-fpga-pci``): ``<fpga PF>/fpga/intel-fpga-dev.N``."""
    return os.path.join(device_dir(host, card.primary.address, root), "fpga",
                        f"intel-fpga-dev.{_dfl(card).fme_index}")


def legacy_fme_dir(host, card, root=None):
    """Legacy OPAE FME: ``bitstream_id``, ``pr/interface_id``, ``ports_num``..."""
    return os.path.join(legacy_fpga_dev_dir(host, card, root),
                        f"intel-fpga-fme.{_dfl(card).fme_index}")


def legacy_port_dir(host, card, root=None):
    """Legacy OPAE port: ``afu_id``."""
    return os.path.join(legacy_fpga_dev_dir(host, card, root),
                        f"intel-fpga-port.{_dfl(card).port_index}")


def dev_node(card, which, root=None):
    """``/dev`` node of a card: ``fme``/``port`` (DFL), ``mgmt``/``user`` (XRT), ``gpu``."""
    if which in ("fme", "port"):
        d = _dfl(card)
        name = f"dfl-fme.{d.fme_index}" if which == "fme" else f"dfl-port.{d.port_index}"
    elif which == "mgmt" and card.xrt:
        name = f"xclmgmt{card.xrt.instance}"
    elif which == "user" and card.xrt:
        name = f"dri/renderD{card.xrt.render_minor}"
    elif which == "gpu" and card.nvidia:
        name = f"nvidia{card.nvidia.minor}"
    else:
        raise ValueError(f"card {card.id} has no {which!r} device node")
    return _join(root, os.path.join("dev", name))


def nvidia_information_path(address, root=None):
    return _join(root, f"proc/driver/nvidia/gpus/{address}/information")


#: Where the fixture's simulated kernel/driver keeps what no file shows (MIG state).
SIM_DIR = ".accel-kernel-sim"


def driver_state_path(root):
    """The NVIDIA driver's MIG state of a fixture (read and written by ``nvidia-smi``)."""
    return os.path.join(root, SIM_DIR, "nvidia-driver.json")


def nvidia_smi_path(root):
    return os.path.join(root, "usr/bin/nvidia-smi")


def mdev_types_dir(host, parent, root=None):
    return os.path.join(device_dir(host, parent, root), "mdev_supported_types")


def mdev_dir(host, mdev, root=None):
    """A created mdev: ``<parent dir>/<uuid>`` (``/sys/bus/mdev/devices/<uuid>`` links here)."""
    return os.path.join(device_dir(host, mdev.parent, root), mdev.uuid)


def vgpu_dir(host, vf, root=None):
    """``<VF dir>/nvidia``: ``creatable_vgpu_types``, ``current_vgpu_type``."""
    return os.path.join(device_dir(host, vf, root), "nvidia")


def mig_caps_dir(minor, root=None):
    return _join(root, f"proc/driver/nvidia/capabilities/gpu{minor}/mig")


def mdev_parents(card):
    """Addresses of the card's mdev parents (its PF, or each VF)."""
    part = card.partitions
    if part is None or not part.mdev_types:
        return []
    if part.mdev_parents == "pf":
        return [card.primary.address]
    return [f.address for f in card.functions if f.physfn]


# -- writing -----------------------------------------------------------------------------------


def read_value(path):
    """A file's stripped text, or None when it cannot be read (the simulators' reads)."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return None


def _put(path, data, mode):
    """Create or replace one file with ``mode`` (one open, one write, no extra chmod)."""
    if os.path.lexists(path):
        os.unlink(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    if mode & 0o022:  # group/other write bits would be cut by the umask
        os.chmod(path, mode)


def _write(path, text, mode=0o444):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    _put(path, text.encode(), mode)


def _attrs(folder, values, mode=0o444):
    os.makedirs(folder, exist_ok=True)
    for name, value in values.items():
        if value is None:
            continue
        _put(os.path.join(folder, name), f"{value}\n".encode(), mode)


def _symlink(link, target):
    """Relative symlink at ``link`` pointing to absolute path ``target``."""
    os.makedirs(os.path.dirname(link), exist_ok=True)
    rel = os.path.relpath(target, os.path.dirname(link))
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(rel, link)


def _cpus(cpulist):
    cpus = set()
    for part in cpulist.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            cpus.update(range(int(lo), int(hi) + 1))
        elif part:
            cpus.add(int(part))
    return cpus


def cpulist_to_mask(cpulist, ncpus=None):
    """``"0-31,64-95"`` -> the kernel's ``local_cpus`` form (32-bit words, comma separated).

    The kernel prints ``nr_cpu_ids`` bits; ``ncpus`` gives it (default: up to the highest CPU).
    """
    cpus = set()
    for part in cpulist.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            cpus.update(range(int(lo), int(hi) + 1))
        elif part:
            cpus.add(int(part))
    top = max(ncpus - 1 if ncpus else 0, max(cpus) if cpus else 0)
    words = (top // 32) + 1
    mask = sum(1 << c for c in cpus)
    return ",".join(f"{(mask >> (32 * w)) & 0xFFFFFFFF:08x}" for w in reversed(range(words)))


def config_header(fn: PciFunction, below: dict, multifunction: bool) -> bytes:
    """256-byte PCI configuration space: type 0 (endpoint) or type 1 (bridge) header."""
    cfg = bytearray(256)
    klass = int(fn.class_code, 16)
    struct.pack_into("<HHHH", cfg, 0, int(fn.vendor_id, 16), int(fn.device_id, 16),
                     0x0406 if fn.driver else 0x0400, 0x0010)
    cfg[0x08] = int(fn.revision, 16)
    cfg[0x09] = klass & 0xFF
    cfg[0x0A] = (klass >> 8) & 0xFF
    cfg[0x0B] = (klass >> 16) & 0xFF
    cfg[0x0C] = 0x10
    if fn.is_bridge:
        cfg[0x0E] = 0x01 | (0x80 if multifunction else 0)
        buses = below.get(fn.address)  # buses of all functions under this bridge
        secondary = min(buses) if buses else fn.bus + 1
        cfg[0x18], cfg[0x19], cfg[0x1A] = fn.bus, secondary, max(buses) if buses else secondary
        cfg[0x1C], cfg[0x1D] = 0xF0, 0x00  # no I/O window
        cfg[0x3D] = 0x01
    else:
        cfg[0x0E] = 0x80 if multifunction else 0x00
        if fn.physfn is None:
            struct.pack_into("<I", cfg, 0x10, 0x0000000C | _bar_base(fn))  # 64-bit prefetchable
        struct.pack_into("<HH", cfg, 0x2C, int(fn.subsystem_vendor_id, 16),
                         int(fn.subsystem_device_id, 16))
        cfg[0x3D] = 0x00 if fn.physfn else 0x01
    # Capability list: one PCI Express capability (lspci -vv shows it; -vmm ignores it).
    cfg[0x34] = 0x40
    cfg[0x40], cfg[0x41] = 0x10, 0x00
    struct.pack_into("<H", cfg, 0x42, 0x0002 | ((4 if fn.is_bridge else 0) << 4))
    return bytes(cfg)


def _bar_base(fn):
    dom, bus, rest = fn.address.split(":")
    dev, f = rest.split(".")
    return 0x80000000 | (int(bus, 16) << 20) | (int(dev, 16) << 15) | (int(f) << 12)


def _resource_lines(fn):
    lines = ["0x0000000000000000 0x0000000000000000 0x0000000000000000"] * 13
    if not fn.is_bridge:
        start = _bar_base(fn) | (int(fn.domain, 16) << 36) | (0x38 << 40)
        size = 0x1000 if fn.physfn else 0x80000
        lines[0] = f"0x{start:016x} 0x{start + size - 1:016x} 0x{0x14220c:016x}"
    return "\n".join(lines)


def _uevent(fn):
    vid, did = int(fn.vendor_id, 16), int(fn.device_id, 16)
    svid, sdid = int(fn.subsystem_vendor_id, 16), int(fn.subsystem_device_id, 16)
    klass = int(fn.class_code, 16)
    lines = []
    if fn.driver:
        lines.append(f"DRIVER={fn.driver}")
    lines += [
        f"PCI_CLASS={klass:X}",
        f"PCI_ID={vid:04X}:{did:04X}",
        f"PCI_SUBSYS_ID={svid:04X}:{sdid:04X}",
        f"PCI_SLOT_NAME={fn.address}",
        f"MODALIAS={_modalias(fn)}",
    ]
    return "\n".join(lines)


def _modalias(fn):
    klass = int(fn.class_code, 16)
    return (
        f"pci:v{int(fn.vendor_id, 16):08X}d{int(fn.device_id, 16):08X}"
        f"sv{int(fn.subsystem_vendor_id, 16):08X}sd{int(fn.subsystem_device_id, 16):08X}"
        f"bc{klass >> 16:02X}sc{(klass >> 8) & 0xFF:02X}i{klass & 0xFF:02X}"
    )


def build(host: Host, root: str, pci_ids: bool = True) -> None:
    """Write ``host``'s tree under ``root`` (created if missing; existing files replaced).

    ``pci_ids``: also write ``usr/share/misc/pci.ids`` naming the host's vendors and
    catalogued devices, so discovery on the fixture gives the same names on every machine.
    """
    root = os.path.abspath(root)
    functions = host.functions()
    memo = {}
    dirs = {a: os.path.join(root, _rel_dir(functions, a, memo)) for a in functions}
    below = _buses_below(functions)
    slots = {}
    for fn in functions.values():
        if fn.physfn is None:
            slots.setdefault(fn.address[:-2], []).append(fn.address)
    for fn in functions.values():
        _write_function(host, root, fn, dirs, below,
                        len(slots.get(fn.address[:-2], [])) > 1)
    for card in host.cards:
        if card.dfl and card.dfl.legacy:
            _write_legacy_opae(host, root, card)
        elif card.dfl:
            _write_dfl(host, root, card)
        if card.xrt:
            _write_xrt(host, root, card)
        if card.nvidia:
            _write_nvidia(host, root, card)
        if card.qat:
            _write_qat(host, root, card)
        if card.partitions:
            write_partitions(host, root, card)
    if host.nvidia_smi and any(c.nvidia for c in host.cards):
        write_driver_state(host, root)
        _write_nvidia_smi(root)
    _write_host(host, root)
    if pci_ids:
        _write_pci_ids(host, root)


def write_functions(host, root, addresses):
    """(Re)write these functions of ``host`` (e.g. VFs that appeared, their PF's links)."""
    root = os.path.abspath(root)
    functions = host.functions()
    memo = {}
    dirs = {a: os.path.join(root, _rel_dir(functions, a, memo)) for a in functions}
    below = _buses_below(functions)
    for address in addresses:
        fn = functions[address]
        d = dirs[address]
        if os.path.isdir(d):
            for name in os.listdir(d):
                if name.startswith("virtfn"):
                    os.unlink(os.path.join(d, name))
        _write_function(host, root, fn, dirs, below, False)


def remove_function(host, root, fn):
    """Undo what ``_write_function`` wrote for ``fn`` (a VF that went away)."""
    import shutil

    d = device_dir(host, fn.address, root)
    bus = os.path.join(root, "sys/bus/pci")
    for link in [os.path.join(bus, "devices", fn.address)] + (
            [os.path.join(bus, "drivers", fn.driver, fn.address)] if fn.driver else []) + (
            [os.path.join(root, "sys/kernel/iommu_groups", str(fn.iommu_group), "devices",
                          fn.address)] if fn.iommu_group is not None else []):
        if os.path.lexists(link):
            os.unlink(link)
    shutil.rmtree(d, ignore_errors=True)


def _buses_below(functions):
    """Bridge address -> buses of every function below it (for secondary/subordinate)."""
    below = {}
    for fn in functions.values():
        node = fn
        while node.parent and node.parent in functions:
            below.setdefault(node.parent, set()).add(fn.bus)
            node = functions[node.parent]
    return below


def _write_function(host, root, fn, dirs, below, multifunction):
    d = dirs[fn.address]
    ncpus = max(max(_cpus(c), default=0) for c in host.numa_cpulists.values()) + 1
    numa = fn.numa_node
    cpulist = host.cpulist(numa)
    _attrs(d, {
        "vendor": fn.vendor_id,
        "device": fn.device_id,
        "subsystem_vendor": fn.subsystem_vendor_id,
        "subsystem_device": fn.subsystem_device_id,
        "class": fn.class_code,
        "revision": fn.revision,
        "numa_node": numa,
        "local_cpulist": cpulist,
        "local_cpus": cpulist_to_mask(cpulist, ncpus),
        "irq": 0 if fn.physfn else 16 + (fn.bus % 100),
        "enable": 1 if fn.driver else 0,
        "dma_mask_bits": 64,
        "consistent_dma_mask_bits": 64,
        "broken_parity_status": 0,
        "msi_bus": 1,
        "d3cold_allowed": 1,
        "power_state": "D0",
        "modalias": _modalias(fn),
        "resource": _resource_lines(fn),
        "current_link_speed": fn.current_link_speed,
        "current_link_width": fn.current_link_width,
        "max_link_speed": fn.max_link_speed,
        "max_link_width": fn.max_link_width,
    })
    _write(os.path.join(d, "uevent"), _uevent(fn) + "\n", 0o644)
    _write(os.path.join(d, "driver_override"), "(null)\n", 0o644)
    _put(os.path.join(d, "config"), config_header(fn, below, multifunction), 0o644)
    for name in ("remove", "rescan", "reset"):
        _write(os.path.join(d, name), "", 0o200)
    if fn.is_bridge:
        buses = below.get(fn.address)
        _attrs(d, {"secondary_bus_number": min(buses) if buses else fn.bus + 1,
                   "subordinate_bus_number": max(buses) if buses else fn.bus + 1})
    if fn.sriov_totalvfs is not None:
        _attrs(d, {
            "sriov_totalvfs": fn.sriov_totalvfs,
            "sriov_offset": fn.sriov_offset,
            "sriov_stride": fn.sriov_stride,
            "sriov_vf_device": f"{int(fn.sriov_vf_device, 16):x}" if fn.sriov_vf_device else None,
        })
        _attrs(d, {"sriov_numvfs": fn.sriov_numvfs, "sriov_drivers_autoprobe": 1}, 0o644)
    for i, vf in enumerate(fn.vfs):
        _symlink(os.path.join(d, f"virtfn{i}"), dirs[vf])
    if fn.physfn:
        _symlink(os.path.join(d, "physfn"), dirs[fn.physfn])
    bus = os.path.join(root, "sys/bus/pci")
    _symlink(os.path.join(d, "subsystem"), bus)
    _symlink(os.path.join(bus, "devices", fn.address), d)
    if fn.driver:
        drv = os.path.join(bus, "drivers", fn.driver)
        for name in ("bind", "unbind", "new_id", "remove_id"):
            if not os.path.exists(os.path.join(drv, name)):
                _write(os.path.join(drv, name), "", 0o200)
        _symlink(os.path.join(d, "driver"), drv)
        _symlink(os.path.join(drv, fn.address), d)
        if fn.driver == "vfio-pci" and fn.iommu_group is not None:
            _write(os.path.join(root, "dev/vfio", str(fn.iommu_group)), "", 0o600)
    if fn.iommu_group is not None:
        group = os.path.join(root, "sys/kernel/iommu_groups", str(fn.iommu_group))
        _symlink(os.path.join(d, "iommu_group"), group)
        _symlink(os.path.join(group, "devices", fn.address), d)
        _attrs(group, {"type": "DMA-FQ"})
    for name in ("rescan", "drivers_autoprobe"):
        p = os.path.join(bus, name)
        if not os.path.exists(p):
            _write(p, "1\n" if name == "drivers_autoprobe" else "", 0o644)


def _write_dfl(host, root, card):
    d = card.dfl
    fme = fme_dir(host, card, root)
    _attrs(fme, {
        "dev": f"{_DFL_FME_MAJOR}:{d.fme_index}",
        "bitstream_id": d.bitstream_id,
        "bitstream_metadata": d.bitstream_metadata,
        "ports_num": 1,
        "socket_id": d.socket_id,
        "cache_size": 0,
    })
    base = base_region_dir(host, card, root)
    os.makedirs(base, exist_ok=True)
    pr = pr_region_dir(host, card, root)
    _attrs(pr, {"compat_id": d.compat_id})
    mgr = fpga_manager_dir(host, card, root)
    _attrs(mgr, {"name": "DFL FME FPGA Manager", "state": "unknown", "status": ""})
    br = os.path.join(fme, f"dfl-fme-bridge.{d.fme_index}", "fpga_bridge", f"br{d.fpga_bridge}")
    _attrs(br, {"name": "DFL FPGA FME Bridge", "state": "enabled"})
    _attrs(port_dir(host, card, root), {
        "dev": f"{_DFL_PORT_MAJOR}:{d.port_index}",
        "id": 0,
        "afu_id": d.afu_id,
        "power_state": 0,
        "ltr": 0,
    })
    bmc = bmc_dir(host, card, root)
    _attrs(bmc, {
        "bmc_version": d.bmc_version,
        "bmcfw_version": d.bmcfw_version,
        "mac_address": "64:4c:36:00:2f:" + f"{d.fme_index * 8:02x}",
        "mac_count": 8,
    })
    sec = sec_update_dev_dir(host, card, root)
    _attrs(os.path.join(sec, "security"), {
        "sr_root_entry_hash": "hash not programmed",
        "pr_root_entry_hash": "hash not programmed",
        "bmc_root_entry_hash": "hash not programmed",
        "sr_canceled_csks": "",
        "pr_canceled_csks": "",
        "bmc_canceled_csks": "",
        "flash_count": 12,
    })
    fw = secure_update_dir(host, card, root)
    _attrs(fw, {"loading": 0, "status": "idle", "error": "", "remaining_size": 0}, 0o644)
    _write(os.path.join(fw, "data"), "", 0o644)
    _write(os.path.join(fw, "cancel"), "", 0o200)
    _symlink(secure_update_class_link(card, root), fw)
    timeout = os.path.join(root, "sys/class/firmware/timeout")
    if not os.path.exists(timeout):
        _write(timeout, "60\n", 0o644)
    _symlink(os.path.join(root, f"sys/class/fpga_region/region{d.base_region}"), base)
    _symlink(os.path.join(root, f"sys/class/fpga_region/region{d.pr_region}"), pr)
    _symlink(os.path.join(root, f"sys/class/fpga_manager/fpga{d.fpga_manager}"), mgr)
    _symlink(os.path.join(root, f"sys/class/fpga_bridge/br{d.fpga_bridge}"), br)
    _write(dev_node(card, "fme", root), "", 0o600)
    _write(dev_node(card, "port", root), "", 0o600)


def _write_legacy_opae(host, root, card):
    """The tree of the legacy out-of-tree OPAE driver (``intel-fpga-pci``), the layout
    Cyborg's Intel FPGA driver reads: FME and port below ``fpga/intel-fpga-dev.N``, the PR
    interface id in ``pr/interface_id``, ``/sys/class/fpga`` and ``/dev/intel-fpga-*``
    nodes; no ``fpga_region`` (the upstream DFL framework is not bound), no BMC, no
    firmware-upload device."""
    d = card.dfl
    fme = legacy_fme_dir(host, card, root)
    _attrs(fme, {
        "bitstream_id": d.bitstream_id,
        "bitstream_metadata": d.bitstream_metadata,
        "ports_num": 1,
        "socket_id": d.socket_id,
    })
    _attrs(os.path.join(fme, "pr"), {"interface_id": d.compat_id})
    _attrs(legacy_port_dir(host, card, root), {"id": 0, "afu_id": d.afu_id})
    _symlink(os.path.join(root, f"sys/class/fpga/intel-fpga-dev.{d.fme_index}"),
             legacy_fpga_dev_dir(host, card, root))
    _write(os.path.join(root, "dev", f"intel-fpga-fme.{d.fme_index}"), "", 0o600)
    _write(os.path.join(root, "dev", f"intel-fpga-port.{d.port_index}"), "", 0o600)


def _write_xrt(host, root, card):
    x = card.xrt
    mgmt, user = card.functions[0], card.functions[1]
    md = device_dir(host, mgmt.address, root)
    ud = device_dir(host, user.address, root)
    link = {
        "link_speed": (mgmt.current_link_speed or "").split(".")[0],
        "link_width": mgmt.current_link_width,
        "link_speed_max": (mgmt.max_link_speed or "").split(".")[0],
        "link_width_max": mgmt.max_link_width,
    }
    _attrs(md, {
        "instance": x.instance,
        "board_name": x.vbnv.split("_")[1] if "_" in x.vbnv else x.vbnv,
        "mfg": 0,
        "mfg_ver": x.mfg_ver,
        "recovery": 0,
        "mgmt_pf": "",
        "version": _XRT_VERSION,
        "slot": int(mgmt.address.split(":")[1], 16),
        "ready": 1,
        "dev_offline": 0,
        "interface_uuids": "\n".join(x.interface_uuids),
        "logic_uuids": "\n".join(x.logic_uuids),
    } | link)
    for name in ("rp_program", "mgmt_reset"):
        _write(os.path.join(md, name), "", 0o200)
    rom = {
        "VBNV": x.vbnv,
        "FPGA": x.fpga_part,
        "uuid": x.logic_uuids[0],
        "timestamp": x.timestamp,
        "ddr_bank_count_max": 4,
        "ddr_bank_size": 16,
        "dr_base_addr": "0x0",
    }
    _attrs(os.path.join(md, f"rom.m.{x.instance}"), rom)
    sc = next((c.version for c in card.firmware if c.component == "sc_firmware"), None)
    _attrs(os.path.join(md, f"xmc.m.{x.instance}"), {"bmc_ver": sc, "status": "0x1"})
    _attrs(ud, {
        "xclbinuuid": x.xclbin_uuid,
        "user_pf": "",
        "board_name": x.vbnv.split("_")[1] if "_" in x.vbnv else x.vbnv,
        "ready": 1,
        "dev_offline": 0,
        "interface_uuids": "\n".join(x.interface_uuids),
        "logic_uuids": "\n".join(x.logic_uuids),
        "ulp_uuids": "",
        "memstat": "",
        "kdsstat": "",
    } | link)
    _attrs(os.path.join(ud, f"rom.u.{x.instance}"), rom)
    _write(dev_node(card, "mgmt", root), "", 0o600)
    _write(dev_node(card, "user", root), "", 0o666)


def _write_nvidia(host, root, card):
    nv = card.nvidia
    fn = card.primary
    info = (
        f"Model: \t\t {nv.model_name}\n"
        f"IRQ:   \t\t {nv.irq}\n"
        f"GPU UUID: \t {nv.uuid}\n"
        f"Video BIOS: \t {nv.vbios_version}\n"
        "Bus Type: \t PCIe\n"
        "DMA Size: \t 52 bits\n"
        "DMA Mask: \t 0xfffffffffffff\n"
        f"Bus Location: \t {fn.address}\n"
        f"Device Minor: \t {nv.minor}\n"
        "GPU Excluded:\t No\n"
    )
    _write(nvidia_information_path(fn.address, root), info)
    version = os.path.join(root, "proc/driver/nvidia/version")
    if not os.path.exists(version):
        _write(version, f"NVRM version: NVIDIA UNIX x86_64 Kernel Module  {_NVIDIA_DRIVER}\n")
        for name in ("nvidiactl", "nvidia-uvm"):
            _write(os.path.join(root, "dev", name), "", 0o666)
    _write(dev_node(card, "gpu", root), "", 0o666)


def write_partitions(host, root, card):
    """mdev types and mdevs, vendor-VFIO VF files, MIG capability files of one card."""
    part = card.partitions
    for parent in mdev_parents(card):
        write_mdev_types(host, root, card, parent)
        _symlink(os.path.join(root, "sys/class/mdev_bus", parent),
                 device_dir(host, parent, root))
    for mdev in part.mdevs:
        write_mdev(host, root, card, mdev)
    for vf in part.vgpu_current:
        write_vgpu_vf(host, root, card, vf)
        n = part.vfio_dev[vf]
        os.makedirs(os.path.join(device_dir(host, vf, root), "vfio-dev", f"vfio{n}"),
                    exist_ok=True)
        _write(os.path.join(root, "dev/vfio/devices", f"vfio{n}"), "", 0o600)
    if card.nvidia and card.nvidia.mig_profiles:
        write_mig_caps(root, card.nvidia.minor, part.mig_instances)


def write_mdev_types(host, root, card, parent):
    """``mdev_supported_types/<type>/`` of one parent, counts as the driver computes them."""
    part = card.partitions
    base = mdev_types_dir(host, parent, root)
    for mtype in part.mdev_types:
        d = os.path.join(base, mtype.type_id)
        _attrs(d, {"available_instances": gpu_partitions.available(part, parent, mtype),
                   "device_api": mtype.device_api, "name": mtype.name})
        _write(os.path.join(d, "description"), mtype.description.rstrip("\n") + "\n")
        if not os.path.exists(os.path.join(d, "create")):
            _write(os.path.join(d, "create"), "", 0o200)
        os.makedirs(os.path.join(d, "devices"), exist_ok=True)


def write_mdev(host, root, card, mdev):
    """A created mdev's directory, links and vendor attributes."""
    part = card.partitions
    d = mdev_dir(host, mdev, root)
    types = mdev_types_dir(host, mdev.parent, root)
    _write(os.path.join(d, "remove"), "", 0o200)
    _write(os.path.join(d, "uevent"), f"MDEV_TYPE={mdev.type_id}\nDRIVER={part.mdev_driver}\n",
           0o644)
    _symlink(os.path.join(d, "mdev_type"), os.path.join(types, mdev.type_id))
    bus = os.path.join(root, "sys/bus/mdev")
    _symlink(os.path.join(d, "subsystem"), bus)
    drv = os.path.join(bus, "drivers", part.mdev_driver)
    os.makedirs(drv, exist_ok=True)
    _symlink(os.path.join(d, "driver"), drv)
    group = os.path.join(root, "sys/kernel/iommu_groups", str(mdev.iommu_group))
    _symlink(os.path.join(d, "iommu_group"), group)
    _symlink(os.path.join(group, "devices", mdev.uuid), d)
    _write(os.path.join(root, "dev/vfio", str(mdev.iommu_group)), "", 0o600)
    if part.mdev_driver == "intel_vgpu_mdev":
        _attrs(os.path.join(d, "intel_vgpu"), {"vgpu_id": 1 + part.mdevs.index(mdev)})
    else:
        _write(os.path.join(d, "nvidia", "vgpu_params"), "", 0o644)
    _symlink(os.path.join(bus, "devices", mdev.uuid), d)
    _symlink(os.path.join(types, mdev.type_id, "devices", mdev.uuid), d)


def remove_mdev(host, root, mdev):
    """Undo ``write_mdev`` (the kernel's side of a ``remove`` write)."""
    import shutil

    for link in (os.path.join(root, "sys/bus/mdev/devices", mdev.uuid),
                 os.path.join(mdev_types_dir(host, mdev.parent, root), mdev.type_id,
                              "devices", mdev.uuid),
                 os.path.join(root, "sys/kernel/iommu_groups", str(mdev.iommu_group),
                              "devices", mdev.uuid)):
        if os.path.lexists(link):
            os.unlink(link)
    shutil.rmtree(mdev_dir(host, mdev, root), ignore_errors=True)


def write_vgpu_vf(host, root, card, vf):
    """``<VF>/nvidia/creatable_vgpu_types`` and ``current_vgpu_type``."""
    part = card.partitions
    d = vgpu_dir(host, vf, root)
    _write(os.path.join(d, "creatable_vgpu_types"), gpu_partitions.creatable_text(part, vf))
    _attrs(d, {"current_vgpu_type": part.vgpu_current.get(vf, 0)}, 0o644)


def write_mig_caps(root, minor, instances):
    """``/proc/driver/nvidia/capabilities/gpuN/mig/giG/access`` (and ``ciC/access``) of
    GPU minor ``minor``'s MIG ``instances`` (MigInstance or their JSON dicts)."""
    import shutil

    base = mig_caps_dir(minor, root)
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base, exist_ok=True)
    for gi in instances:
        gid = gi.gi if hasattr(gi, "gi") else gi["gi"]
        cis = gi.cis if hasattr(gi, "cis") else gi["cis"]
        caps = os.path.join(base, f"gi{gid}")
        _write(os.path.join(caps, "access"), _cap(gpu_partitions.mig_minor(minor, gid)))
        for ci in cis:
            _write(os.path.join(caps, f"ci{ci}", "access"),
                   _cap(gpu_partitions.mig_minor(minor, gid, ci)))
    top = os.path.join(root, "proc/driver/nvidia/capabilities/mig")
    if not os.path.exists(os.path.join(top, "config")):
        _write(os.path.join(top, "config"), _cap(1, 256), 0o400)
        _write(os.path.join(top, "monitor"), _cap(2, 292))


def _cap(minor, mode=292):
    return f"DeviceFileMinor: {minor}\nDeviceFileMode: {mode}\nDeviceFileModify: 1\n"


def write_driver_state(host, root):
    """The NVIDIA driver state the ``nvidia-smi`` model reads: GPUs in bus order."""
    gpus = []
    cards = sorted((c for c in host.cards if c.nvidia and c.functions[0].class_code.startswith(
        "0x03")), key=lambda c: c.primary.address)
    for index, card in enumerate(cards):
        nv = card.nvidia
        part = card.partitions
        gpus.append({
            "index": index, "minor": nv.minor, "bus_id": card.primary.address,
            "name": nv.model_name, "uuid": nv.uuid, "vbios": nv.vbios_version,
            "mig": {"current": nv.mig_mode, "pending": nv.mig_pending or nv.mig_mode},
            "profiles": nv.mig_profiles,
            "instances": [{"gi": g.gi, "profile": g.profile, "start": g.start,
                           "size": g.size, "cis": list(g.cis)}
                          for g in (part.mig_instances if part else [])],
            "vgpu_host": bool(part and (part.mdev_types or part.vgpu_types)),
        })
    path = driver_state_path(root)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump({"driver_version": _NVIDIA_DRIVER, "gpus": gpus}, f, indent=1)
    os.replace(path + ".tmp", path)


def _write_nvidia_smi(root):
    """``usr/bin/nvidia-smi``: the model of NVIDIA's tool (fixtures only; see its module).

    A shell script, so that whoever reads the fixture (an unprivileged IPA included) can
    run it: this Python when that user may execute it, else ``python3`` from PATH; the
    source tree of ``accel_hosts`` goes on ``sys.path`` either way.
    """
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = ("import os, sys; sys.path.insert(0, sys.argv[1]); "
            "from accel_hosts import nvidia_smi; "
            "root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath("
            "sys.argv[2])))); sys.exit(nvidia_smi.main(sys.argv[3:], root))")
    body = ("#!/bin/sh\n"
            "# Fixture model of NVIDIA's nvidia-smi (accel_hosts.nvidia_smi): it answers for\n"
            "# the fixture root it lies in, from the simulated driver state; never a real GPU.\n"
            f"py='{sys.executable}'\n"
            '[ -x "$py" ] || py=python3\n'
            f'exec "$py" -c "{code}" \'{src}\' "$0" "$@"\n')
    _write(nvidia_smi_path(root), body, 0o755)


def _write_qat(host, root, card):
    d = device_dir(host, card.primary.address, root)
    q = card.qat
    _attrs(os.path.join(d, "qat"), {"state": q.state, "cfg_services": q.cfg_services}, 0o644)
    _attrs(os.path.join(d, "qat"), {"num_rps": q.num_rps})
    ctl = os.path.join(root, "dev/qat_adf_ctl")
    if not os.path.exists(ctl):
        _write(ctl, "", 0o600)


def _write_host(host, root):
    _attrs(os.path.join(root, "sys/class/dmi/id"), {
        "product_uuid": host.system_uuid,
        "sys_vendor": host.manufacturer,
        "product_name": host.model,
        "product_serial": host.serial,
        "bios_version": host.bios_version,
    })
    for node, cpulist in host.numa_cpulists.items():
        _attrs(os.path.join(root, f"sys/devices/system/node/node{node}"), {"cpulist": cpulist})
    _attrs(os.path.join(root, "proc/sys/kernel"), {"hostname": host.hostname,
                                                   "osrelease": host.kernel})
    _attrs(os.path.join(root, "etc"), {"hostname": host.hostname})


def _write_pci_ids(host, root):
    """A small pci.ids in the public file's format, for this host's functions only."""
    names = {}
    for fn in host.functions().values():
        if fn.vendor_id not in _VENDOR_NAMES:
            continue
        devices = names.setdefault(fn.vendor_id, {})
        entry = catalogue.lookup(fn.vendor_id, fn.device_id, fn.subsystem_vendor_id,
                                 fn.subsystem_device_id)
        name = _BRIDGE_NAMES.get((fn.vendor_id, fn.device_id)) or (entry and entry.product)
        if name:
            devices[fn.device_id] = name
    lines = ["# pci.ids subset written by accel_hosts.sysfs for this fixture host"]
    for vid in sorted(names):
        lines.append(f"{vid[2:]}  {_VENDOR_NAMES[vid]}")
        lines.extend(f"\t{did[2:]}  {name}" for did, name in sorted(names[vid].items()))
    _write(os.path.join(root, "usr/share/misc/pci.ids"), "\n".join(lines) + "\n", 0o644)
