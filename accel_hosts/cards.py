"""Card templates: one per card family, expanding a card kind + addresses into PCI functions.

A template knows the family's fixed facts (ids, class codes, drivers, PCIe
topology, firmware components, vendor state); a host description supplies what
varies between hosts (bus numbers, serials, versions, NUMA node, VF counts).
Host-wide numbering (IOMMU groups, /dev minors, DFL indexes) comes from
``Numbering`` so that several cards on one host never collide.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid

from accel_contract.errors import AccelError
from accel_hosts import gpu_partitions
from accel_hosts.model import (
    BRIDGE_CLASS,
    DFL_DRIVERS,
    LEGACY_OPAE_DRIVER,
    Card,
    CxlState,
    DflState,
    FirmwareComponent,
    NvidiaState,
    PciFunction,
    QatState,
    XrtState,
)


class HostDescriptionError(AccelError, ValueError):
    """A host description cannot be expanded (unknown kind, bad address, collision)."""


@dataclasses.dataclass
class Numbering:
    """Host-wide counters handed out while cards are expanded, in description order."""

    iommu_group: int = 10
    dfl: int = 0  # dfl-fme.N / dfl-port.N / fpgaN / brN
    fpga_region: int = 0
    secure_update: int = 0
    spi_bus: int = 0
    nvidia_minor: int = 0
    render_minor: int = 128
    vfio_dev: int = 0  # vfio-dev/vfioN of devices on a vendor VFIO driver

    def take(self, counter, step=1):
        value = getattr(self, counter)
        setattr(self, counter, value + step)
        return value


def pci_address(domain, bus, dev, fn):
    return f"{domain:04x}:{bus:02x}:{dev:02x}.{fn}"


def parse_address(text):
    """``"0000:3f:00.0"`` -> ``(0, 0x3f, 0, 0)``; HostDescriptionError if malformed."""
    try:
        dom, bus, rest = str(text).split(":")
        dev, fn = rest.split(".")
        parts = int(dom, 16), int(bus, 16), int(dev, 16), int(fn)
    except ValueError:
        raise HostDescriptionError(f"not a PCI address: {text!r}") from None
    if parts[1] > 0xFF or parts[2] > 0x1F or parts[3] > 7:
        raise HostDescriptionError(f"PCI address out of range: {text!r}")
    return parts


def vf_addresses(pf_address, count, offset, stride):
    """Addresses of VFs 0..count-1 from the PF's SR-IOV offset and stride (routing ids)."""
    dom, bus, dev, fn = parse_address(pf_address)
    rid = (bus << 8) | (dev << 3) | fn
    out = []
    for i in range(count):
        vrid = rid + offset + i * stride
        if vrid > 0xFFFF:
            raise HostDescriptionError(f"VF {i} of {pf_address} is beyond bus ff")
        out.append(pci_address(dom, vrid >> 8, (vrid >> 3) & 0x1F, vrid & 7))
    return out


def _hexid(value):
    if isinstance(value, int):
        return f"0x{value:04x}"
    return f"0x{int(str(value), 16):04x}"


def _stable_hex(*parts, length=32):
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:length]


def _stable_uuid(*parts):
    return str(uuid.UUID(_stable_hex(*parts)))


def _bridge(address, vendor, device, parent, numa, numbering, speed="8.0 GT/s PCIe", width=16):
    return PciFunction(
        address=address,
        vendor_id=vendor,
        device_id=device,
        class_code=BRIDGE_CLASS,
        revision="0x07",
        driver="pcieport",
        numa_node=numa,
        iommu_group=numbering.take("iommu_group"),
        current_link_speed=speed,
        max_link_speed=speed,
        current_link_width=width,
        max_link_width=width,
        parent=parent,
        role="bridge",
    )


def _upstream(spec, address, numa, numbering, speed):
    """Bridges above a single-slot card: ``spec['upstream']`` or one root port on bus-1.

    ``upstream: []`` puts the card on a root bus itself (root-complex integrated
    endpoints such as QAT 4xxx).
    """
    if "upstream" in spec:
        chain = [str(a) for a in spec["upstream"] or []]
        bridges = []
        parent = None
        for addr in chain:
            parse_address(addr)
            bridges.append(_bridge(addr, "0x8086", "0x2030", parent, numa, numbering, speed))
            parent = addr
        return bridges, parent
    dom, bus, _dev, _fn = parse_address(address)
    if bus == 0:
        return [], None
    root = pci_address(dom, bus - 1, 0, 0)
    return [_bridge(root, "0x8086", "0x2030", None, numa, numbering, speed)], root


