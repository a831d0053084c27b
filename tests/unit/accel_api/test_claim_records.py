"""``Arq.from_row`` reads ``ARQ_VIEW`` rows by position: their orders must agree."""

import dataclasses

from accel_api.claims import records, statements
from tests.unit import base


class TestClaimRecords(base.TestCase):
    def test_arq_view_columns_are_the_arq_fields_in_order(self):
        columns = [c.name for c in statements.ARQ_VIEW.selected_columns]
        self.assertEqual(columns, [f.name for f in dataclasses.fields(records.Arq)])

    def test_group_helpers(self):
        group = {"resources:FPGA": "2", "resources:CUSTOM_X": "1", "trait:CUSTOM_A": "required",
                 "accel:bitstream_id": "b0c1"}
        self.assertEqual(records.group_units(group), 3)
        self.assertEqual(records.group_resource_classes(group), ["FPGA", "CUSTOM_X"])
        self.assertEqual(records.group_accel(group), {"accel:bitstream_id": "b0c1"})
        self.assertEqual(records.handle_info("PCI", "0000:3b:00.1"), {
            "domain": "0000", "bus": "3b", "device": "00", "function": "1"})
        self.assertEqual(records.handle_info(None, None), {})
