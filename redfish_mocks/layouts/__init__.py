"""Vendor layouts: a host laid out as one vendor's BMC lays it out (one BMC per service).

``get(name)`` is the layout a profile names (``profiles.Profile.layout``); "standard"
is not here: it is ``redfish_mocks.tree``, many servers in one service.
"""

from __future__ import annotations

from redfish_mocks.layouts.bluefield import BluefieldLayout
from redfish_mocks.layouts.cxl import CxlLayout
from redfish_mocks.layouts.dmtf import DmtfLayout
from redfish_mocks.layouts.hgx import HgxLayout
from redfish_mocks.layouts.idrac import IdracLayout
from redfish_mocks.layouts.ilo import IloLayout

LAYOUTS = {cls.name: cls() for cls in (HgxLayout, BluefieldLayout, IdracLayout, IloLayout,
                                        CxlLayout, DmtfLayout)}


def get(name):
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(f"unknown layout {name!r}; known: {', '.join(sorted(LAYOUTS))}") \
            from None
