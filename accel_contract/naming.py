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
    "GPU": {"gpu": "PGPU", "pf": "PGPU", "accelerator": "PGPU", "vf": "VGPU", "mig": "VGPU"},
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


def _unique(names):
    seen = []
    for name in names:
        if name not in seen:
            seen.append(name)
    return seen