def _fw(spec, defaults):
    """Firmware components: template defaults, versions overridable per card in the description."""
    overrides = spec.get("firmware") or {}
    out = []
    for comp in defaults:
        over = overrides.get(comp.component) or {}
        if isinstance(over, str):
            over = {"version": over}
        out.append(dataclasses.replace(comp, **over))
    return out


def _common(spec, kind, model, manufacturer, serial_prefix):
    address = str(spec.get("address") or "")
    return dict(
        kind=kind,
        model=spec.get("model", model),
        manufacturer=spec.get("manufacturer", manufacturer),
        serial=str(spec.get("serial") or f"{serial_prefix}{_stable_hex(kind, address, length=8)}"),
        part_number=spec.get("part_number"),
        slot=spec.get("slot"),
        numa_node=int(spec.get("numa_node", 0)),
        name=spec.get("name"),
    )


# -- Intel DFL (N3000, N6000) -------------------------------------------------------------


def m10_version(text):
    """``"D.2.1.24"`` -> ``"0x44020118"``: how the MAX10 BMC register holds a version."""
    try:
        letter, major, minor, patch = str(text).split(".")
        value = (ord(letter) << 24) | (int(major) << 16) | (int(minor) << 8) | int(patch)
    except (ValueError, TypeError):
        raise HostDescriptionError(f"not a MAX10 BMC version (X.N.N.N): {text!r}") from None
    return f"0x{value:x}"


def _dfl_driver(spec):
    driver = spec.get("driver", "dfl-pci")
    if driver not in DFL_DRIVERS:
        raise HostDescriptionError(f"an Intel DFL card's driver is one of "
                                   f"{', '.join(DFL_DRIVERS)}, not {driver!r}")
    return driver


def _dfl_state(spec, numbering, fw, sec_update_name):
    versions = {c.component: c.version for c in fw}
    index = numbering.take("dfl")
    state = spec.get("dfl") or {}
    driver = _dfl_driver(spec)
    return DflState(
        driver=driver,
        fme_index=index,
        port_index=index,
        base_region=numbering.take("fpga_region"),
        pr_region=numbering.take("fpga_region"),
        fpga_manager=index,
        fpga_bridge=index,
        # the legacy driver has no firmware-upload device
        secure_update=None if driver == LEGACY_OPAE_DRIVER else numbering.take("secure_update"),
        spi_bus=numbering.take("spi_bus"),
        bitstream_id=str(state.get("bitstream_id", versions.get("fpga_image"))).lower(),
        bitstream_metadata=str(state.get("bitstream_metadata", "0x1202220")).lower(),
        compat_id=str(state.get("compat_id", "f3c9941350814aadbced07eb84a6d0bb"))
        .replace("-", "")
        .lower(),
        afu_id=str(state.get("afu_id", "d8424dc4a4a3c413f89e433683f9040b"))
        .replace("-", "")
        .lower(),
        bmc_version=m10_version(versions["max10_bmc_build"]),
        bmcfw_version=m10_version(versions["max10_bmc_nios"]),
        boot_page=state.get("boot_page", "user"),
        socket_id=int(spec.get("numa_node", 0)),
        sec_update_name=sec_update_name,
    )


def _dfl_firmware(spec, bmc_nios, bmc_build, image):
    return _fw(
        spec,
        [
            FirmwareComponent(
                "max10_bmc_nios", "MAX10 BMC NIOS firmware", bmc_nios, True, "fw_upload", None
            ),
            FirmwareComponent("max10_bmc_build", "MAX10 BMC build", bmc_build, True, "fw_upload"),
            FirmwareComponent("fpga_image", "FPGA flash image (bitstream id)", image, True,
                              "fw_upload"),
        ],
    )


