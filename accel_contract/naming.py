"""Traits and resource classes: the one place names for Placement are made.

Every part (IPA collector, Ironic hook, accel_api, Placement reporting) asks this
module, so a device inspected by Ironic carries the same traits that Nova
schedules on. Cyborg's names are kept where Cyborg defined one
(``CUSTOM_FPGA_INTEL``, ``CUSTOM_FPGA_INTEL_PAC_ARRIA10``,
``CUSTOM_FPGA_REGION_INTEL_<id>``, ``CUSTOM_FPGA_FUNCTION_ID_INTEL_<id>``,
``CUSTOM_FPGA_XILINX``, ``CUSTOM_FPGA_PRODUCT_ID_<id>``, ``CUSTOM_GPU_NVIDIA``,
``CUSTOM_GPU_PRODUCT_ID_<id>``, resource class ``CUSTOM_QAT``) so existing
flavors and device profiles keep working; ours are added beside them.
"""

import hashlib
import re
import unicodedata

from accel_contract.errors import NamingError

MAX_NAME = 255
CUSTOM_RE = re.compile(r"^CUSTOM_[A-Z0-9_]+$")
_NOT_WORD = re.compile(r"[^A-Z0-9]+")

try:  # os-traits / os-resource-classes are small, but not in every ramdisk.
    import os_traits as _os_traits
except ImportError:  # pragma: no cover - exercised only in minimal ramdisks
    _os_traits = None
try:
    import os_resource_classes as _os_rc
except ImportError:  # pragma: no cover
    _os_rc = None

#: Standard resource classes we emit; checked against os-resource-classes where present.
STANDARD_RESOURCE_CLASSES = frozenset({"FPGA", "PGPU", "VGPU", "PCI_DEVICE", "SRIOV_NET_VF"})

#: Short vendor words by PCI vendor id (lower-case ``0x%04x``).
VENDOR_WORDS = {
    "0x8086": "INTEL",
    "0x10ee": "XILINX",
    "0x10de": "NVIDIA",
    "0x1002": "AMD",
    "0x15b3": "NVIDIA",
    "0x19e5": "HUAWEI",
    "0x1da3": "HABANA",
    "0x1c2c": "SILICOM",
}

#: Resource class per device type and deployable kind; ``None`` = not offered.
_RESOURCE_CLASSES = {
    "FPGA": {"*": "FPGA"},
    # GPU partitions (kinds mdev, mig) are named by ``partition_resource_class``.
    "GPU": {"gpu": "PGPU", "pf": "PGPU", "accelerator": "PGPU", "vf": "VGPU"},
    "CRYPTO": {"*": "CUSTOM_QAT"},
    "FEC": {"*": "CUSTOM_FEC"},
    "NPU": {"*": "CUSTOM_NPU"},
    "SMARTNIC": {"*": "CUSTOM_SMARTNIC"},
    "DPU": {"*": "CUSTOM_DPU"},
    "GENERIC": {"*": "CUSTOM_ACCELERATOR"},
    "NIC": {},
    "FABRIC": {},
}
#: Trait words of each device type (``CUSTOM_<WORD>_<VENDOR>...``).
_TYPE_WORDS = {
    "FPGA": "FPGA",
    "GPU": "GPU",
    "CRYPTO": "CRYPTO",
    "FEC": "FEC",
    "NPU": "NPU",
    "SMARTNIC": "SMARTNIC",
    "DPU": "DPU",
    "GENERIC": "ACCEL",
    "NIC": "NIC",
    "FABRIC": "FABRIC",
}
#: Cyborg's Intel FPGA product words (cyborg/accelerator/drivers/fpga/intel).
_CYBORG_INTEL_FPGA_PRODUCTS = {"0x09c4": "PAC_ARRIA10"}
#: QAT services (``qat/cfg_services``) to traits.
_QAT_SERVICES = {
    "sym": "CUSTOM_QAT_SYM",
    "asym": "CUSTOM_QAT_ASYM",
    "dc": "CUSTOM_QAT_DC",
    "cy": "CUSTOM_QAT_CY",
    "dcc": "CUSTOM_QAT_DCC",
    "decomp": "CUSTOM_QAT_DECOMP",
}


