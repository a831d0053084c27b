"""Typed model of a host with accelerators: what its PCI tree and its BMC show.

The sysfs builder (in-band view) and the Redfish emulator (out-of-band view)
both render this one model, so a fact lives here exactly once: ids, serials,
firmware versions, vendor state (DFL ids, XRT UUIDs, VBIOS, QAT services).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

#: Class code of a PCI-to-PCI bridge (root ports and switch ports).
BRIDGE_CLASS = "0x060400"


@dataclass
class FirmwareComponent:
    """One updatable (or read-only) firmware piece of a card, as a BMC lists it."""

    component: str  # contract name: max10_bmc_nios, fpga_flash, vbios, xrt_shell...
    name: str  # human name ("MAX10 BMC NIOS firmware")
    version: str
    updatable: bool = True
    #: contract enum: fw_upload, fpga_pr, xrt, vendor_tool, redfish, none
    update_method: str = "none"
    lowest_supported_version: str | None = None


@dataclass
class PciFunction:
    """One PCI function exactly as the kernel would describe it in sysfs."""

    address: str  # 0000:3f:00.0
    vendor_id: str  # 0x8086
    device_id: str
    class_code: str  # 0x120000
    revision: str = "0x00"
    subsystem_vendor_id: str = "0x0000"
    subsystem_device_id: str = "0x0000"
    driver: str | None = None  # bound kernel driver name, None when unbound
    numa_node: int = -1
    iommu_group: int | None = None
    current_link_speed: str | None = "8.0 GT/s PCIe"
    current_link_width: int | None = 16
    max_link_speed: str | None = "8.0 GT/s PCIe"
    max_link_width: int | None = 16
    parent: str | None = None  # upstream bridge address; None = on the root bus
    physfn: str | None = None  # PF address for a VF
    vfs: list[str] = field(default_factory=list)  # VF addresses for a PF with VFs enabled
    sriov_totalvfs: int | None = None  # None: the function has no SR-IOV capability
    sriov_offset: int | None = None
    sriov_stride: int | None = None
    sriov_vf_device: str | None = None  # 0x4941
    role: str = "accelerator"  # what the card template meant it for (bridge, companion, vf...)

    @property
    def is_bridge(self):
        return self.class_code == BRIDGE_CLASS

    @property
    def sriov_numvfs(self):
        return len(self.vfs)

    @property
    def domain(self):
        return self.address.split(":")[0]

    @property
    def bus(self):
        return int(self.address.split(":")[1], 16)


#: the legacy out-of-tree OPAE driver (``intel-fpga-pci``); see DflState.driver
LEGACY_OPAE_DRIVER = "intel-fpga-pci"
DFL_DRIVERS = ("dfl-pci", LEGACY_OPAE_DRIVER)


@dataclass
class DflState:
    """Intel DFL card state (FME, PR region, port, MAX10 BMC, firmware-upload device)."""

    fme_index: int  # dfl-fme.N and /dev/dfl-fme.N
    port_index: int  # dfl-port.N
    base_region: int  # fpga_region/regionN (the card)
    pr_region: int  # regionM below dfl-fme-region.N (the PR slot)
    fpga_manager: int  # fpgaN
    fpga_bridge: int  # brN
    secure_update: int | None  # /sys/class/firmware/secure-updateN, None: no fw upload
    spi_bus: int  # spiN carrying the MAX10 BMC
    bitstream_id: str  # 0x2300011001030f
    bitstream_metadata: str
    compat_id: str  # PR interface id, 32 hex digits, no dashes
    afu_id: str  # loaded AFU GUID, 32 hex digits, no dashes
    bmc_version: str  # MAX10 register value, e.g. 0x44020007 (= D.2.0.7)
    bmcfw_version: str  # e.g. 0x44020118 (= D.2.1.24)
    boot_page: str = "user"
    socket_id: int = 0
    sec_update_name: str = "n3000bmc-sec-update"
    #: the PCI driver bound to the card: ``dfl-pci`` (upstream Linux DFL), or
    #: ``intel-fpga-pci``, the legacy out-of-tree OPAE driver (Cyborg's test tree has it):
    #: ``fpga/intel-fpga-dev.N/intel-fpga-{fme,port}.N`` below the PF, no ``fpga_region``,
    #: no firmware-upload device, and no PR path ipa_fpga can use
    driver: str = "dfl-pci"

    @property
    def legacy(self):
        return self.driver == LEGACY_OPAE_DRIVER


@dataclass
class XrtState:
    """Xilinx XRT card state (xclmgmt + xocl)."""

    instance: int  # xclmgmt instance number (/dev/xclmgmt<N>)
    render_minor: int  # /dev/dri/renderD<N> of the user PF
    vbnv: str  # xilinx_u250_gen3x16_xdma_shell_4_1
    fpga_part: str  # xcu250-figd2104-2L-e
    interface_uuids: list[str]  # base (BLP) first, then shell (PLP)
    logic_uuids: list[str]
    xclbin_uuid: str  # 00000000-... when none loaded
    timestamp: str = "0x0"
    mfg_ver: str = "1"


@dataclass
class NvidiaState:
    """NVIDIA GPU state read by the driver (procfs) and nvidia-smi."""

    minor: int  # /dev/nvidiaN
    uuid: str  # GPU-xxxxxxxx-...
    vbios_version: str  # 96.00.89.00.01
    model_name: str  # "NVIDIA H100 80GB HBM3"
    mig_mode: str = "Disabled"  # current; "[N/A]" for a GPU without MIG
    irq: int = 0
    mig_pending: str | None = None  # None: same as mig_mode
    #: MIG profile table of this GPU model (accel_hosts.gpu_partitions.MIG_PROFILES key).
    mig_profiles: str | None = None


@dataclass
class MdevType:
    """One ``mdev_supported_types/<type_id>`` entry (the same on every parent of a card)."""

    type_id: str  # nvidia-721, i915-GVTg_V5_4
    name: str | None  # "NVIDIA A16-4C"; None: no ``name`` file (GVT-g before ~6.1)
    description: str  # one line (NVIDIA) or several (GVT-g)
    framebuffer_mb: int  # NVIDIA: vGPU framebuffer; GVT-g: high_gm_size
    max_instances: int  # per physical GPU (NVIDIA ``max_instance``), per parent (GVT-g)
    device_api: str = "vfio-pci"
    #: GVT-g resources one instance takes (low_gm_mb, high_gm_mb, fence); NVIDIA: empty.
    cost: dict = field(default_factory=dict)


@dataclass
class Mdev:
    """A created mediated device."""

    uuid: str
    type_id: str
    parent: str  # PCI address of the parent function
    iommu_group: int


@dataclass
class VgpuType:
    """A vGPU type of NVIDIA's vendor VFIO framework (``nvidia/creatable_vgpu_types``)."""

    id: int  # 1151 (card-local id written to ``current_vgpu_type``)
    name: str  # "NVIDIA L40S-6Q"
    framebuffer_mb: int


