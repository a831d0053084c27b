"""What an accelerator is, in inventory-contract types, from what a BMC says about it.

In order of trust:

1. the PCIe ids, looked up in the contract's device catalogue (the same table in-band
   discovery uses, so a card gets the same type and model either way);
2. the Redfish type: ``ProcessorType`` ``FPGA``/``GPU``/``Accelerator``/``DSP``, a
   ``GraphicsController``, a DPU system;
3. the PCI class code (processing accelerator, 3D controller, co-processor), the
   ``DeviceClass`` (``ProcessingAccelerators``; ``DisplayController`` unless it is a
   server's on-board VGA), a CXL Type 1/2 device, a network adapter that says it is a
   BlueField DPU.

A device none of these call an accelerator (NICs, disks, the BMC's VGA) is left out.
"""

from __future__ import annotations

from accel_contract import catalogue, naming
from accel_contract.errors import NamingError

#: ProcessorType -> contract type (CPU, Core, Thread... are not accelerators).
PROCESSOR_TYPES = {"FPGA": "FPGA", "GPU": "GPU", "ACCELERATOR": "GENERIC", "DSP": "GENERIC"}
#: Catalogue types that are accelerators in their own right (a NIC entry is an FPGA
#: card's companion function, FABRIC an NVSwitch).
ACCEL_CATALOGUE_TYPES = ("FPGA", "GPU", "CRYPTO", "FEC", "NPU", "SMARTNIC", "DPU")
#: Vendors of the on-board VGA of servers (BMC graphics): display controllers, not GPUs.
ONBOARD_VGA_VENDORS = {"0x102b": "Matrox", "0x1a03": "ASPEED", "0x19a2": "Emulex Pilot",
                       "0x18ca": "XGI", "0x1b36": "QEMU", "0x1234": "Bochs"}
#: Words in a Manufacturer text -> the contract's vendor word.
_MANUFACTURER_WORDS = (("NVIDIA", "NVIDIA"), ("MELLANOX", "NVIDIA"), ("MLNX", "NVIDIA"),
                       ("INTEL", "INTEL"), ("XILINX", "XILINX"), ("ADVANCED MICRO", "AMD"),
                       ("AMD", "AMD"), ("HUAWEI", "HUAWEI"), ("HABANA", "HABANA"),
                       ("SILICOM", "SILICOM"))
_DPU_WORDS = ("BLUEFIELD", " DPU", "DPU ")


def catalogue_entry(function):
    """The catalogue entry of a PCIe function (``resources.PCIeFunction``), or None."""
    if not function.vendor_id or not function.device_id:
        return None
    return catalogue.lookup(function.vendor_id, function.device_id,
                            function.subsystem_vendor_id, function.subsystem_id)


def function_type(function):
    """(contract type, catalogue entry or None) of one PCIe function; type None when
    nothing says it is an accelerator."""
    entry = catalogue_entry(function)
    if entry is not None:
        return (entry.type if entry.type in ACCEL_CATALOGUE_TYPES else None), entry
    by_class = catalogue.class_fallback(function.class_code) if function.class_code else None
    if by_class:
        return by_class, None
    device_class = (function.device_class or "").lower()
    if device_class == "processingaccelerators":
        return "GENERIC", None
    if device_class == "displaycontroller" and function.vendor_id not in ONBOARD_VGA_VENDORS:
        return "GPU", None
    return None, None


def processor_type(processor):
    return PROCESSOR_TYPES.get((processor.processor_type or "").upper())


def maybe_accelerator(processor):
    """Whether a processor is worth a sighting: an accelerator type, or none/``OEM``
    (its PCIe ids may still say what it is); a CPU is not."""
    return bool(processor_type(processor)) or processor.processor_type in (None, "OEM")


def cxl_type(pcie_device):
    """GENERIC for a CXL Type 1/2 device (an accelerator, with or without memory)."""
    kind = (pcie_device.cxl_device_type or "").lower()
    return "GENERIC" if kind in ("type1", "type2") else None


def adapter_type(adapter):
    """DPU when a network adapter's model or name says BlueField/DPU."""
    words = f" {adapter.model or ''} {adapter.name or ''} ".upper()
    return "DPU" if any(w in words for w in _DPU_WORDS) else None


def vendor_word(vendor_id, manufacturer=None):
    """The contract's short vendor word from the PCI vendor id, else the Manufacturer."""
    if vendor_id:
        return naming.vendor_word(vendor_id)
    text = (manufacturer or "").upper()
    for needle, word in _MANUFACTURER_WORDS:
        if needle in text:
            return word
    if not text:
        return None
    try:
        return naming.normalize(text.split()[0])
    except NamingError:
        return None
