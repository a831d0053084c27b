"""Read a system's accelerators and their firmware from its BMC, in inventory-contract terms.

Processors of type FPGA/GPU/Accelerator are the accelerators; their PCIe functions
give the real vendor/device/class ids; FirmwareInventory entries whose ``RelatedItem``
points at the processor (or its PCIe device) are its firmware components.
"""

from __future__ import annotations

import re

import sushy
from sushy import exceptions as sushy_exc

from ironic_fpga.redfish import errors

ACCEL_TYPES = ("FPGA", "GPU", "Accelerator")
_COMPONENT_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


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
    except sushy_exc.HTTPError as exc:
        raise errors.RedfishAccelError(f"the BMC at {address} refused us: {exc}") from None


class LazyConnector:
    """A sushy connector made on first use, for one poll of a running update.

    A BMC that cannot be reached at all (rebooting, gone) then reads as one that stopped
    answering mid-poll, so the poller's ``unreachable_timeout`` applies to it too.
    """

    def __init__(self, connect):
        """``connect``: callable returning a sushy root (``connect(...)`` above)."""
        self._connect = connect
        self.root = None

    def get(self, uri, *args, **kwargs):
        if self.root is None:
            try:
                self.root = self._connect()
            except errors.RedfishAccelError as exc:  # unreachable, or 5xx while it boots
                raise sushy_exc.ConnectionError(url=uri, error=str(exc)) from None
        return self.root._conn.get(uri, *args, **kwargs)


def _get(conn, uri):
    try:
        return conn.get(uri).json()
    except sushy_exc.ConnectionError as exc:
        raise errors.BMCUnreachable(f"the BMC stopped answering reading {uri}: {exc}") from None
    except sushy_exc.ResourceNotFoundError:
        raise errors.DeviceNotFound(f"the BMC has no resource {uri}") from None
    except sushy_exc.HTTPError as exc:
        raise errors.RedfishAccelError(f"reading {uri} failed: {exc}") from None


def component_name(entry):
    """The contract component name of a SoftwareInventory entry."""
    soft = str(entry.get("SoftwareId") or "")
    if _COMPONENT_RE.match(soft):
        return soft
    slug = re.sub(r"[^a-z0-9_]+", "_", str(entry.get("Id", "firmware")).lower()).strip("_")
    return (slug if slug[:1].isalpha() else f"fw_{slug}")[:64]


def _members(conn, uri):
    return [m["@odata.id"] for m in _get(conn, uri).get("Members", [])]


def update_service(conn, root):
    """The UpdateService resource (JSON); UnsupportedImage when the BMC has none."""
    update_uri = root.json.get("UpdateService", {}).get("@odata.id")
    if not update_uri:
        raise errors.UnsupportedImage("the BMC has no UpdateService")
    return _get(conn, update_uri)


def firmware_inventory(conn, root):
    """(UpdateService, every FirmwareInventory entry) as JSON dicts."""
    update = update_service(conn, root)
    inv_uri = update.get("FirmwareInventory", {}).get("@odata.id")
    if not inv_uri:
        return update, []
    return update, [_get(conn, uri) for uri in _members(conn, inv_uri)]


def read_accelerators(root, system_id):
    """The system's accelerators with their PCI ids and contract firmware components.

    Returns ``[{"id", "processor_type", "manufacturer", "model", "serial", "uri",
    "pci_functions": [...], "fpga": {...} | None, "firmware": [contract dicts]}]``.
    """
    conn = root._conn
    system_uri = system_id if str(system_id).startswith("/") else \
        f"{root._root_prefix.rstrip('/')}/Systems/{system_id}"
    system = _get(conn, system_uri)
    _update, inventory = firmware_inventory(conn, root)
    proc_uri = system.get("Processors", {}).get("@odata.id")
    out = []
    for uri in _members(conn, proc_uri) if proc_uri else []:
        proc = _get(conn, uri)
        if proc.get("ProcessorType") not in ACCEL_TYPES:
            continue
        links = proc.get("Links") or {}
        device_uri = (links.get("PCIeDevice") or {}).get("@odata.id")
        functions = []
        for f in links.get("PCIeFunctions") or []:
            fn = _get(conn, f["@odata.id"])
            functions.append({k: fn.get(k) for k in (
                "FunctionId", "FunctionType", "DeviceClass", "VendorId", "DeviceId",
                "ClassCode", "SubsystemVendorId", "SubsystemId", "RevisionId")})
        related = {uri, device_uri}
        firmware = []
        for entry in inventory:
            items = {r.get("@odata.id") for r in entry.get("RelatedItem") or []}
            if items & related:
                firmware.append({
                    "component": component_name(entry),
                    "name": entry.get("Name"),
                    "version": entry.get("Version"),
                    "updatable": bool(entry.get("Updateable", False)),
                    "update_method": "redfish" if entry.get("Updateable") else "none",
                    "update_target": entry.get("@odata.id"),
                    "lowest_supported_version": entry.get("LowestSupportedVersion"),
                })
        out.append({
            "id": proc.get("Id"),
            "uri": uri,
            "processor_type": proc["ProcessorType"],
            "manufacturer": proc.get("Manufacturer"),
            "model": proc.get("Model"),
            "serial": proc.get("SerialNumber"),
            "pci_functions": functions,
            "fpga": proc.get("FPGA"),  # sushy's Processor has no field for it
            "firmware": firmware,
        })
    return out


def find_component(accelerators, device, component=None):
    """(accelerator, firmware component) for ``device`` (+ ``component``, else its first
    updatable one); DeviceNotFound listing what exists otherwise."""
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
        raise errors.NotUpdatable(
            f"accelerator {device} has no updateable firmware (components: {known})")
    raise errors.DeviceNotFound(
        f"no accelerator {device!r} on this system (it has: "
        f"{', '.join(a['id'] for a in accelerators) or 'none'})")
