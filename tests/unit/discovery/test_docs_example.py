"""docs/inventory.rst's full example validates and is still what discovery produces."""

import importlib.machinery
import importlib.util
import json
import os
import re

from accel_contract import inventory as contract
from tests.unit import base

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def _doc_example():
    with open(os.path.join(TOP, "docs", "inventory.rst"), encoding="utf-8") as f:
        text = f.read()
    block = re.search(r"\.\. example-begin\n\n\.\. code-block:: json\n\n(.*?)\n\n\.\. example-end",
                      text, re.S)
    assert block, "example block missing from docs/inventory.rst"
    return json.loads(block.group(1))


def _generator():
    path = os.path.join(TOP, "tools", "gen-inventory-example")
    loader = importlib.machinery.SourceFileLoader("gen_inventory_example", path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


class TestDocsExample(base.TestCase):
    def test_doc_example_validates(self):
        doc = _doc_example()
        self.assertIs(contract.validate(doc), doc)
        self.assertEqual([d["type"] for d in doc["devices"]], ["FPGA", "CRYPTO"])

    def test_doc_example_is_current(self):
        self.assertEqual(
            _doc_example(),
            _generator().example_document(),
            "docs/inventory.rst is stale: run tools/gen-inventory-example")
