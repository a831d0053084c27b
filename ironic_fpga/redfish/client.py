"""Connect to a BMC and read a system's accelerators and their firmware from it.

The reading itself is ``ironic_fpga.redfish.inventory`` (every place a BMC puts an
accelerator, each device once, firmware from every place a version lives).
"""

from __future__ import annotations

import logging

import sushy
from sushy import exceptions as sushy_exc

from ironic_fpga.redfish import errors, inventory
from ironic_fpga.redfish.inventory.bmc import BMC

LOG = logging.getLogger(__name__)


def connect(address, username=None, password=None, verify=True, retries=1, retry_delay=1):
    """A sushy root for ``address`` (``http(s)://host:port``), with few transport retries.

    Polling has its own patience (``unreachable_timeout``); sushy's default of ten
    retries three seconds apart would hide a vanished BMC for 30 s per request.
    """
    try:
        return sushy.Sushy(address, username=username, password=password, verify=verify,
                           server_side_retries=retries, server_side_retries_delay=retry_delay)
    except sushy_exc.ConnectionError as exc:
        raise errors.BMCUnreachable(f"cannot reach the BMC at {address}: {exc}") from None
    except sushy_exc.ServerSideError as exc:  # 5xx: booting, busy
        raise errors.BMCUnreachable(
            f"the BMC at {address} is not ready ({exc.status_code}): {exc}") from None
    except sushy_exc.HTTPError as exc:
        raise errors.RedfishAccelError(f"the BMC at {address} refused us: {exc}") from None


def close(root):
    """End the root's Redfish session now (BMCs allow few sessions), not whenever the
    garbage collector gets to it: sushy closes it in ``__del__``, an HTTP request made
    from whichever thread happens to collect the object."""
    auth = getattr(root, "_auth", None)
    if auth is None:
        return
    root._auth = None
    try:
        auth.close()
    except Exception as exc:  # noqa: BLE001 - a session that cannot be closed expires
        LOG.debug("Ignoring error while closing the Redfish session of %s: %s",
                  getattr(root, "_base_url", "?"), exc)


class LazyConnector:
    """A sushy connector made on first use, for one poll of a running update.

    A BMC that cannot be reached at all (rebooting, gone) then reads as one that stopped
    answering mid-poll, so the poller's ``unreachable_timeout`` applies to it too.
    """

    def __init__(self, connect):
        """``connect``: callable returning a sushy root (``connect(...)`` above)."""
        self._connect = connect
        self.root = None

    def close(self):
        if self.root is not None:
            close(self.root)

    def get(self, uri, *args, **kwargs):
        if self.root is None:
            try:
                self.root = self._connect()
            except errors.RedfishAccelError as exc:  # unreachable, or 5xx while it boots
                raise sushy_exc.ConnectionError(url=uri, error=str(exc)) from None
        return self.root._conn.get(uri, *args, **kwargs)


def read_inventory(root, system_id=None):
    """Every accelerator of the system (``inventory.Inventory``): read from every place
    the BMC puts one, each device once, with all its firmware versions.

    ``system_id``: the system's Id or URI; None for the only system of the BMC.
    """
    return inventory.read(root._conn, system_id)


def read_accelerators(root, system_id=None):
    """The system's accelerators (see ``inventory.mapper``), each with its contract
    firmware components (``component``, ``version``, ``updatable``, ``update_method``,
    ``update_target`` = the FirmwareInventory URI, ``lowest_supported_version``) plus
    ``source`` and, when not updatable, ``not_updatable_reason``."""
    return read_inventory(root, system_id).accelerators


def update_service(conn, root):
    """The UpdateService resource (JSON); NoUpdateService when the BMC has none."""
    update_uri = root.json.get("UpdateService", {}).get("@odata.id")
    if not update_uri:
        raise errors.NoUpdateService(
            "the BMC has no UpdateService: its firmware versions can be read, but it offers "
            "no way to update them over Redfish")
    return BMC(conn).get(update_uri)


def find_component(accelerators, device, component=None):
    """(accelerator, firmware component) for ``device`` (+ ``component``, else its first
    updatable one); DeviceNotFound listing what exists, NotUpdatable saying why."""
    for acc in accelerators:
        if acc["id"] != device:
            continue
        candidates = [fw for fw in acc["firmware"]
                      if (fw["component"] == component if component else fw["updatable"])]
        if candidates:
            return acc, candidates[0]
        known = ", ".join(fw["component"] for fw in acc["firmware"]) or "none"
        if component:
            raise errors.DeviceNotFound(
                f"accelerator {device} has no firmware component {component!r} "
                f"(it has: {known})")
        reasons = "; ".join(f"{fw['component']}: not updatable: {fw['not_updatable_reason']}"
                            for fw in acc["firmware"] if fw.get("not_updatable_reason"))
        raise errors.NotUpdatable(
            f"accelerator {device} has no updateable firmware ("
            + (reasons or "the BMC shows no firmware version for it") + ")")
    raise errors.DeviceNotFound(
        f"no accelerator {device!r} on this system (it has: "
        f"{', '.join(a['id'] for a in accelerators) or 'none'})")