def n3000(spec, numbering):
    """Intel FPGA PAC N3000: PLX switch with FPGA, 2x XXV710 (VFs on each PF0), one extra function.

    ``bus`` is the root port's bus; the layout below it is OPAE's documented one.
    """
    dom = int(str(spec.get("domain", "0000")), 16)
    base = int(str(spec["bus"]), 16)
    if base + 9 > 0xFF:
        raise HostDescriptionError(f"N3000 at bus {base:#x} needs buses up to {base + 9:#x}")
    numa = int(spec.get("numa_node", 0))
    nic_vfs = int(spec.get("nic_vfs", 8))
    a = lambda b, d, f: pci_address(dom, base + b, d, f)  # noqa: E731
    root, up = a(0, 0, 0), a(1, 0, 0)
    downs = {dev: a(2, dev, 0) for dev in (0x08, 0x09, 0x10, 0x11)}
    bridges = [_bridge(root, "0x8086", "0x2030", None, numa, numbering)]
    bridges.append(_bridge(up, "0x10b5", "0x8747", root, numa, numbering))
    bridges.extend(_bridge(d, "0x10b5", "0x8747", up, numa, numbering) for d in downs.values())
    fpga = PciFunction(
        a(5, 0, 0), "0x8086", "0x0b30", "0x120000", "0x00", "0x8086", "0x0000",
        _dfl_driver(spec),
        numa, numbering.take("iommu_group"), "8.0 GT/s PCIe", 8, "8.0 GT/s PCIe", 8,
        parent=downs[0x09], role="accelerator",
    )
    functions = [fpga]
    fpga_vfs = int(spec.get("fpga_vfs", 0))
    if fpga_vfs > 1:
        raise HostDescriptionError("an N3000 has one port: fpga_vfs is 0 or 1")
    if fpga_vfs:
        # The port handed to a VF (DFL port passthrough): PF sriov_totalvfs = ports = 1.
        fpga.sriov_totalvfs, fpga.sriov_offset, fpga.sriov_stride = 1, 1, 1
        fpga.sriov_vf_device = "0x0b31"
        for vf in vf_addresses(fpga.address, 1, 1, 1):
            fpga.vfs.append(vf)
            functions.append(PciFunction(
                vf, "0x8086", "0x0b31", "0x120000", "0x00", "0x8086", "0x0000", "vfio-pci",
                numa, numbering.take("iommu_group"), None, None, None, None,
                parent=fpga.parent, physfn=fpga.address, role="vf",
            ))
    for bus_off, down in ((3, 0x08), (7, 0x10)):
        pfs = []
        for fn in (0, 1):
            pf = PciFunction(
                a(bus_off, 0, fn), "0x8086", "0x0d58", "0x020000", "0x02", "0x8086", "0x0001",
                "i40e", numa, numbering.take("iommu_group"), "8.0 GT/s PCIe", 8,
                "8.0 GT/s PCIe", 8, parent=downs[down], role="companion",
                sriov_totalvfs=64, sriov_offset=16 + fn * 63, sriov_stride=1,
                sriov_vf_device="0x154c",
            )
            pfs.append(pf)
        functions.extend(pfs)
        pf0 = pfs[0]
        for vf_addr in vf_addresses(pf0.address, nic_vfs if bus_off == 3 else
                                    int(spec.get("nic2_vfs", 0)), 16, 1):
            pf0.vfs.append(vf_addr)
            functions.append(PciFunction(
                vf_addr, "0x8086", "0x154c", "0x020000", "0x02", "0x8086", "0x0001", "iavf",
                numa, numbering.take("iommu_group"), None, None, None, None,
                parent=pf0.parent, physfn=pf0.address, role="vf",
            ))
    functions.append(PciFunction(
        a(9, 0, 0), "0x8086", "0x0b32", "0x120000", "0x00", "0x8086", "0x0000", None, numa,
        numbering.take("iommu_group"), "8.0 GT/s PCIe", 8, "8.0 GT/s PCIe", 8,
        parent=downs[0x11], role="companion",
    ))
    fw = _dfl_firmware(spec, "D.2.1.24", "D.2.0.7", "0x2300011001030f")
    card = Card(
        functions=functions, firmware=fw,
        dfl=_dfl_state(spec, numbering, fw, "n3000bmc-sec-update"),
        **_common(spec | {"address": fpga.address}, "n3000", "Intel FPGA PAC N3000", "Intel",
                  "PN3000"),
    )
    if card.part_number is None:
        card.part_number = "K47757-002"
    return card, bridges