@dataclass
class MigInstance:
    """A MIG GPU instance (``nvidia-smi mig -lgi``) and its compute instances."""

    gi: int  # GPU instance id
    profile: int  # GPU-instance profile id (19 = 1g.10gb)
    start: int  # placement start (memory slice)
    size: int  # placement size
    cis: list[int] = field(default_factory=list)  # compute instance ids (default CI: 0)


@dataclass
class GpuPartitions:
    """What a GPU's driver offers and holds as partitions (hwfacts gpu-partitioning.md).

    ``mdev_parents``: ``pf`` (types on the PF), ``vfs`` (types on each VF, one vGPU per
    VF: A16 on mdev-era drivers) or None. ``vgpu_types`` set: the VFs use NVIDIA's vendor
    VFIO framework (``nvidia/creatable_vgpu_types``, ``current_vgpu_type``).
    """

    framebuffer_mb: int = 0  # of the physical GPU (what vGPU types share)
    mdev_parents: str | None = None
    mdev_types: list[MdevType] = field(default_factory=list)
    mdevs: list[Mdev] = field(default_factory=list)
    mdev_driver: str = "nvidia-vgpu-vfio"
    #: GVT-g budget of the parent: low_gm_mb, high_gm_mb, fence.
    budget: dict = field(default_factory=dict)
    vgpu_types: list[VgpuType] = field(default_factory=list)
    vgpu_current: dict = field(default_factory=dict)  # VF address -> type id (0 = none)
    vfio_dev: dict = field(default_factory=dict)  # VF address -> N of vfio-dev/vfioN
    mig_instances: list[MigInstance] = field(default_factory=list)


