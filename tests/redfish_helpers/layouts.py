"""What each real BMC capture and public DMTF mockup in ../shared/redfish holds, by hand.

Every list below was written by reading the capture's JSON files (not by running the
client): the accelerators a person finds there, where, and every firmware version each
shows. Tests assert the client finds exactly these, through the emulator's static mode
(unit tests) and through a real Ironic (functional tests).

``firmware`` maps the Ironic component (``accel:<device>:<component>``) to (version,
updatable on the BMC). A version shown in several places of one device (a
FirmwareInventory entry, ``PCIeDevice.FirmwareVersion``,
``NetworkAdapter.Controllers[].FirmwarePackageVersion``) is one component, named after
the entry.
"""

from __future__ import annotations

import dataclasses
import os

from tests.redfish_helpers import shared_dir


@dataclasses.dataclass(frozen=True)
class Acc:
    type: str
    vendor_id: str | None
    device_id: str | None
    firmware: dict
    pci_address: str | None = None
    serial: str | None = None


@dataclasses.dataclass(frozen=True)
class Layout:
    folder: str  # under shared/redfish
    system: str | None  # redfish_system_id, a URI as Ironic wants (None: the only system)
    accelerators: dict  # device id -> Acc
    #: the layout's traits Ironic must show after out-of-band inspection
    traits: frozenset = frozenset()


_H100_SXM = "96.00.61.00.01"
_L40 = "95.02.39.00.01"


def _sxm(n, slot):
    """Supermicro SYS-821GE-TNHR GPU ``GPU<n>`` (PCIe device only, serial from its JSON):
    GPU<n> (not updatable, RelatedItem -> the PCIe device) and the HMC's HGX_* entries
    (no RelatedItem, matched by name; ``FirmwareVersion`` of the PCIe device is the
    same as GPU<n>'s)."""
    return Acc("GPU", None, None, serial=slot, firmware={
        f"gpu{n}": (_H100_SXM, False),
        f"hgx_fw_gpu_sxm_{n}": (_H100_SXM, True),
        f"hgx_inforom_gpu_sxm_{n}": ("G520.0200.00.05", False),
        f"hgx_fw_erot_gpu_sxm_{n}": ("00.02.0134.0000_n00", True),
    })


def _l40(n, slot, serial):
    """Lenovo SR670 V2 GPU ``GPU<n>``: a Processor linked to ``Chassis/1/PCIeDevices/
    slot_<slot>``; both show 95.02.39.00.01, as do the entries GPU<n> (-> the processor)
    and Slot_<slot>.1 (-> the PCIe device); none is updatable."""
    return Acc("GPU", "0x10de", "0x26b5", serial=serial, firmware={
        f"gpu{n}": (_L40, False), f"slot_{slot}_1": (_L40, False)})