def n6000(spec, numbering):
    """Intel FPGA SmartNIC N6000-PL (OFS): one DFL PF (plus optional VFs) behind a root port."""
    address = str(spec["address"])
    numa = int(spec.get("numa_node", 0))
    bridges, parent = _upstream(spec, address, numa, numbering, "16.0 GT/s PCIe")
    pf = PciFunction(
        address, "0x8086", "0xbcce", "0x120000", "0x01", "0x8086", "0x1770", "dfl-pci", numa,
        numbering.take("iommu_group"), "16.0 GT/s PCIe", 16, "16.0 GT/s PCIe", 16,
        parent=parent, role="accelerator",
    )
    fw = _dfl_firmware(spec, "D.3.2.0", "D.3.0.1", "0x501020241e0b2b")
    card = Card(
        functions=[pf], firmware=fw,
        dfl=_dfl_state(spec | {"dfl": {"compat_id": "25d8bd3fc3445e2ba5c2d4b9e2c8c1c5"}
                               | (spec.get("dfl") or {})},
                       numbering, fw, "n6000bmc-sec-update"),
        **_common(spec, "n6000", "Intel FPGA SmartNIC N6000-PL", "Intel", "PN6000"),
    )
    return card, bridges


# -- Xilinx Alveo (XRT) -------------------------------------------------------------------

_ALVEO = {
    # kind: (mgmt id, user id, subsystem device, VBNV, part)
    "u250": ("0x5004", "0x5005", "0x000e", "xilinx_u250_gen3x16_xdma_shell_4_1",
             "xcu250-figd2104-2L-e", "Xilinx Alveo U250"),
    "u280": ("0x500c", "0x500d", "0x000e", "xilinx_u280_xdma_201920_3", "xcu280-fsvh2892-2L-e",
             "Xilinx Alveo U280"),
    "u55c": ("0x505c", "0x505d", "0x000e", "xilinx_u55c_gen3x16_xdma_base_3",
             "xcu55c-fsvh2892-2L-e", "Xilinx Alveo U55C"),
}


def alveo(spec, numbering, kind="u250"):
    """Alveo card: management PF (xclmgmt) at function 0 and user PF (xocl) at function 1."""
    mgmt_id, user_id, subsys, vbnv, part, model = _ALVEO[kind]
    address = str(spec["address"])
    dom, bus, dev, fn = parse_address(address)
    if fn != 0:
        raise HostDescriptionError(f"Alveo management PF must be function 0, got {address}")
    numa = int(spec.get("numa_node", 0))
    bridges, parent = _upstream(spec, address, numa, numbering, "8.0 GT/s PCIe")
    funcs = []
    for f, did, driver, role in ((0, mgmt_id, "xclmgmt", "management"),
                                 (1, user_id, "xocl", "user")):
        funcs.append(PciFunction(
            pci_address(dom, bus, dev, f), "0x10ee", did, "0x120000", "0x00", "0x10ee", subsys,
            driver, numa, numbering.take("iommu_group"), "8.0 GT/s PCIe", 16, "8.0 GT/s PCIe", 16,
            parent=parent, role=role,
        ))
    state = spec.get("xrt") or {}
    blp = state.get("interface_uuid", _stable_uuid("xrt-interface", vbnv))
    # XRT prints logic/interface UUIDs as 32 hex digits, no dashes.
    logic = str(state.get("logic_uuid", _stable_uuid("xrt-logic", vbnv))).replace("-", "")
    xclbin = state.get("xclbin_uuid", "00000000-0000-0000-0000-000000000000")
    fw = _fw(spec, [
        FirmwareComponent("xrt_shell", f"Alveo shell {vbnv}", logic, True, "xrt"),
        FirmwareComponent("sc_firmware", "Alveo satellite controller firmware", "4.6.20", True,
                          "xrt"),
    ])
    xrt = XrtState(
        instance=(dom << 16) | (bus << 8) | (dev << 3),
        render_minor=numbering.take("render_minor"),
        vbnv=vbnv, fpga_part=part,
        interface_uuids=[blp.replace("-", "")],
        logic_uuids=[next(c.version for c in fw if c.component == "xrt_shell").replace("-", "")],
        xclbin_uuid=xclbin,
        timestamp=hex(int(_stable_hex("ts", vbnv, length=8), 16)),
    )
    card = Card(functions=funcs, firmware=fw, xrt=xrt,
                **_common(spec, kind, model, "AMD Xilinx", "XFL1"))
    card.part_number = card.part_number or f"A-{kind.upper()}-P64G-PQ-G"
    return card, bridges