@dataclass
class QatState:
    """Intel QAT endpoint state (qat/ sysfs group)."""

    state: str = "up"
    cfg_services: str = "sym;asym"
    num_rps: int = 64


@dataclass
class CxlState:
    """A CXL device's identity as its DVSEC and a BMC describe it (DMTF ``CXLDevice``)."""

    device_type: str  # Type1 (cache), Type2 (cache + device memory), Type3 (memory)
    protocol: str = "CXL2_0"  # current protocol version
    capable: list[str] = field(default_factory=lambda: ["CXL1_1", "CXL2_0"])
    memory_mib: int = 0  # device-attached memory (HBM of a Type 2), 0 for a Type 1
    cache_mib: int = 64


@dataclass
class Card:
    """One physical card (or baseboard device): what a BMC inventories as one processor."""

    kind: str  # card template name: n3000, u250, h100_sxm5, qat_4xxx...
    model: str  # marketing model ("Intel FPGA PAC N3000")
    manufacturer: str
    serial: str
    part_number: str | None
    slot: str | None
    numa_node: int
    functions: list[PciFunction]  # the card's own functions (not upstream bridges)
    firmware: list[FirmwareComponent] = field(default_factory=list)
    dfl: DflState | None = None
    xrt: XrtState | None = None
    nvidia: NvidiaState | None = None
    qat: QatState | None = None
    cxl: CxlState | None = None  # a CXL device (Type 1 or 2 accelerator)
    name: str | None = None  # short id in the description ("fpga0")
    partitions: GpuPartitions | None = None

    @property
    def primary(self):
        """The function that names the card (first one listed by its template)."""
        return self.functions[0]

    @property
    def id(self):
        return self.name or self.primary.address


@dataclass
class Bmc:
    """What identifies the host's BMC."""

    vendor: str = "Generic"
    model: str | None = None
    firmware_version: str | None = None
    address: str | None = None  # BMC IP/hostname (used by the Redfish emulator)
    mac_address: str | None = None


@dataclass
class Host:
    """A server: identity, NUMA layout, BMC, cards and the bridges they sit behind."""

    name: str
    hostname: str
    system_uuid: str
    manufacturer: str
    model: str
    serial: str
    numa_cpulists: dict[int, str]  # {0: "0-31,64-95", 1: "32-63,96-127"}
    bmc: Bmc
    cards: list[Card]
    bridges: list[PciFunction] = field(default_factory=list)
    kernel: str = "6.8.0-45-generic"
    bios_version: str | None = None
    #: NVIDIA's tools installed with the driver (``/usr/bin/nvidia-smi``, a model of it).
    nvidia_smi: bool = True

    def functions(self):
        """Every PCI function (bridges first, then cards'), keyed by address, in bus order."""
        out = {}
        for fn in self.bridges:
            out[fn.address] = fn
        for card in self.cards:
            for fn in card.functions:
                out[fn.address] = fn
        return dict(sorted(out.items()))

    def upstream(self, address):
        """Bridges above a function, root port first (its PCIe path as a BMC would show it)."""
        functions = self.functions()
        chain = []
        node = functions[address]
        while node.parent and node.parent in functions:
            node = functions[node.parent]
            chain.append(node)
        return list(reversed(chain))

    def card(self, name_or_address):
        """The card with this name or any of its function addresses."""
        for card in self.cards:
            if card.name == name_or_address or any(
                fn.address == name_or_address for fn in card.functions
            ):
                return card
        raise KeyError(name_or_address)

    def cpulist(self, numa_node):
        """CPU list of a NUMA node; all CPUs for -1 (what the kernel shows for no affinity)."""
        if numa_node in self.numa_cpulists:
            return self.numa_cpulists[numa_node]
        return ",".join(self.numa_cpulists[n] for n in sorted(self.numa_cpulists))

    def to_dict(self):
        """Plain-data form (JSON-able), e.g. for the Redfish emulator's templates."""
        return dataclasses.asdict(self)
