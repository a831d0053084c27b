
from accel_contract import catalogue, naming
from accel_contract.errors import NamingError
from tests.unit import base


def naming_ok(text):
    try:
        naming.normalize(text)
        return True
    except NamingError:
        return False


EVERY_CATALOGUED_DEVICE_GETS_VALID_NAMES_CASES = catalogue.entries()


HOSTILE_INPUTS_BECOME_VALID_NAMES_CASES = [
        "f3c9-9413-5081",
        "lower case id",
        "ünïcödé ñame",
        "名前-α-β",
        "x" * 10_000,
        "--__--a--__--",
        "\x00\x01abc\n",
        "0x2300011001030F",
    ]


TRAIT_VALIDITY_CASES = [
        ("CUSTOM_FPGA_INTEL", True),
        ("HW_CPU_X86_AVX2", True),
        ("custom_fpga", False),
        ("CUSTOM_FPGA-INTEL", False),
        ("CUSTOM_", False),
        ("CUSTOM_" + "A" * 249, False),
        ("", False),
        (None, False),
        ("NOT_A_STANDARD_TRAIT_XYZ", False),
    ]


class TestNaming(base.TestCase):
    def test_every_catalogued_device_gets_valid_names(self):
        for entry in EVERY_CATALOGUED_DEVICE_GETS_VALID_NAMES_CASES:
            with self.subTest(entry=entry):
                traits = naming.device_traits(entry.type, entry.vendor_id, entry.device_id,
                                              entry.model)
                self.assertTrue(traits, entry)
                for trait in traits:
                    self.assertTrue(naming.is_valid_trait(trait), trait)
                for kind in ("fpga", "region", "pf", "vf", "gpu", "mig", "accelerator"):
                    rc = naming.resource_class(entry.type, kind)
                    self.assertTrue(
                        rc is None or naming.is_valid_resource_class(rc), (entry, kind, rc))

    def test_cyborg_names_are_kept(self):
        self.assertEqual(naming.device_traits("FPGA", "0x8086", "0x09c4", "PAC_ARRIA10"), [
            "CUSTOM_FPGA_INTEL",
            "CUSTOM_FPGA_INTEL_PAC_ARRIA10",
        ])
        self.assertIn(
            "CUSTOM_FPGA_PRODUCT_ID_5004", naming.device_traits("FPGA", "0x10ee", "0x5004", "U250"))
        gpu = naming.device_traits("GPU", "0x10de", "0x2330", "H100")
        self.assertEqual(
            gpu, ["CUSTOM_GPU_NVIDIA", "CUSTOM_GPU_PRODUCT_ID_2330", "CUSTOM_GPU_NVIDIA_H100"])
        self.assertEqual(naming.region_traits("0x8086", "f3c99413-5081-4aad-bced-07eb84a6d0bb"), [
            "CUSTOM_FPGA_REGION_F3C9941350814AADBCED07EB84A6D0BB",
            "CUSTOM_FPGA_REGION_INTEL_F3C9941350814AADBCED07EB84A6D0BB",
        ])
        self.assertEqual(naming.function_traits("0x8086", "d8424dc4a4a3c413f89e433683f9040b")[1],
            "CUSTOM_FPGA_FUNCTION_ID_INTEL_D8424DC4A4A3C413F89E433683F9040B")
        self.assertEqual(naming.resource_class("CRYPTO", "vf"), "CUSTOM_QAT")
        self.assertEqual(naming.resource_class("GPU", "gpu"), "PGPU")
        self.assertIsNone(naming.resource_class("GPU", "mig"))  # partition_resource_class names it
        self.assertEqual(naming.resource_class("FPGA", "region"), "FPGA")
        self.assertIsNone(naming.resource_class("NIC", "vf"))

    def test_hostile_inputs_become_valid_names(self):
        for hostile in HOSTILE_INPUTS_BECOME_VALID_NAMES_CASES:
            with self.subTest(hostile=hostile):
                for name in (
                    naming.custom("FPGA_FUNCTION", hostile) if naming_ok(hostile) else None,
                    *(naming.region_traits("0x8086", hostile) if naming_ok(hostile) else []),
                    *naming.qat_service_traits(hostile),
                    *naming.mig_traits(hostile if naming_ok(hostile) else "x"),
                ):
                    if name is None:
                        continue
                    self.assertTrue(naming.is_valid_trait(name), name)
                    self.assertLessEqual(len(name), 255)

    def test_nothing_usable_is_a_clear_error(self):
        with self.assertRaisesRegex(NamingError, "no letters or digits"):
            naming.custom("FPGA", "名前-α")  # only non-ASCII letters: nothing survives folding
        with self.assertRaises(NamingError):
            naming.normalize(None)

    def test_long_ids_stay_distinct_after_truncation(self):
        a = naming.custom("FPGA_FUNCTION", "a" * 300 + "1")
        b = naming.custom("FPGA_FUNCTION", "a" * 300 + "2")
        self.assertNotEqual(a, b)
        self.assertTrue(len(a) == len(b) == 255)
        self.assertTrue(naming.is_valid_trait(a))
        self.assertTrue(naming.is_valid_trait(b))

    def test_trait_validity(self):
        for name, ok in TRAIT_VALIDITY_CASES:
            with self.subTest(name=name, ok=ok):
                self.assertIs(naming.is_valid_trait(name), ok)

    def test_resource_class_validity(self):
        self.assertTrue(naming.is_valid_resource_class("FPGA"))
        self.assertTrue(naming.is_valid_resource_class("CUSTOM_QAT"))
        self.assertFalse(naming.is_valid_resource_class("custom_qat"))
        self.assertFalse(naming.is_valid_resource_class("MADE_UP_STANDARD"))