# -- NVIDIA ----------------------------------------------------------------------------------

_NVIDIA = {
    # kind: (device id, subsystem device, link, model, smi name, revision, VBIOS)
    "h100_sxm5": ("0x2330", "0x16c1", "32.0 GT/s PCIe", "NVIDIA H100 SXM5 80GB",
                  "NVIDIA H100 80GB HBM3", "0xa1", "96.00.89.00.01"),
    "a100_sxm4": ("0x20b0", "0x134f", "16.0 GT/s PCIe", "NVIDIA A100 SXM4 40GB",
                  "NVIDIA A100-SXM4-40GB", "0xa1", "92.00.36.00.02"),
    # hwfacts gpu-partitioning section 6, G1-G3 (ids of 20b2/26b9 [I], 25b6 [D]).
    "a100_sxm4_80": ("0x20b2", "0x1463", "16.0 GT/s PCIe", "NVIDIA A100 SXM4 80GB",
                     "NVIDIA A100-SXM4-80GB", "0xa1", "92.00.45.00.03"),
    "a16": ("0x25b6", "0x14a9", "16.0 GT/s PCIe", "NVIDIA A16", "NVIDIA A16", "0xa1",
            "94.07.5b.00.92"),
    "l40s": ("0x26b9", "0x1851", "16.0 GT/s PCIe", "NVIDIA L40S", "NVIDIA L40S", "0xa1",
             "95.02.66.00.02"),
    "l4": ("0x27b8", "0x16ca", "16.0 GT/s PCIe", "NVIDIA L4", "NVIDIA L4", "0xa1",
           "95.04.29.00.01"),
}
#: GPUs with MIG (nvidia-smi shows their mode) and the profile table of those hwfacts
#: records one for; the others report ``[N/A]``.
_MIG = {"h100_sxm5": None, "a100_sxm4": None, "a100_sxm4_80": "a100_80gb"}


def nvidia_gpu(spec, numbering, kind="h100_sxm5"):
    """One NVIDIA GPU (optionally with SR-IOV VFs for vGPU)."""
    did, subsys, link, model, smi_name, rev, vbios = _NVIDIA[kind]
    address = str(spec["address"])
    numa = int(spec.get("numa_node", 0))
    bridges, parent = _upstream(spec, address, numa, numbering, link)
    pf = PciFunction(
        address, "0x10de", did, "0x030200", rev, "0x10de", subsys, "nvidia", numa,
        numbering.take("iommu_group"), link, 16, link, 16, parent=parent, role="accelerator",
    )
    funcs = [pf]
    vfs = int(spec.get("vfs", 0))
    if vfs:
        pf.sriov_totalvfs, pf.sriov_offset, pf.sriov_stride = 32, 4, 1
        pf.sriov_vf_device = did
        for vf in vf_addresses(address, vfs, 4, 1):
            pf.vfs.append(vf)
            funcs.append(PciFunction(
                vf, "0x10de", did, "0x030200", rev, "0x10de", subsys, "nvidia", numa,
                numbering.take("iommu_group"), link, 16, link, 16, parent=parent,
                physfn=address, role="vf",
            ))
    fw = _fw(spec, [FirmwareComponent("vbios", "GPU VBIOS", vbios, True, "vendor_tool")])
    state = spec.get("nvidia") or {}
    mig_capable = kind in _MIG
    nv = NvidiaState(
        minor=numbering.take("nvidia_minor"),
        uuid=state.get("uuid", "GPU-" + _stable_uuid("gpu", address, spec.get("serial"))),
        vbios_version=fw[0].version,
        model_name=smi_name,
        mig_mode=state.get("mig_mode", "Disabled" if mig_capable else "[N/A]"),
        irq=200 + numbering.nvidia_minor,
        mig_pending=state.get("mig_pending"),
        mig_profiles=_MIG.get(kind),
    )
    if not mig_capable and nv.mig_mode != "[N/A]":
        raise HostDescriptionError(f"{kind} has no MIG; mig_mode must be left out")
    card = Card(functions=funcs, firmware=fw, nvidia=nv,
                **_common(spec, kind, model, "NVIDIA", "1654"))
    card.partitions = _partitions(kind, spec, funcs, numbering, nv.mig_profiles)
    return card, bridges


