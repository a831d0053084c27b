"""OpenStackClient plugin module (entry point ``openstack.cli.extension``).

Its commands sit beside OSC's own ``accelerator`` commands (device profiles, ARQs,
deployables, devices: Cyborg's API, which accel-api serves too) and add what only
accel-api has: bitstreams, programming jobs, one-call claims, host inventories. The
session is OSC's (clouds.yaml, ``OS_CLOUD``, ``OS_*``; keystone, ``http_basic``, or
``none`` with ``--os-endpoint``): no credentials on the command line needed.
"""

import logging

from osc_lib import utils

LOG = logging.getLogger(__name__)

API_NAME = "accelerator_lifecycle"
DEFAULT_API_VERSION = "2"
API_VERSION_OPTION = "os_accelerator_lifecycle_api_version"
API_VERSIONS = {"2": "accel_client.http.AccelApiClient"}


def make_client(instance):
    """The accel-api client for OSC's session (called once per command, lazily)."""
    from accel_client.http import SERVICE_TYPE, AccelApiClient

    override = None
    cloud = getattr(instance, "_cli_options", None)
    if cloud is not None:
        try:
            override = cloud.get_endpoint(SERVICE_TYPE)
        except Exception:  # a cloud region without that service: the catalog decides
            override = None
    return AccelApiClient(instance.session, interface=instance.interface,
                          region_name=instance.region_name, endpoint_override=override)


def build_option_parser(parser):
    parser.add_argument(
        "--os-accelerator-lifecycle-api-version", metavar="<version>",
        default=utils.env("OS_ACCELERATOR_LIFECYCLE_API_VERSION"),
        help="accel-api's bitstream/programming/claim/host API version, default "
             f"{DEFAULT_API_VERSION} (Env: OS_ACCELERATOR_LIFECYCLE_API_VERSION)")
    return parser
