"""Send an inspected inventory to accel_api: ``PUT /v2/hosts/{hostname}/inventory``.

The host is named after the Ironic node (``node_hostname``), never after the ramdisk's
hostname, which ramdisks share (``localhost``): two nodes stay two hosts.

Authentication comes from keystoneauth options in ``[accel_api]`` (``auth_type =
password``, ``http_basic``, ``none``...), so credentials stay in the config file
and never reach the logs.
"""

import urllib.parse

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from oslo_log import log as logging

from accel_contract import identity
from accel_contract.errors import AccelError
from ironic_fpga.conf import inspection as conf_inspection

LOG = logging.getLogger(__name__)


class PushError(AccelError):
    """The inventory could not be delivered to accel_api."""


def _session(conf):
    group = conf_inspection.API_GROUP
    auth = None
    if getattr(conf[group], "auth_type", None):
        auth = ks_loading.load_auth_from_conf_options(conf, group)
    return ks_loading.load_session_from_conf_options(conf, group, auth=auth)


def node_hostname(conf, node):
    """The host name of an inspected node in accel_api: its name or uuid
    (``[accel_api] host_identity``), checked by the host identity rule."""
    name = node.uuid
    if conf[conf_inspection.API_GROUP].host_identity == "name" and node.name:
        name = node.name
    try:
        return identity.check_hostname(name, f"node {node.uuid}'s name")
    except identity.InvalidHostname as exc:
        raise PushError(f"{exc}; rename the node or set [accel_api] host_identity = uuid") \
            from None


def node_document(doc, hostname):
    """The document as pushed: named after the node, a standalone host (Ironic's, no
    Nova compute node), the ramdisk's own hostname dropped."""
    out = dict(doc)
    host = {k: v for k, v in doc["host"].items() if k != "nodename"}
    host.update(hostname=hostname, nova_compute=False)
    out["host"] = host
    return out


def push_inventory(conf, hostname, inventory):
    """PUT the document; return the HTTP status, or raise PushError saying why."""
    base = conf[conf_inspection.API_GROUP].url
    if not base:
        raise PushError("[accel_api] url is not set")
    url = f"{base.rstrip('/')}/v2/hosts/{urllib.parse.quote(hostname, safe='')}/inventory"
    try:
        resp = _session(conf).put(
            url, json=inventory, raise_exc=False,
            timeout=conf[conf_inspection.API_GROUP].timeout or 10,
            headers={"Accept": "application/json"},
        )
    except ks_exc.ClientException as exc:
        raise PushError(f"cannot reach accel_api at {url}: {exc}") from None
    if resp.status_code >= 300:
        body = (resp.text or "")[:300]
        raise PushError(f"accel_api refused the inventory of {hostname}: "
                        f"HTTP {resp.status_code} {body}")
    return resp.status_code