def _partitions(kind, spec, funcs, numbering, mig_table=None):
    if kind not in ("a16", "l40s", "gvtg") and not mig_table:
        if spec.get("partitions"):
            raise HostDescriptionError(f"{kind} cards have no partitions to describe")
        return None
    try:
        return gpu_partitions.expand(kind, spec, funcs, numbering, mig_table)
    except (ValueError, KeyError, IndexError) as exc:
        raise HostDescriptionError(f"{kind} {funcs[0].address} partitions: {exc}") from None


def intel_gvtg(spec, numbering):
    """An Intel Gen9.5 iGPU (UHD 630) on i915 with GVT-g: the mdev parent is the PF."""
    address = str(spec.get("address", "0000:00:02.0"))
    numa = int(spec.get("numa_node", 0))
    bridges, parent = _upstream(spec, address, numa, numbering, None)
    fn = PciFunction(
        address, "0x8086", "0x3e92", "0x030000", "0x02", "0x1028", "0x0869", "i915", numa,
        numbering.take("iommu_group"), None, None, None, None, parent=parent,
        role="accelerator",
    )
    card = Card(functions=[fn], **_common(spec, "uhd630", "Intel UHD Graphics 630", "Intel",
                                          "IGPU"))
    card.partitions = _partitions("gvtg", spec, [fn], numbering)
    return card, bridges


def nvswitch(spec, numbering):
    """NVIDIA NVSwitch of an HGX baseboard: class 0x068000, nvidia driver, no /proc gpus entry."""
    address = str(spec["address"])
    numa = int(spec.get("numa_node", 0))
    bridges, parent = _upstream(spec, address, numa, numbering, "16.0 GT/s PCIe")
    fn = PciFunction(
        address, "0x10de", "0x22a3", "0x068000", "0xa1", "0x10de", "0x1796", "nvidia", numa,
        numbering.take("iommu_group"), "16.0 GT/s PCIe", 2, "16.0 GT/s PCIe", 2, parent=parent,
        role="fabric",
    )
    fw = _fw(spec, [FirmwareComponent("nvswitch_firmware", "NVSwitch firmware", "96.10.4f.00.01",
                                      True, "vendor_tool")])
    return Card(functions=[fn], firmware=fw,
                **_common(spec, "nvswitch", "NVIDIA H100 NVSwitch", "NVIDIA", "1655")), bridges


# -- Intel QAT and FEC ---------------------------------------------------------------------


def qat_4xxx(spec, numbering):
    """Intel QAT 4xxx endpoint: root-complex integrated PF with up to 16 VFs (vfio-pci)."""
    address = str(spec["address"])
    numa = int(spec.get("numa_node", 0))
    spec = {"upstream": []} | spec
    bridges, parent = _upstream(spec, address, numa, numbering, None)
    vfs = int(spec.get("vfs", 16))
    if vfs > 16:
        raise HostDescriptionError(f"QAT 4xxx supports at most 16 VFs, asked {vfs}")
    pf = PciFunction(
        address, "0x8086", "0x4940", "0x0b4000", "0x40", "0x8086", "0x0000", "4xxx", numa,
        numbering.take("iommu_group"), None, None, None, None, parent=parent,
        sriov_totalvfs=16, sriov_offset=1, sriov_stride=1, sriov_vf_device="0x4941",
        role="accelerator",
    )
    funcs = [pf]
    for vf in vf_addresses(address, vfs, 1, 1):
        pf.vfs.append(vf)
        funcs.append(PciFunction(
            vf, "0x8086", "0x4941", "0x0b4000", "0x40", "0x8086", "0x0000", "vfio-pci", numa,
            numbering.take("iommu_group"), None, None, None, None, parent=parent,
            physfn=address, role="vf",
        ))
    q = spec.get("qat") or {}
    state = QatState(q.get("state", "up"), q.get("cfg_services", "sym;asym"),
                     int(q.get("num_rps", 64)))
    return Card(functions=funcs, qat=state,
                **_common(spec, "qat_4xxx", "Intel QuickAssist 4xxx", "Intel", "QAT")), bridges


