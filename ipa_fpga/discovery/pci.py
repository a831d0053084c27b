"""The PCI walk: every function under ``<root>/sys/bus/pci/devices``, read once.

Fast by construction: one ``scandir`` of the bus, one ``readlink`` per function
(its topology comes from the link text, no ``realpath``), one directory fd per
function and ``openat``-style reads; functions that are neither catalogued nor
carry an accelerator class stop after three small reads.
"""

from __future__ import annotations

import os
import re

from accel_contract import catalogue
from accel_contract.errors import AccelError
from ipa_fpga.discovery.reader import parse_hex, parse_int

PCI_ADDRESS = re.compile(r"^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$")
#: Class codes (upper 16 bits) that are plumbing, never accelerators: host and PCI bridges.
_PLUMBING = ("0x0600", "0x0604")


class DiscoveryError(AccelError):
    """Discovery cannot start at all (missing or unreadable root): one line for the user."""


class PciInfo:
    """What discovery knows of one PCI function (slots: there are thousands)."""

    __slots__ = (
        "address", "chain", "dir", "vendor_id", "device_id", "class_code", "revision",
        "subsystem_vendor_id", "subsystem_device_id", "driver", "numa_node", "local_cpulist",
        "iommu_group", "physfn", "vfs", "sriov_totalvfs", "sriov_numvfs", "sriov_vf_device",
        "link", "entry", "fallback_type", "name",
    )

    def __init__(self, address, chain, path):
        self.address = address
        self.chain = chain  # bridge addresses from the root port down, then this function
        self.dir = path
        self.vendor_id = self.device_id = self.class_code = self.revision = None
        self.subsystem_vendor_id = self.subsystem_device_id = None
        self.driver = self.local_cpulist = self.iommu_group = self.physfn = None
        self.numa_node = None
        self.vfs = []
        self.sriov_totalvfs = self.sriov_numvfs = self.sriov_vf_device = None
        self.link = None
        self.entry = None
        self.fallback_type = None
        self.name = None

    @property
    def interesting(self):
        return self.entry is not None or self.fallback_type is not None

    def to_dict(self, role):
        """The contract's ``pci_function`` object."""
        out = {
            "address": self.address,
            "role": role,
            "vendor_id": self.vendor_id,
            "device_id": self.device_id,
            "subsystem_vendor_id": self.subsystem_vendor_id,
            "subsystem_device_id": self.subsystem_device_id,
            "class_code": self.class_code,
            "revision": self.revision,
            "name": self.name,
            "kernel_driver": self.driver,
            "numa_node": self.numa_node,
            "local_cpulist": self.local_cpulist,
            "iommu_group": self.iommu_group,
            "physfn": self.physfn,
            "link": self.link or {},
            "sriov": None,
        }
        if self.sriov_totalvfs is not None:
            out["sriov"] = {
                "totalvfs": self.sriov_totalvfs,
                "numvfs": self.sriov_numvfs or 0,
                "vf_device_id": self.sriov_vf_device,
                "vfs": list(self.vfs),
            }
        return out


def _chain_from_link(target):
    """``../../../devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0`` -> the BDF components."""
    parts = target.split("/")
    return [p for p in parts if PCI_ADDRESS.match(p)]


def scan(reader):
    """All functions keyed by address (sorted); unreadable ones become warnings."""
    bus_dir = reader.path("sys/bus/pci/devices")
    try:
        with os.scandir(bus_dir) as it:
            entries = sorted((e.name, e.path) for e in it)
    except FileNotFoundError:
        raise DiscoveryError(
            f"no PCI bus under {reader.root}: {reader.host_path(bus_dir)} does not exist"
        ) from None
    except NotADirectoryError:
        raise DiscoveryError(f"{bus_dir} is not a directory") from None
    except PermissionError:
        raise DiscoveryError(f"cannot list {bus_dir}: permission denied") from None
    except OSError as exc:
        raise DiscoveryError(f"cannot list {bus_dir}: {exc.strerror or exc}") from None

    functions = {}
    vf_of = {}
    cpulists = {}
    warn = reader.warnings
    bus_fd = reader.open_dir(bus_dir)
    if bus_fd is None:
        raise DiscoveryError(f"cannot open {reader.host_path(bus_dir)}")
    try:
        for name, path in entries:
            if not PCI_ADDRESS.match(name):
                warn.add("bad_entry", f"{name!r} is not a PCI address", reader.host_path(path))
                continue
            dfd = reader.open_dir(name, device=name, dir_fd=bus_fd, path=path)
            if dfd is None:
                continue
            try:
                info = PciInfo(name, [name], path)
                if _read_function(reader, dfd, info, vf_of, cpulists):
                    functions[name] = info
            finally:
                os.close(dfd)
    finally:
        os.close(bus_fd)
    return functions


