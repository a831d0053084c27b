"""``Arq.from_row`` reads ``ARQ_VIEW`` rows by position: their orders must agree."""

import dataclasses

from accel_api.claims import records, statements


def test_arq_view_columns_are_the_arq_fields_in_order():
    columns = [c.name for c in statements.ARQ_VIEW.selected_columns]
    assert columns == [f.name for f in dataclasses.fields(records.Arq)]


def test_group_helpers():
    group = {"resources:FPGA": "2", "resources:CUSTOM_X": "1", "trait:CUSTOM_A": "required",
             "accel:bitstream_id": "b0c1"}
    assert records.group_units(group) == 3
    assert records.group_resource_classes(group) == ["FPGA", "CUSTOM_X"]
    assert records.group_accel(group) == {"accel:bitstream_id": "b0c1"}
    assert records.handle_info("PCI", "0000:3b:00.1") == {
        "domain": "0000", "bus": "3b", "device": "00", "function": "1"}
    assert records.handle_info(None, None) == {}