def acc100(spec, numbering):
    """Intel vRAN ACC100 (FEC): PF on pci-pf-stub with VFs on vfio-pci."""
    address = str(spec["address"])
    numa = int(spec.get("numa_node", 0))
    bridges, parent = _upstream(spec, address, numa, numbering, "8.0 GT/s PCIe")
    vfs = int(spec.get("vfs", 16))
    pf = PciFunction(
        address, "0x8086", "0x0d5c", "0x120000", "0x00", "0x8086", "0x0000", "pci-pf-stub",
        numa, numbering.take("iommu_group"), "8.0 GT/s PCIe", 16, "8.0 GT/s PCIe", 16,
        parent=parent, sriov_totalvfs=16, sriov_offset=8, sriov_stride=1,
        sriov_vf_device="0x0d5d", role="accelerator",
    )
    funcs = [pf]
    for vf in vf_addresses(address, vfs, 8, 1):
        pf.vfs.append(vf)
        funcs.append(PciFunction(
            vf, "0x8086", "0x0d5d", "0x120000", "0x00", "0x8086", "0x0000", "vfio-pci", numa,
            numbering.take("iommu_group"), "8.0 GT/s PCIe", 16, "8.0 GT/s PCIe", 16,
            parent=parent, physfn=address, role="vf",
        ))
    fw = _fw(spec, [FirmwareComponent("fec_firmware", "ACC100 firmware", "1.0.0", False, "none")])
    return Card(functions=funcs, firmware=fw,
                **_common(spec, "acc100", "Intel vRAN Dedicated Accelerator ACC100", "Intel",
                          "ACC")), bridges


# -- NVIDIA BlueField DPU ------------------------------------------------------------------


def bluefield3(spec, numbering):
    """NVIDIA BlueField-3 DPU as the host sees it: its ConnectX-7 PF (0x15b3:0xa2dc, mlx5_core).

    One PF is modelled (a single-port card); the DPU's own BMC, Arm OS and firmware
    bundle are its firmware components (versions from a BF-24.10 BlueField BMC capture,
    ../shared/hwfacts/redfish-vendors.md section 4).
    """
    address = str(spec["address"])
    numa = int(spec.get("numa_node", 0))
    bridges, parent = _upstream(spec, address, numa, numbering, "32.0 GT/s PCIe")
    fn = PciFunction(
        address, "0x15b3", "0xa2dc", "0x020000", "0x01", "0x15b3", "0x0051", "mlx5_core", numa,
        numbering.take("iommu_group"), "32.0 GT/s PCIe", 16, "32.0 GT/s PCIe", 16,
        parent=parent, role="accelerator",
    )
    fw = _fw(spec, [
        FirmwareComponent("nic_firmware", "ConnectX-7 NIC firmware", "32.43.1008", True,
                          "vendor_tool"),
        FirmwareComponent("dpu_bundle", "BlueField BFB bundle",
                          "bf-bundle-2.9.0-90_24.10_ubuntu-22.04_prod", True, "redfish"),
        FirmwareComponent("dpu_atf", "BlueField ATF", "v2.2(release):4.9.0-25-g0ce57e322",
                          False, "none"),
        FirmwareComponent("dpu_bsp", "BlueField BSP", "4.9.0.13378", False, "none"),
        FirmwareComponent("dpu_uefi", "BlueField UEFI", "4.9.0-46-g7e3911bd4d", False, "none"),
        FirmwareComponent("dpu_bmc", "BlueField BMC firmware", "BF-24.10-10", True, "redfish"),
        FirmwareComponent("dpu_erot", "BlueField ERoT firmware", "00.02.0182.0000_n02", True,
                          "redfish"),
    ])
    card = Card(functions=[fn], firmware=fw,
                **_common(spec, "bluefield3", "NVIDIA BlueField-3 B3220 DPU", "NVIDIA", "MT24"))
    card.part_number = card.part_number or "900-9D3B6-00CV-AA0"
    return card, bridges


