"""Ironic firmware interface ``redfish-accel``: Ironic's Redfish firmware plus accelerators.

``bios``, ``bmc`` and ``nic:<id>`` behave exactly as in Ironic's ``redfish`` firmware
interface (this class subclasses it). Components ``accel:<device>`` (the device's first
updateable firmware) and ``accel:<device>:<component>`` update one accelerator's
firmware out-of-band: SimpleUpdate targeted at its FirmwareInventory entry (or a
multipart push of a ``file://`` image when allowed), robust task polling, version
read back. Versions are kept in Ironic's firmware components table
(``GET /v1/nodes/<node>/firmware``) as ``accel:<device>:<component>``.

Settings of an ``update`` step with ``accel:`` components accept, besides ``component``
and ``url``: ``checksum`` (``sha256:<hex>``, checked before anything is sent),
``force`` (``ForceUpdate``) and ``expected_version`` (what the BMC must report after).
"""

from __future__ import annotations

import jsonschema
from ironic import objects
from ironic.common import exception
from ironic.drivers import base
from ironic.drivers.modules.redfish import firmware as redfish_firmware
from ironic.drivers.modules.redfish import utils as redfish_utils
from oslo_log import log

from ironic_fpga.conf import CONF
from ironic_fpga.redfish import client, errors, update

LOG = log.getLogger(__name__)

PREFIX = "accel:"

_ACCEL_SETTINGS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["component", "url"],
        "properties": {
            "component": {"type": "string",
                          "pattern": r"^accel:[A-Za-z0-9_.\-]+(:[a-z][a-z0-9_]{0,63})?$"},
            "url": {"type": "string", "minLength": 1},
            "checksum": {"type": "string"},
            "force": {"type": "boolean"},
            "expected_version": {"type": "string", "minLength": 1},
            "wait": {"type": "integer", "minimum": 1},
        },
        "additionalProperties": False,
    },
}


class AccelFirmwareUpdateFailed(exception.IronicException):
    _msg_fmt = "Accelerator firmware update of %(component)s failed: %(error)s"


def parse_component(name):
    """``accel:fpga0`` -> ("fpga0", None); ``accel:fpga0:fpga_image`` -> ("fpga0", "fpga_image")."""
    device, _, component = name[len(PREFIX):].partition(":")
    return device, component or None


def validate_accel_settings(settings):
    try:
        jsonschema.validate(settings, _ACCEL_SETTINGS_SCHEMA)
    except jsonschema.ValidationError as exc:
        raise exception.InvalidParameterValue(
            f"Invalid accelerator firmware settings: {exc.message}") from None


class RedfishAccelFirmware(redfish_firmware.RedfishFirmware):
    """Ironic's RedfishFirmware, plus ``accel:<device>[:<component>]`` components."""

    def _connect(self, node):
        info = redfish_utils.parse_driver_info(node)
        root = client.connect(info["address"], info.get("username"), info.get("password"),
                              verify=info.get("verify_ca", True),
                              retries=CONF.accel_redfish.transport_retries)
        return root, info

    def cache_firmware_components(self, task):
        """Ironic's components (BIOS, BMC, NICs) plus one row per accelerator component."""
        super().cache_firmware_components(task)
        try:
            root, info = self._connect(task.node)
            accelerators = client.read_accelerators(root, info["system_id"])
        except errors.RedfishAccelError as exc:
            LOG.warning("Node %(node)s: cannot read accelerator firmware from the BMC: "
                        "%(err)s", {"node": task.node.uuid, "err": exc})
            return
        self._record(task, [
            {"component": f"{PREFIX}{acc['id']}:{fw['component']}",
             "current_version": fw["version"], "vendor": acc.get("manufacturer"),
             "model": acc.get("model"), "serial_number": acc.get("serial")}
            for acc in accelerators for fw in acc["firmware"] if fw.get("version")])

    @staticmethod
    def _record(task, rows, flashed=False):
        node_id = task.node.id
        for row in rows:
            try:
                fw = objects.FirmwareComponent.get(task.context, node_id=node_id,
                                                   name=row["component"])
            except exception.FirmwareComponentNotFound:
                fw = objects.FirmwareComponent(
                    task.context, node_id=node_id, component=row["component"],
                    current_version=row["current_version"], vendor=row.get("vendor"),
                    model=row.get("model"), serial_number=row.get("serial_number"))
                fw.create()
                if not flashed:
                    continue
            if fw.current_version != row["current_version"] or flashed:
                fw.last_version_flashed = row["current_version"]
                fw.current_version = row["current_version"]
            for key in ("vendor", "model", "serial_number"):
                if row.get(key):
                    setattr(fw, key, row[key])
            fw.save()

    # requires_ramdisk=False (Ironic's own says True for cleaning): accel: updates are
    # purely out-of-band, so a manual clean may pass disable_ramdisk for them.
    @base.clean_step(priority=0, abortable=False,
                     argsinfo=redfish_firmware.RedfishFirmware._FW_SETTINGS_ARGSINFO,
                     requires_ramdisk=False)
    @base.service_step(priority=0, abortable=False,
                       argsinfo=redfish_firmware.RedfishFirmware._FW_SETTINGS_ARGSINFO,
                       requires_ramdisk=False)
    def update(self, task, settings):
        """Update firmware; ``accel:`` components here, the others by Ironic's code."""
        if not isinstance(settings, list):
            raise exception.InvalidParameterValue("settings must be a list of components")
        accel = [s for s in settings if isinstance(s, dict)
                 and str(s.get("component", "")).startswith(PREFIX)]
        if not accel:
            return super().update(task, settings)
        if len(accel) != len(settings):
            raise exception.InvalidParameterValue(
                "accel: components cannot be mixed with bios/bmc/nic components in one "
                "update step; run them as two steps")
        validate_accel_settings(accel)
        root, info = self._connect(task.node)
        node = task.node
        for setting in accel:
            device, component = parse_component(setting["component"])
            LOG.info("Node %(node)s: updating accelerator %(dev)s firmware from %(url)s",
                     {"node": node.uuid, "dev": setting["component"], "url": setting["url"]})
            try:
                result = update.update_accelerator_firmware(
                    root, info["system_id"], device, setting["url"], component=component,
                    checksum=setting.get("checksum"), force=setting.get("force", False),
                    expected_version=setting.get("expected_version"),
                    allow_file=CONF.accel_redfish.allow_file_images,
                    username=info.get("username"), password=info.get("password"),
                    verify=info.get("verify_ca", True),
                    timeout=CONF.accel_redfish.task_timeout,
                    unreachable_timeout=CONF.accel_redfish.unreachable_timeout,
                    progress=lambda state, pct, c=setting["component"]: LOG.debug(
                        "Node %s: %s update task %s, %s %%", node.uuid, c, state, pct))
            except errors.RedfishAccelError as exc:
                LOG.error("Node %(node)s: accelerator firmware update of %(c)s failed: %(e)s",
                          {"node": node.uuid, "c": setting["component"], "e": exc})
                raise AccelFirmwareUpdateFailed(component=setting["component"],
                                                error=str(exc)) from None
            LOG.info("Node %(node)s: %(c)s updated %(before)s -> %(after)s",
                     {"node": node.uuid, "c": setting["component"],
                      "before": result["before"], "after": result["after"]})
            self._record(task, [{"component": f"{PREFIX}{device}:{result['component']}",
                                 "current_version": result["after"]}], flashed=True)
        return None
