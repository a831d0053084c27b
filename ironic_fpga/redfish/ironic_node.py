"""A sushy root for an Ironic node's BMC, from its ``driver_info`` (as Ironic's own
Redfish interfaces read it), with this package's transport retries."""

from ironic.drivers.modules.redfish import utils as redfish_utils

from ironic_fpga.conf import CONF
from ironic_fpga.redfish import client


def connect(node):
    """(sushy root, parsed driver_info); the typed errors of ``client.connect``, and
    Ironic's InvalidParameterValue/MissingParameterValue for bad driver_info."""
    info = redfish_utils.parse_driver_info(node)
    root = client.connect(info["address"], info.get("username"), info.get("password"),
                          verify=info.get("verify_ca", True),
                          retries=CONF.accel_redfish.transport_retries)
    return root, info