def generic(spec, numbering):
    """Any single-function device given by its ids (e.g. an uncatalogued class-0x1200 card)."""
    address = str(spec["address"])
    numa = int(spec.get("numa_node", 0))
    bridges, parent = _upstream(spec, address, numa, numbering, "8.0 GT/s PCIe")
    try:
        fn = PciFunction(
            address, _hexid(spec["vendor_id"]), _hexid(spec["device_id"]),
            f"0x{int(str(spec['class_code']), 16):06x}",
            f"0x{int(str(spec.get('revision', 0)), 16):02x}",
            _hexid(spec.get("subsystem_vendor_id", 0)), _hexid(spec.get("subsystem_device_id", 0)),
            spec.get("driver"), numa, numbering.take("iommu_group"), "8.0 GT/s PCIe", 8,
            "8.0 GT/s PCIe", 8, parent=parent, role="accelerator",
        )
    except KeyError as exc:
        raise HostDescriptionError(f"generic card {address} needs {exc.args[0]}") from None
    return Card(functions=[fn], firmware=_declared_fw(spec),
                **_common(spec, "generic", spec.get("model", "PCI device"),
                          spec.get("manufacturer", "Unknown"), "GEN")), bridges


def _declared_fw(spec):
    """A generic card's firmware, declared whole in its description:
    ``firmware: {device_firmware: {name: ..., version: ..., updatable: true}}``."""
    out = []
    for component, entry in (spec.get("firmware") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("version"), str):
            raise HostDescriptionError(
                f"generic card {spec.get('address')}: firmware {component} needs a version")
        try:
            out.append(FirmwareComponent(
                str(component), str(entry.get("name", component)), entry["version"],
                bool(entry.get("updatable", True)), str(entry.get("update_method", "redfish")),
                entry.get("lowest_supported_version")))
        except TypeError as exc:
            raise HostDescriptionError(f"bad firmware {component}: {exc}") from None
    return out


#: Template per card kind (the ``kind`` of a card in a host description).
TEMPLATES = {
    "n3000": n3000,
    "n6000": n6000,
    "u250": lambda s, n: alveo(s, n, "u250"),
    "u280": lambda s, n: alveo(s, n, "u280"),
    "u55c": lambda s, n: alveo(s, n, "u55c"),
    "h100_sxm5": lambda s, n: nvidia_gpu(s, n, "h100_sxm5"),
    "a100_sxm4": lambda s, n: nvidia_gpu(s, n, "a100_sxm4"),
    "a100_sxm4_80": lambda s, n: nvidia_gpu(s, n, "a100_sxm4_80"),
    "a16": lambda s, n: nvidia_gpu(s, n, "a16"),
    "l40s": lambda s, n: nvidia_gpu(s, n, "l40s"),
    "l4": lambda s, n: nvidia_gpu(s, n, "l4"),
    "uhd630": intel_gvtg,
    "nvswitch": nvswitch,
    "bluefield3": bluefield3,
    "qat_4xxx": qat_4xxx,
    "acc100": acc100,
    "generic": generic,
}


def expand(spec, numbering):
    """Card and upstream bridges for one card entry of a host description."""
    if not isinstance(spec, dict) or "kind" not in spec:
        raise HostDescriptionError(f"a card needs a 'kind': {spec!r}")
    template = TEMPLATES.get(spec["kind"])
    if template is None:
        raise HostDescriptionError(
            f"unknown card kind {spec['kind']!r}; known: {', '.join(sorted(TEMPLATES))}"
        )
    try:
        card, bridges = template(spec, numbering)
    except KeyError as exc:
        raise HostDescriptionError(f"{spec['kind']} card needs {exc.args[0]!r}") from None
    if spec.get("cxl") is not None:
        card.cxl = _cxl(spec["cxl"], card)
    return card, bridges


def _cxl(value, card):
    """The ``cxl:`` of a card entry: ``{device_type: Type2, memory_mib: 16384}``."""
    if not isinstance(value, dict) or value.get("device_type") not in ("Type1", "Type2"):
        raise HostDescriptionError(
            f"{card.id}: cxl needs device_type Type1 or Type2 (accelerators), got {value!r}")
    try:
        state = CxlState(**value)
    except TypeError as exc:
        raise HostDescriptionError(f"{card.id}: bad cxl entry: {exc}") from None
    if state.device_type == "Type1" and state.memory_mib:
        raise HostDescriptionError(f"{card.id}: a CXL Type 1 device has no device memory")
    return state