def normalize(text):
    """Upper-case ASCII words joined by ``_``: ``"f3c9-94..."`` -> ``"F3C9_94..."``.

    Accents are folded (``"é"`` -> ``"E"``); anything else outside ``[A-Z0-9]``
    separates words. Raises NamingError when nothing usable is left.
    """
    if text is None:
        raise NamingError("cannot make a name from nothing")
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    word = _NOT_WORD.sub("_", folded.upper()).strip("_")
    if not word:
        raise NamingError(f"no letters or digits in {str(text)[:80]!r} to make a name from")
    return word


def custom(*parts):
    """``CUSTOM_`` + the normalised parts; over-long names keep a hash of the whole.

    Two ids that differ only past the cut still get different names.
    """
    body = "_".join(normalize(p) for p in parts)
    name = f"CUSTOM_{body}"
    if len(name) > MAX_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()[:12].upper()
        name = f"{name[: MAX_NAME - len(digest) - 1].rstrip('_')}_{digest}"
    return name


_NOT_TRAIT_CHAR = re.compile(r"[^A-Z0-9_]")


def physnet_trait(physical_network):
    """``CUSTOM_PHYSNET_<NAME>``: the trait Neutron gives providers wired to a physical
    network (neutron-lib's ``physnet_trait``: upper case, other characters ``_``)."""
    return "CUSTOM_PHYSNET_" + _NOT_TRAIT_CHAR.sub("_", str(physical_network).upper())


def is_valid_trait(name):
    """True for a Placement-valid trait: os-traits standard or ``^CUSTOM_[A-Z0-9_]+$``."""
    if not isinstance(name, str) or not name or len(name) > MAX_NAME:
        return False
    if CUSTOM_RE.match(name):
        return True
    return (
        _os_traits is not None and _os_traits.is_custom(name) is False and _is_standard_trait(name)
    )


def _is_standard_trait(name):
    try:
        return name in _standard_traits()
    except Exception:  # pragma: no cover - os_traits API drift
        return False


_STANDARD_TRAITS = None


def _standard_traits():
    global _STANDARD_TRAITS
    if _STANDARD_TRAITS is None:
        _STANDARD_TRAITS = frozenset(_os_traits.get_traits())
    return _STANDARD_TRAITS


def is_valid_resource_class(name):
    """True for a standard resource class or ``^CUSTOM_[A-Z0-9_]+$`` within 255 chars."""
    if not isinstance(name, str) or not name or len(name) > MAX_NAME:
        return False
    if CUSTOM_RE.match(name):
        return True
    if _os_rc is not None:
        return name in _os_rc.STANDARDS
    return name in STANDARD_RESOURCE_CLASSES


def vendor_word(vendor_id, fallback=None):
    """Short vendor word for traits: ``"0x8086"`` -> ``"INTEL"``; unknown -> ``V<id>``."""
    vid = str(vendor_id).lower()
    if vid in VENDOR_WORDS:
        return VENDOR_WORDS[vid]
    if fallback:
        return normalize(fallback)
    return "V" + normalize(vid.removeprefix("0x"))


def resource_class(device_type, kind):
    """Resource class for a deployable of ``kind`` on a device of ``device_type``, or None."""
    table = _RESOURCE_CLASSES.get(device_type, _RESOURCE_CLASSES["GENERIC"])
    return table.get(kind, table.get("*"))


def _hex(value):
    return normalize(str(value).lower().removeprefix("0x"))


