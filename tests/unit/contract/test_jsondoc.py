"""accel_contract.jsondoc: JSON from outside, parsed with limits and checked for what no
database stores; accel_contract.limits: size limits refused without walking the excess."""

import json

from accel_contract import inventory, jsondoc, limits
from accel_contract.errors import InventoryError
from tests.accel_api_helpers import inventory as make_inventory
from tests.unit import base


class LoadsTest(base.TestCase):
    def assertRefused(self, raw, *words):
        with self.assertRaises(jsondoc.DocumentError) as caught:
            jsondoc.loads(raw)
        for word in words:
            self.assertIn(word, str(caught.exception))

    def test_nesting_far_past_the_parsers_recursion_limit_is_a_reason(self):
        self.assertRefused(b"[" * 10000 + b"]" * 10000, "deeper than 32")
        self.assertRefused(b'{"a":' * 10000 + b"1" + b"}" * 10000, "deeper than 32")
        self.assertRefused(b"[" * 40 + b"]" * 40, "deeper than 32")
        deep = jsondoc.loads(b"[" * 32 + b"]" * 32)  # 32 levels: the deepest accepted
        for _ in range(31):
            (deep,) = deep
        self.assertEqual(deep, [])

    def test_what_no_database_stores_is_refused_with_where(self):
        self.assertRefused(b'{"a": ["x", "\\ud800"]}', "$.a[1]", "surrogate")
        self.assertRefused(b'{"a": "b\\u0000"}', "$.a", "NUL")
        self.assertRefused(b'{"\\udfff": 1}', "key", "surrogate")
        self.assertRefused(b'"\xed\xa0\x80"', "not UTF-8")  # an encoded surrogate
        self.assertRefused(b"\xff", "not UTF-8")
        # A surrogate pair is a real character and stays.
        self.assertEqual(jsondoc.loads(b'["\\ud83d\\ude00"]'), ["\U0001F600"])

    def test_numbers_no_column_holds(self):
        self.assertRefused(b"[1" + b"0" * 5000 + b"]", "5001 digits")
        self.assertRefused(b"[NaN]", "NaN")
        self.assertRefused(b"[-Infinity]", "Infinity")
        self.assertRefused(b"[1e999]", "too large")
        self.assertEqual(jsondoc.loads(b"[12345678901234567890, -1.5]"),
                         [12345678901234567890, -1.5])

    def test_duplicate_keys_are_refused(self):
        self.assertRefused(b'{"name": "a", "name": "b"}', "'name' appears twice")
        self.assertRefused(b'[{"x": {"k": 1, "k": 1}}]', "appears twice")

    def test_not_json(self):
        self.assertRefused(b"{not json", "not valid JSON")

    def test_check_of_a_parsed_document(self):
        doc = {"a": [1, "x", {"b": None}]}
        self.assertIs(jsondoc.check(doc), doc)
        with self.assertRaises(jsondoc.DocumentError) as caught:
            jsondoc.check({"devices": [{"model": "a\x00"}]}, "inventory")
        self.assertEqual(caught.exception.path, "$.devices[0].model")
        with self.assertRaises(jsondoc.DocumentError):
            jsondoc.check({"x": float("nan")})

    def test_unstorable(self):
        self.assertIsNone(jsondoc.unstorable("naïve ☃ \U0001F600 \n\t"))
        self.assertIn("NUL", jsondoc.unstorable("a\x00"))
        self.assertIn("U+DC80", jsondoc.unstorable("a\udc80"))


def _inventory(devices):
    """A valid inventory of ``devices`` one-region cards (PCI domains keep them apart)."""
    doc = make_inventory("big", 1, 1)
    template = json.dumps(doc["devices"][0])
    doc["devices"] = []
    for d in range(devices):
        address = f"{d // 256:04x}:{d % 256:02x}:00.0"
        doc["devices"].append(json.loads(template.replace("0000:3b:00.", address[:-1])))
    return doc


class LimitsTest(base.TestCase):
    def test_an_over_limit_inventory_is_refused_naming_the_limit(self):
        doc = _inventory(10000)
        with self.assertRaises(InventoryError) as caught:  # how fast: bench/hostile.py
            inventory.validate(doc)
        self.assertEqual(caught.exception.problems,
                         ["$.devices: 10000 items, more than the limit of 4096"])

    def test_a_long_string_says_why_after_a_long_value(self):
        doc = _inventory(2)
        doc["devices"][1]["model"] = "x" * 100000
        with self.assertRaises(InventoryError) as caught:
            inventory.validate(doc)
        self.assertIn("$.devices[1].model: a string of 100000 characters, more than the "
                      "limit of 255", str(caught.exception))

    def test_other_violations_keep_their_message_end(self):
        doc = _inventory(2)
        doc["devices"][0]["traits"] = ["CUSTOM_" + "A" * 300]
        with self.assertRaises(InventoryError) as caught:
            inventory.validate(doc)
        self.assertLess(len(str(caught.exception)), 600)
        self.assertIn("$.devices[0].traits[0]", str(caught.exception))

    def test_storable_strings_are_part_of_the_contract(self):
        doc = _inventory(1)
        doc["devices"][0]["vendor"] = "Intel\udc80"
        with self.assertRaises(InventoryError) as caught:
            inventory.validate(doc)
        self.assertIn("$.devices[0].vendor: the string contains a lone UTF-16 surrogate",
                      str(caught.exception))

    def test_loads_uses_the_same_reader(self):
        with self.assertRaises(InventoryError) as caught:
            inventory.loads(b"[" * 5000 + b"]" * 5000)
        self.assertIn("nested deeper", str(caught.exception))
        with self.assertRaises(InventoryError):
            inventory.loads(b'{"schema_version": "1.0", "schema_version": "1.0"}')

    def test_over_limits_walks_only_what_is_within_them(self):
        schema = {"type": "object", "properties": {
            "a": {"type": "array", "maxItems": 2, "items": {"type": "string", "maxLength": 3}},
            "b": {"type": "object", "maxProperties": 1,
                  "additionalProperties": {"type": "string", "maxLength": 1}}}}
        self.assertEqual(limits.over_limits({"a": ["abcd", "ab"], "b": {"x": "yy"}}, schema),
                         ["$.b.x: a string of 2 characters, more than the limit of 1",
                          "$.a[0]: a string of 4 characters, more than the limit of 3"])
        self.assertEqual(limits.over_limits({"a": ["abcd"] * 3}, schema),
                         ["$.a: 3 items, more than the limit of 2"])
        self.assertEqual(limits.over_limits({"b": {"x": "", "y": ""}}, schema),
                         ["$.b: 2 properties, more than the limit of 1"])

    def test_shorten_keeps_both_ends(self):
        message = "[" + "x" * 10000 + "] has more than 4096 items"
        short = limits.shorten(message)
        self.assertLessEqual(len(short), limits.MESSAGE_CHARS)
        self.assertTrue(short.startswith("[xxx") and short.endswith("more than 4096 items"))
