"""IPA inspection collector ``accelerators``: the inventory document into plugin data.

Enable in the ramdisk with ``ipa-inspection-collectors=default,accelerators``;
Ironic's ``accelerators_ext`` hook reads ``plugin_data['accelerators_inventory']``.
"""

import logging

from ipa_fpga import conf
from ipa_fpga.discovery import discover

LOG = logging.getLogger(__name__)
#: The plugin-data key (Ironic's ``[accel_inspection] plugin_data_key`` default).
PLUGIN_DATA_KEY = "accelerators_inventory"


def collect_accelerators(data, failures):
    """IPA collector signature: fill ``data``; record problems in ``failures``."""
    root = conf.options().sysfs_root
    try:
        doc = discover(root=root)
    except Exception as exc:  # a collector must not abort inspection: report instead
        LOG.exception("accelerator discovery failed under %s", root)
        failures.add("accelerator discovery failed under %s: %s", root, exc)
        return
    data[PLUGIN_DATA_KEY] = doc
    LOG.info("accelerator inventory: %d device(s), %d warning(s)",
             len(doc["devices"]), len(doc.get("warnings", [])))