def device_traits(device_type, vendor_id, device_id, model=None, catalogued=True):
    """Traits describing what a device is (vendor, product), Cyborg's names first.

    ``model`` is the catalogue's short model word (``N3000``, ``H100``, ``U250``);
    devices found only by their PCI class get vendor/product-id traits instead.
    """
    vendor = vendor_word(vendor_id)
    did = str(device_id).lower()
    word = _TYPE_WORDS.get(device_type, "ACCEL")
    traits = [custom(word, vendor)]
    if device_type == "FPGA" and vendor == "INTEL" and did in _CYBORG_INTEL_FPGA_PRODUCTS:
        traits.append(custom("FPGA_INTEL", _CYBORG_INTEL_FPGA_PRODUCTS[did]))
    if (device_type == "FPGA" and vendor == "XILINX") or (device_type == "GPU"):
        traits.append(custom(word, "PRODUCT_ID", _hex(did)))
    if catalogued and model:
        traits.append(custom(word, vendor, model))
    elif not catalogued:
        traits.append(custom("ACCEL_PRODUCT", _hex(vendor_id), _hex(did)))
    if device_type == "CRYPTO" and vendor == "INTEL":
        traits.append("CUSTOM_QAT")
    return _unique(traits)


def vendor_type_traits(device_type, vendor):
    """The type-and-vendor trait (``CUSTOM_GPU_NVIDIA``) of a device whose PCI ids are
    unknown (a BMC that names only the manufacturer); ``vendor`` is a vendor word."""
    return [custom(_TYPE_WORDS.get(device_type, "ACCEL"), vendor)] if vendor else []


def region_traits(vendor_id, interface_id):
    """Traits of an FPGA region that accepts bitstreams built for ``interface_id``."""
    iface = _hex(str(interface_id).replace("-", ""))
    traits = [custom("FPGA_REGION", iface)]
    if vendor_word(vendor_id) == "INTEL":
        traits.append(custom("FPGA_REGION_INTEL", iface))
    return _unique(traits)


def function_traits(vendor_id, function_id):
    """Traits of the function (AFU / xclbin) currently loaded in a region."""
    fid = _hex(str(function_id).replace("-", ""))
    traits = [custom("FPGA_FUNCTION", fid)]
    if vendor_word(vendor_id) == "INTEL":
        traits.append(custom("FPGA_FUNCTION_ID_INTEL", fid))
    return _unique(traits)


def is_function_trait(trait):
    """True for traits that follow the loaded function (removed when it changes)."""
    return trait.startswith(("CUSTOM_FPGA_FUNCTION_", "CUSTOM_FPGA_FUNCTION_ID_INTEL_"))


def qat_service_traits(cfg_services):
    """``"sym;asym"`` -> ``[CUSTOM_QAT_SYM, CUSTOM_QAT_ASYM]``; unknown services get their own.

    A service word with no ASCII letter or digit cannot be named and is skipped.
    """
    traits = []
    for service in str(cfg_services or "").replace(",", ";").split(";"):
        service = service.strip().lower()
        if not service:
            continue
        try:
            traits.append(_QAT_SERVICES.get(service) or custom("QAT", service))
        except NamingError:
            continue
    return _unique(traits)


def mig_traits(profile):
    """Trait of a MIG instance profile, e.g. ``1g.10gb`` -> ``CUSTOM_GPU_MIG_1G_10GB``."""
    return [custom("GPU_MIG", profile)]


# -- GPU partitions ------------------------------------------------------------------------
#
# Three forms ship (docs/gpu-partitioning.rst): ``mdev`` (a mediated device created on a
# parent function: NVIDIA's legacy vGPU types, Intel GVT-g), ``vgpu_vf`` (NVIDIA's vendor
# VFIO framework: a VF holds one vGPU, chosen by ``nvidia/current_vgpu_type``) and ``mig``
# (a MIG GPU instance with its compute instance: no PCI function, no mdev).

PARTITION_FORMS = ("mdev", "vgpu_vf", "mig")
#: Forms a VM attaches as a device (a PCI VF, or an mdev): their resource class is VGPU.
VM_ATTACHABLE_FORMS = frozenset({"mdev", "vgpu_vf"})
#: Trait prefixes that only partitions Nova's libvirt driver cannot attach carry (a device
#: profile requiring one asks Nova for an MDEV or MIG handle it would ignore).
NOVA_UNUSABLE_TRAIT_PREFIXES = ("CUSTOM_MDEV_", "CUSTOM_GPU_MIG_")
_CYBORG_VGPU_TRAIT = re.compile(r"^CUSTOM_NVIDIA_[0-9A-F]{4}_[A-Z0-9_]+$")


