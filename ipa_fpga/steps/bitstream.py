"""``program_fpga_bitstream``: load a function into an FPGA region (deploy templates).

Before any byte is fetched, each target must be programmable in-band from here
(``_check_programmable``). Intel DFL cards: GBS checked against the region (interface
id == ``compat_id``), then partial reconfiguration and the port's ``afu_id`` verified.
Xilinx cards: ``xbutil program`` when XRT is installed.
"""

import logging
import os

from ipa_fpga import conf, images, selectors
from ipa_fpga.discovery import discover
from ipa_fpga.drivers import intel_dfl
from ipa_fpga.errors import InvalidArgs, NotSupported
from ipa_fpga.program import dfl_pr, gbs, xrt

LOG = logging.getLogger(__name__)


def _region(device, region):
    regions = [d for d in device["deployables"] if d["kind"] == "region"]
    if region in (None, "", 0, "0"):
        if not regions:
            raise NotSupported(device["id"], "has no programmable region")
        return regions[0]
    for dep in regions:
        if dep["id"] == region or dep["id"].endswith(f"/{region}") or dep["name"] == region:
            return dep
    raise InvalidArgs(device["id"], f"no region {region!r} (has: "
                                    f"{', '.join(d['id'] for d in regions) or 'none'})")


def _check_programmable(root, device, dep):
    """The device has what programming needs (else NotSupported, nothing fetched): the
    region offered as programmable; Intel DFL: dfl-pci bound, FME and its /dev node, PR
    region, port (the DFL paths are returned); Xilinx: a bound user PF and xbutil."""
    if dep.get("programmable") is False:
        reason = (dep.get("attributes") or {}).get("programming_unavailable")
        raise NotSupported(dep["id"], "is not programmable in-band" + (f": {reason}"
                                                                      if reason else ""))
    if device["driver"] == "intel_dfl":
        pf = next(f for f in device["functions"] if f["address"] == device["id"])
        reason = intel_dfl.pr_path(root, device["id"], pf.get("kernel_driver"))
        if reason:
            raise NotSupported(device["id"], reason)
        return _dfl_paths(root, device)
    if device["driver"] == "xilinx_xrt":
        if xrt.user_pf(device) is None:
            raise NotSupported(device["id"], "no user PF bound to xocl: nothing to load an "
                                             "xclbin through")
        xrt.tool("xbutil", device["id"])
        return None
    raise NotSupported(device["id"], f"no in-band programming for {device['driver']}")


def _dfl_paths(root, device):
    address = device["id"]
    fme = intel_dfl.fme_dir(root, address)
    ports = intel_dfl.port_dirs(root, address)
    pr = intel_dfl.pr_region_dir(fme) if fme else None
    if not fme or not ports or not pr:
        raise NotSupported(address, "no DFL FME, port or PR region (is dfl-pci bound?)")
    node = intel_dfl.dev_node(root, "fme", fme.rsplit(".", 1)[-1])
    return node, ports[0], os.path.join(pr, "compat_id")


def program(root, url, checksum, checksum_type=None, region=None, **selector):
    if not url or not checksum:
        raise InvalidArgs("program_fpga_bitstream", "'url' and 'checksum' are required")
    devices = selectors.select(discover(root=root), selector)
    fpgas = [d for d in devices if d["type"] == "FPGA"]
    if not fpgas:
        raise NotSupported(selectors.describe(selectors.parse(selector)), "is not an FPGA")
    targets = [(d, _region(d, region)) for d in fpgas]
    # Before any byte is fetched: every region is reconfigurable in-band from here.
    paths = {device["id"]: _check_programmable(root, device, dep) for device, dep in targets}
    results = []
    with images.fetch(url, checksum, checksum_type,
                      device=", ".join(d["id"] for d, _ in targets)) as image:
        for device, dep in targets:
            if device["driver"] == "intel_dfl":
                node, port, compat = paths[device["id"]]
                gbs.parse(image.path, device["id"])
                afu = dfl_pr.program(root, node, port, compat, image.path, device["id"],
                                     timeout=conf.options().pr_timeout)
            else:
                xrt.program_xclbin(device, image.path)
                afu = None
            results.append({"device": device["id"], "region": dep["id"], "function_id": afu})
    return results
