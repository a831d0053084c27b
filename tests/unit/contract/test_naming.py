import pytest

from accel_contract import catalogue, naming
from accel_contract.errors import NamingError


@pytest.mark.parametrize(
    "entry", catalogue.entries(), ids=lambda e: f"{e.vendor_id}:{e.device_id}:{e.model}"
)
def test_every_catalogued_device_gets_valid_names(entry):
    traits = naming.device_traits(entry.type, entry.vendor_id, entry.device_id, entry.model)
    assert traits, entry
    for trait in traits:
        assert naming.is_valid_trait(trait), trait
    for kind in ("fpga", "region", "pf", "vf", "gpu", "mig", "accelerator"):
        rc = naming.resource_class(entry.type, kind)
        assert rc is None or naming.is_valid_resource_class(rc), (entry, kind, rc)


def test_cyborg_names_are_kept():
    assert naming.device_traits("FPGA", "0x8086", "0x09c4", "PAC_ARRIA10") == [
        "CUSTOM_FPGA_INTEL",
        "CUSTOM_FPGA_INTEL_PAC_ARRIA10",
    ]
    assert "CUSTOM_FPGA_PRODUCT_ID_5004" in naming.device_traits("FPGA", "0x10ee", "0x5004", "U250")
    gpu = naming.device_traits("GPU", "0x10de", "0x2330", "H100")
    assert gpu == ["CUSTOM_GPU_NVIDIA", "CUSTOM_GPU_PRODUCT_ID_2330", "CUSTOM_GPU_NVIDIA_H100"]
    assert naming.region_traits("0x8086", "f3c99413-5081-4aad-bced-07eb84a6d0bb") == [
        "CUSTOM_FPGA_REGION_F3C9941350814AADBCED07EB84A6D0BB",
        "CUSTOM_FPGA_REGION_INTEL_F3C9941350814AADBCED07EB84A6D0BB",
    ]
    assert naming.function_traits("0x8086", "d8424dc4a4a3c413f89e433683f9040b")[1] == (
        "CUSTOM_FPGA_FUNCTION_ID_INTEL_D8424DC4A4A3C413F89E433683F9040B"
    )
    assert naming.resource_class("CRYPTO", "vf") == "CUSTOM_QAT"
    assert naming.resource_class("GPU", "gpu") == "PGPU"
    assert naming.resource_class("GPU", "mig") is None  # partition_resource_class names it
    assert naming.resource_class("FPGA", "region") == "FPGA"
    assert naming.resource_class("NIC", "vf") is None


@pytest.mark.parametrize(
    "hostile",
    [
        "f3c9-9413-5081",
        "lower case id",
        "ünïcödé ñame",
        "名前-α-β",
        "x" * 10_000,
        "--__--a--__--",
        "\x00\x01abc\n",
        "0x2300011001030F",
    ],
)
def test_hostile_inputs_become_valid_names(hostile):
    for name in (
        naming.custom("FPGA_FUNCTION", hostile) if naming_ok(hostile) else None,
        *(naming.region_traits("0x8086", hostile) if naming_ok(hostile) else []),
        *naming.qat_service_traits(hostile),
        *naming.mig_traits(hostile if naming_ok(hostile) else "x"),
    ):
        if name is None:
            continue
        assert naming.is_valid_trait(name), name
        assert len(name) <= 255


def naming_ok(text):
    try:
        naming.normalize(text)
        return True
    except NamingError:
        return False


def test_nothing_usable_is_a_clear_error():
    with pytest.raises(NamingError, match="no letters or digits"):
        naming.custom("FPGA", "名前-α")  # only non-ASCII letters: nothing survives folding
    with pytest.raises(NamingError):
        naming.normalize(None)


def test_long_ids_stay_distinct_after_truncation():
    a = naming.custom("FPGA_FUNCTION", "a" * 300 + "1")
    b = naming.custom("FPGA_FUNCTION", "a" * 300 + "2")
    assert a != b and len(a) == len(b) == 255
    assert naming.is_valid_trait(a) and naming.is_valid_trait(b)


@pytest.mark.parametrize(
    "name,ok",
    [
        ("CUSTOM_FPGA_INTEL", True),
        ("HW_CPU_X86_AVX2", True),
        ("custom_fpga", False),
        ("CUSTOM_FPGA-INTEL", False),
        ("CUSTOM_", False),
        ("CUSTOM_" + "A" * 249, False),
        ("", False),
        (None, False),
        ("NOT_A_STANDARD_TRAIT_XYZ", False),
    ],
)
def test_trait_validity(name, ok):
    assert naming.is_valid_trait(name) is ok


def test_resource_class_validity():
    assert naming.is_valid_resource_class("FPGA")
    assert naming.is_valid_resource_class("CUSTOM_QAT")
    assert not naming.is_valid_resource_class("custom_qat")
    assert not naming.is_valid_resource_class("MADE_UP_STANDARD")