def partition_resource_class(form, profile=None):
    """THE naming rule of GPU partitions' resource classes.

    A partition a VM attaches as a device (an mdev, or a VF of NVIDIA's vendor VFIO
    framework) is ``VGPU``: the standard class Nova's own vGPU reporting and Cyborg use;
    its type is in the traits. A partition with no such device form is
    ``CUSTOM_<FORM>_<PROFILE>`` (``mig`` + ``1g.10gb`` -> ``CUSTOM_MIG_1G_10GB``): instances
    of different profiles are not interchangeable, so the profile is the resource.
    """
    if form in VM_ATTACHABLE_FORMS:
        return "VGPU"
    if form == "mig":
        if not profile:
            raise NamingError("a MIG resource class needs the GPU-instance profile")
        return custom("MIG", profile)
    raise NamingError(f"unknown partition form {form!r}; known: {', '.join(PARTITION_FORMS)}")


def vgpu_type_name(name):
    """The profile part of a vGPU type's name: the last space-separated token.

    ``"NVIDIA A16-4C"`` -> ``"A16-4C"``, ``"GRID P40-4C"`` -> ``"P40-4C"``, ``"GVTg_V5_4"``
    unchanged (hwfacts: NVIDIA prefixes ``GRID``/``NVIDIA`` and board words).
    """
    words = str(name or "").split()
    if not words:
        raise NamingError("a vGPU type without a name")
    return words[-1]


def vgpu_type_traits(form, vendor_id, device_id, name, type_id=None):
    """Traits naming a vGPU type on the deployable that offers it.

    ``mdev``: Cyborg's ``CUSTOM_NVIDIA_<PRODUCT ID>_<TYPE>`` for NVIDIA (its mdev vGPU
    trait, so Cyborg's device profiles keep matching), ``CUSTOM_MDEV_<TYPE>`` and
    ``CUSTOM_MDEV_<TYPE ID>`` (``nvidia-721``, ``i915-GVTg_V5_4``). ``vgpu_vf``:
    ``CUSTOM_VGPU_<TYPE>`` (Cyborg has no name for the VF framework).
    """
    profile = vgpu_type_name(name)
    if form == "vgpu_vf":
        return [custom("VGPU", profile)]
    if form != "mdev":
        raise NamingError(f"{form!r} partitions are not vGPU types")
    traits = []
    if vendor_word(vendor_id) == "NVIDIA":
        traits.append(custom("NVIDIA", _hex(device_id), profile))
    traits.append(custom("MDEV", profile))
    if type_id:
        traits.append(custom("MDEV", type_id))
    return _unique(traits)


def partition_capability_traits(forms, mig_current=None):
    """Device traits of what partitioning a GPU offers now, and MIG's state:
    ``CUSTOM_GPU_PARTITION_MDEV``/``_VGPU_VF``/``_MIG``, ``CUSTOM_GPU_MIG_ENABLED``."""
    traits = [custom("GPU_PARTITION", form) for form in PARTITION_FORMS if form in forms]
    if mig_current == "Enabled":
        traits.append("CUSTOM_GPU_MIG_ENABLED")
    return traits


def nova_unusable_trait(trait):
    """True for a trait only MDEV or MIG partitions carry (Nova cannot attach those)."""
    return trait.startswith(NOVA_UNUSABLE_TRAIT_PREFIXES) or bool(_CYBORG_VGPU_TRAIT.match(trait))


def is_partition_resource_class(name):
    """True for a class only non-device partitions are offered as (``CUSTOM_MIG_*``)."""
    return str(name).startswith("CUSTOM_MIG_")


def _unique(names):
    seen = []
    for name in names:
        if name not in seen:
            seen.append(name)
    return seen
