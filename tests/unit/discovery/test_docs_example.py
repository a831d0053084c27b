"""docs/inventory.rst's full example validates and is still what discovery produces."""

import json
import os
import re

from accel_contract import inventory as contract
from tests.tools_helpers import load_tool
from tests.unit import base

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def _doc_example():
    with open(os.path.join(TOP, "docs", "inventory.rst"), encoding="utf-8") as f:
        text = f.read()
    block = re.search(r"\.\. example-begin\n\n\.\. code-block:: json\n\n(.*?)\n\n\.\. example-end",
                      text, re.S)
    if not block:
        raise AssertionError("example block missing from docs/inventory.rst")
    return json.loads(block.group(1))


class TestDocsExample(base.TestCase):
    def test_doc_example_validates(self):
        doc = _doc_example()
        self.assertIs(contract.validate(doc), doc)
        self.assertEqual([d["type"] for d in doc["devices"]], ["FPGA", "CRYPTO"])

    def test_doc_example_is_current(self):
        self.assertEqual(
            _doc_example(),
            load_tool("gen-inventory-example").example_document(),
            "docs/inventory.rst is stale: run tools/gen-inventory-example")