LAYOUTS = {
    # Dell iDRAC 9 (6.00.30.00), PowerEdge R750. The H100's Processor has no firmware;
    # iDRAC's Oem/Dell/DellVideo/Video.Slot.2-1 has it (and bus 23 = 0x17); its PCIe
    # device 23-0 says FirmwareVersion "". The BlueField-2 is NetworkAdapter NIC.Slot.5
    # + PCIe device 177-0 (listed under the system and the chassis), 24.40.10.00 in its
    # controller, its PCIe device and Installed-0-24.40.10.00__NIC.Slot.5-1. The Matrox
    # VGA, Broadcom NICs, the ConnectX-6 InfiniBand card and the NVMe disks are not
    # accelerators.
    "dell": Layout("captures/dell", None, {
        "Video.Slot.2-1": Acc("GPU", "0x10de", "0x2331", pci_address="0000:17:00.0",
                              serial="1654422007043",
                              firmware={"firmware": ("96.00.30.00.01", False)}),
        "NIC.Slot.5": Acc("DPU", "0x15b3", "0xa2d6", serial="MT2242XZ00QA",
                          firmware={"nic_slot_5_1": ("24.40.10.00", True)}),
    }, frozenset({"CUSTOM_GPU_NVIDIA", "CUSTOM_GPU_NVIDIA_H100", "CUSTOM_GPU_PRODUCT_ID_2331",
                  "CUSTOM_DPU_NVIDIA", "CUSTOM_DPU_NVIDIA_BLUEFIELD2"})),
    # Lenovo XCC, SR670 V2: 8 L40 (10de:26b5) GPU1..8 in slots 3..10, a BlueField-2 in
    # slot 15 (adapter slot-15 + PCIe device slot_15; entries Slot_15.1, Slot_15.2 and the
    # updatable Slot_15.Bundle, all 24.41.1000). The Matrox (ob_1), the BCM5719, the M.2
    # RAID kit and the RAID controllers are not accelerators.
    "lenovo": Layout("captures/lenovo", None, {
        "GPU1": _l40(1, 3, "1325322005680"), "GPU2": _l40(2, 4, "1325322003616"),
        "GPU3": _l40(3, 5, "1325322002274"), "GPU4": _l40(4, 6, "1325322002694"),
        "GPU5": _l40(5, 7, "1325322003757"), "GPU6": _l40(6, 8, "1325322004602"),
        "GPU7": _l40(7, 9, "1325222037741"), "GPU8": _l40(8, 10, "1325222038061"),
        "slot-15": Acc("DPU", "0x15b3", "0xa2d6", serial="MT2341XZ0A9M", firmware={
            "slot_15_bundle": ("24.41.1000", True), "slot_15_1": ("24.41.1000", False),
            "slot_15_2": ("24.41.1000", False)}),
    }, frozenset({"CUSTOM_GPU_NVIDIA", "CUSTOM_GPU_PRODUCT_ID_26B5",
                  "CUSTOM_ACCEL_PRODUCT_10DE_26B5", "CUSTOM_DPU_NVIDIA",
                  "CUSTOM_DPU_NVIDIA_BLUEFIELD2"})),
    # Supermicro SYS-821GE-TNHR, HGX H100 baseboard: GPUs only as Chassis/1/PCIeDevices/
    # GPU1..8 (ids 0x0000, DisplayController), and NIC10 a BlueField-2 (adapter 10 +
    # PCIe device NIC10, entry NIC10 updatable, 24.38.1402). NIC1-8 are ConnectX-7, NIC9
    # an X550; NVSwitch/retimer/PCIe switch HGX_* entries belong to no accelerator.
    "supermicro": Layout("captures/supermicro", None, {
        "GPU1": _sxm(1, "1652323019599"), "GPU2": _sxm(2, "1652323020089"),
        "GPU3": _sxm(3, "1652323020605"), "GPU4": _sxm(4, "1652323019737"),
        "GPU5": _sxm(5, "1652323019904"), "GPU6": _sxm(6, "1652323053976"),
        "GPU7": _sxm(7, "1652323052591"), "GPU8": _sxm(8, "1652323019898"),
        "NIC10": Acc("DPU", "0x15b3", "0xa2d6", serial="MT2321XZ02AR",
                     firmware={"nic10": ("24.38.1402", True)}),
    }, frozenset({"CUSTOM_GPU_NVIDIA", "CUSTOM_DPU_NVIDIA", "CUSTOM_DPU_NVIDIA_BLUEFIELD2"})),
    # The BMC of a BlueField-3 DPU (BF-24.10-10): the only system, Systems/Bluefield, is
    # the DPU (SystemType Physical). Its software: the DPU_* entries (RelatedItem
    # Systems/Bluefield/Bios; DPU_OS updatable) and the card's ERoT (Chassis/
    # Bluefield_ERoT, contained by Card1). BMC_Firmware is the BMC's own (Ironic's "bmc"
    # component); the golden_image_* backups say "version not available".
    "nvidia_dpu": Layout("captures/nvidia_dpu", None, {
        "Bluefield": Acc("DPU", None, None, serial="MT2423600ANG", firmware={
            "dpu_atf": ("v2.2(release):4.9.0-25-g0ce57e322", False),
            "dpu_board": ("MT_0000000884", False),
            "dpu_bsp": ("4.9.0.13378", False),
            "dpu_nic": ("32.43.1008", False),
            "dpu_node": ("0004:4bff:fedc:def0", False),
            "dpu_ofed": ("MLNX_OFED_LINUX-24.10-0.6.8", False),
            "dpu_os": ("bf-bundle-2.9.0-90_24.10_ubuntu-22.04_prod", True),
            "dpu_sys_image": ("5c25:7303:0008:f352", False),
            "dpu_uefi": ("4.9.0-46-g7e3911bd4d", False),
            "bluefield_fw_erot": ("00.02.0182.0000_n02", True),
        }),
    }, frozenset({"CUSTOM_DPU_NVIDIA"})),
    # DMTF public-rackmount1: FPGA1 (Stratix 10, FPGA.FirmwareVersion, no inventory
    # entry) and GraphicsController GPU1 (BiosVersion), not linked to each other.
    "public-rackmount1": Layout("mockups/public-rackmount1", None, {
        "FPGA1": Acc("FPGA", None, None, firmware={"fpga_firmware": ("Blue v.1.00.86", False)}),
        "GPU1": Acc("GPU", None, None, serial="2M220100SL",
                    firmware={"vbios": ("90.02.17.00.7D", False)}),
    }, frozenset({"CUSTOM_FPGA_INTEL", "CUSTOM_GPU_CONTOSO"})),
    # DMTF public-tower: GPU1/GPU2 each a Processor (TU102), a GraphicsController
    # (BiosVersion) and a PCIe device Slot1/Slot2 (FirmwareVersion 4.5.44), linked by the
    # controllers. Every part has serial 2M220100SL: it identifies nothing.
    "public-tower": Layout("mockups/public-tower", None, {
        "GPU1": Acc("GPU", None, None, serial="2M220100SL", firmware={
            "device_firmware": ("4.5.44", False), "vbios": ("90.02.17.00.7D", False)}),
        "GPU2": Acc("GPU", None, None, serial="2M220100SL", firmware={
            "device_firmware": ("4.5.44", False), "vbios": ("90.02.17.00.7D", False)}),
    }, frozenset({"CUSTOM_GPU_NVIDIA"})),
    # DMTF public-cxl-multiswitch: Host1 owns Chassis CXLType1 (an FPGA, CXL Type 1) and
    # CXLType2 (a GPU, CXL Type 2), each a Processor + PCIe device (0xABCD:0xABCD); the
    # Type 3 memory devices and the pooled devices are not Host1's; no firmware anywhere,
    # no UpdateService.
    "public-cxl-multiswitch": Layout("mockups/public-cxl-multiswitch",
                                     "/redfish/v1/Systems/Host1", {
        "FPGA": Acc("FPGA", "0xabcd", "0xabcd", firmware={}),
        "GPU": Acc("GPU", "0xabcd", "0xabcd", firmware={}),
    }, frozenset({"CUSTOM_FPGA_VABCD", "CUSTOM_ACCEL_PRODUCT_ABCD_ABCD", "CUSTOM_GPU_VABCD",
                  "CUSTOM_GPU_PRODUCT_ID_ABCD"})),
    "public-cxl-multiswitch-host2": Layout("mockups/public-cxl-multiswitch",
                                           "/redfish/v1/Systems/Host2", {}),
    # DMTF public-composability: the only GPU (Block9GPU) sits in the free resource block
    # OffloadBlock9, composed into no system.
    "public-composability": Layout("mockups/public-composability",
                                   "/redfish/v1/Systems/ComposedSystem", {}),
}


def path(layout):
    """The layout's folder, or None when ../shared is not beside the repository."""
    base = shared_dir()
    return os.path.join(base, "redfish", layout.folder) if base else None
