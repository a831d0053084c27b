"""Send an inspected inventory to accel_api: ``PUT /v2/hosts/{hostname}/inventory``.

Authentication comes from keystoneauth options in ``[accel_api]`` (``auth_type =
password``, ``http_basic``, ``none``...), so credentials stay in the config file
and never reach the logs.
"""

import urllib.parse

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from oslo_log import log as logging

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
