"""The scripts of ``tools/`` (no ``.py`` suffix) imported as modules, for the tests that
check or run what they do."""

import importlib.machinery
import importlib.util
import os

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_tool(name):
    """``tools/<name>`` as a module (``gen-inventory-example``, ``ramdisk-footprint``...)."""
    path = os.path.join(TOP, "tools", name)
    loader = importlib.machinery.SourceFileLoader(name.replace("-", "_"), path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module