def _read_function(reader, dfd, info, vf_of, cpulists):
    read, readlink, path, addr = reader.read_at, reader.readlink_at, info.dir, info.address
    klass = read(dfd, "class", path, addr)
    info.class_code = _checked(reader, parse_hex(klass, 6), klass, "class", path, addr)
    if info.class_code is None:
        return False
    if info.class_code[:6] in _PLUMBING:
        return True
    known_vf = vf_of.get(addr)  # (PF address, PF vendor, sriov_vf_device) when a PF listed it
    if known_vf is not None and known_vf[2]:
        # The kernel gives a VF its PF's vendor and the PF's sriov_vf_device as device
        # (pci_iov_add_virtfn): two reads saved per VF, same values.
        info.physfn, info.vendor_id, info.device_id = known_vf
    else:
        raw_vendor = read(dfd, "vendor", path, addr)
        raw_device = read(dfd, "device", path, addr)
        info.vendor_id = _checked(reader, parse_hex(raw_vendor, 4), raw_vendor, "vendor", path,
                                  addr)
        info.device_id = _checked(reader, parse_hex(raw_device, 4), raw_device, "device", path,
                                  addr)
        if info.vendor_id is None or info.device_id is None:
            return False
    info.entry = catalogue.lookup(info.vendor_id, info.device_id)
    if info.entry is None:
        info.fallback_type = catalogue.class_fallback(info.class_code)
        if info.fallback_type is None and addr not in vf_of:
            return True  # not an accelerator (nor a VF of one): no more reads
    if known_vf is None:
        # Topology (bridge chain) matters for PFs only (companions join the FPGA behind the
        # same on-card switch): one readlink of the bus entry, parsed, never resolved.
        try:
            info.chain = _chain_from_link(os.readlink(info.dir)) or [addr]
        except OSError:
            pass
    _read_config(reader, dfd, info)
    if info.entry is not None and info.entry.subsystem_device_id:
        info.entry = catalogue.lookup(info.vendor_id, info.device_id, info.subsystem_vendor_id,
                                      info.subsystem_device_id)
    numa = read(dfd, "numa_node", path, addr)
    info.numa_node = parse_int(numa)
    if numa is not None and (info.numa_node is None or not -1 <= info.numa_node <= 1023):
        reader.warnings.add("bad_value", f"numa_node is {numa[:40]!r}, not a node number",
                            reader.host_path(os.path.join(path, "numa_node")), addr)
        info.numa_node = None
    cached = cpulists.get(info.numa_node)
    if cached is None or info.numa_node is None:
        cached = read(dfd, "local_cpulist", path, addr, required=False)
        if info.numa_node is not None:
            cpulists[info.numa_node] = cached
    info.local_cpulist = cached
    link = {}
    if known_vf is None:
        # A VF's own link registers are reserved (SR-IOV): its link is its PF's, so a
        # known VF skips four reads.
        for key, fname in (("current_speed", "current_link_speed"),
                           ("max_speed", "max_link_speed")):
            value = read(dfd, fname, path, addr, required=False)
            if value and value != "Unknown":
                link[key] = value
        for key, fname in (("current_width", "current_link_width"),
                           ("max_width", "max_link_width")):
            value = parse_int(read(dfd, fname, path, addr, required=False))
            if value is not None and 0 <= value <= 64:
                link[key] = value
    info.link = link
    drv = readlink(dfd, "driver", path, addr)
    info.driver = drv.rsplit("/", 1)[-1] if drv else None
    group = readlink(dfd, "iommu_group", path, addr)
    if group:
        info.iommu_group = parse_int(group.rsplit("/", 1)[-1])
    if known_vf is not None:
        info.physfn = known_vf[0]
        return True  # a VF has no SR-IOV capability of its own
    pf = readlink(dfd, "physfn", path, addr)
    if pf:
        info.physfn = pf.rsplit("/", 1)[-1]
        return True
    total = read(dfd, "sriov_totalvfs", path, addr, required=False)
    if total is not None:
        info.sriov_totalvfs = parse_int(total)
        if info.sriov_totalvfs is None:
            reader.warnings.add("bad_value", f"sriov_totalvfs is {total[:40]!r}",
                                reader.host_path(os.path.join(path, "sriov_totalvfs")), addr)
        else:
            num = parse_int(read(dfd, "sriov_numvfs", path, addr)) or 0
            info.sriov_numvfs = num
            vfdev = read(dfd, "sriov_vf_device", path, addr, required=False)
            info.sriov_vf_device = _vf_device(vfdev)
            for i in range(num):
                vf = readlink(dfd, f"virtfn{i}", path, addr, required=True)
                if vf:
                    vf_addr = vf.rsplit("/", 1)[-1]
                    info.vfs.append(vf_addr)
                    vf_of[vf_addr] = (addr, info.vendor_id, info.sriov_vf_device)
    return True


def _read_config(reader, dfd, info):
    """Revision and subsystem ids from the first 64 bytes of ``config`` (one read, not three).

    Vendor, device and class come from their attribute files instead: a VF's
    config space reads 0xffff there (the kernel's attributes hold the real ids).
    """
    try:
        fd = os.open("config", os.O_RDONLY, dir_fd=dfd)
    except OSError as exc:
        reader._warn_os(exc, os.path.join(info.dir, "config"), info.address)
        return
    try:
        data = os.read(fd, 64)
    except OSError as exc:
        reader._warn_os(exc, os.path.join(info.dir, "config"), info.address)
        return
    finally:
        os.close(fd)
    if len(data) < 0x30:
        reader.warnings.add("truncated", f"config header is {len(data)} bytes, not 64",
                            reader.host_path(os.path.join(info.dir, "config")), info.address)
        return
    info.revision = f"0x{data[8]:02x}"
    if data[0x0E] & 0x7F == 0:  # type 0 header: subsystem ids at 0x2c
        info.subsystem_vendor_id = f"0x{data[0x2C] | (data[0x2D] << 8):04x}"
        info.subsystem_device_id = f"0x{data[0x2E] | (data[0x2F] << 8):04x}"


def _vf_device(text):
    """``sriov_vf_device`` is printed ``%x`` (``d90``, no 0x, no padding)."""
    try:
        value = int(text, 16)
    except (TypeError, ValueError):
        return None
    return f"0x{value:04x}" if 0 <= value <= 0xFFFF else None


def _checked(reader, value, raw, name, path, device):
    if value is None and raw is not None:
        reader.warnings.add("bad_value", f"{name} is {raw[:40]!r}, not a hex id; function skipped",
                            reader.host_path(os.path.join(path, name)), device)
    return value
