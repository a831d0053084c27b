"""Device selectors of step arguments: ``address``, or ``vendor_id``+``device_id``, or ``model``.

Resolved against a fresh inventory document, so a selector names what the
ramdisk really sees; a selector matching nothing is an error, never a no-op.
"""

import re

from ipa_fpga.errors import DeviceNotFound, InvalidArgs

KEYS = ("address", "vendor_id", "device_id", "model")
_ADDR = re.compile(r"^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$")
_HEX16 = re.compile(r"^(0x)?[0-9a-f]{4}$")

ARGSINFO = {
    "address": {"description": "PCI address of the device (e.g. 0000:3f:00.0). One of "
                "address, vendor_id+device_id or model selects the devices.",
                "required": False},
    "vendor_id": {"description": "PCI vendor id (e.g. 0x8086), with device_id.",
                  "required": False},
    "device_id": {"description": "PCI device id (e.g. 0x0b30), with vendor_id.",
                  "required": False},
    "model": {"description": "Catalogue model word (e.g. N3000, U250, H100).",
              "required": False},
}


def _hex(value, name):
    text = str(value).lower()
    if not _HEX16.match(text):
        raise InvalidArgs("selector", f"{name} {value!r} is not a 4-digit hex id")
    return "0x" + text.removeprefix("0x")


def parse(spec):
    """Validate a selector mapping; return it normalised."""
    if not isinstance(spec, dict):
        raise InvalidArgs("selector", "the device selector must be a mapping")
    given = {k: spec[k] for k in KEYS if spec.get(k) not in (None, "")}
    if "address" in given:
        addr = str(given["address"]).lower()
        if len(addr.split(":")) == 2:
            addr = "0000:" + addr
        if not _ADDR.match(addr):
            raise InvalidArgs("selector", f"address {given['address']!r} is not a PCI address")
        return {"address": addr}
    if "vendor_id" in given or "device_id" in given:
        if not ("vendor_id" in given and "device_id" in given):
            raise InvalidArgs("selector", "vendor_id and device_id go together")
        return {"vendor_id": _hex(given["vendor_id"], "vendor_id"),
                "device_id": _hex(given["device_id"], "device_id")}
    if "model" in given:
        return {"model": str(given["model"]).upper()}
    raise InvalidArgs("selector", "give address, vendor_id+device_id or model")


def describe(sel):
    return ", ".join(f"{k}={v}" for k, v in sel.items())


def select(inventory, spec):
    """Devices of ``inventory`` the selector names (one or more), or DeviceNotFound."""
    sel = parse(spec)
    found = []
    for device in inventory["devices"]:
        if "address" in sel:
            ok = device["id"] == sel["address"] or any(
                f["address"] == sel["address"] for f in device["functions"])
        elif "model" in sel:
            ok = str(device["model"]).upper() == sel["model"]
        else:
            ok = (device["vendor_id"], device["device_id"]) == (sel["vendor_id"],
                                                                sel["device_id"])
        if ok:
            found.append(device)
    if not found:
        raise DeviceNotFound(describe(sel), "no accelerator matches this selector")
    return found
