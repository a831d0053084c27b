"""Ironic firmware interface ``redfish-accel``: Ironic's Redfish firmware plus accelerators.

``bios``, ``bmc`` and ``nic:<id>`` behave exactly as in Ironic's ``redfish`` firmware
interface (this class subclasses it). Components ``accel:<device>`` (the device's first
updateable firmware) and ``accel:<device>:<component>`` update one accelerator's
firmware out-of-band: SimpleUpdate targeted at its FirmwareInventory entry (or a
multipart push of a ``file://`` image when allowed), robust task polling, version
read back. Versions are kept in Ironic's firmware components table
(``GET /v1/nodes/<node>/firmware``) as ``accel:<device>:<component>``.

The step is asynchronous, as Ironic's own firmware updates: it checks the settings,
starts the first component's update and returns CLEANWAIT/SERVICEWAIT. The running
update and the components still to do live in ``driver_internal_info``
(``accel_firmware_update``); a periodic task looks at the BMC once per tick, records
each verified version, starts the next component, and finally resumes the step (or
fails it with the error). No conductor worker waits on a BMC.

Settings of an ``update`` step with ``accel:`` components accept, besides ``component``
and ``url``: ``checksum`` (``sha256:<hex>``, checked before anything is sent),
``force`` (``ForceUpdate``) and ``expected_version`` (what the BMC must report after).
"""

from __future__ import annotations

import copy
import time

import jsonschema
from ironic import objects
from ironic.common import exception, states
from ironic.conductor import periodics
from ironic.conductor import utils as manager_utils
from ironic.drivers import base
from ironic.drivers.modules import deploy_utils
from ironic.drivers.modules.redfish import firmware as redfish_firmware
from oslo_log import log

from ironic_fpga.conf import CONF
from ironic_fpga.redfish import client, errors, ironic_node, update

LOG = log.getLogger(__name__)

PREFIX = "accel:"
#: driver_internal_info key of a running accel: update: {"name", "current", "pending", ...}
STATE_KEY = "accel_firmware_update"
_WAIT_STATES = (states.CLEANWAIT, states.SERVICEWAIT)
#: where a node lands when its step ended without us (timeout, failure elsewhere, abort)
_ENDED_STATES = (states.CLEANFAIL, states.SERVICEFAIL, states.MANAGEABLE, states.AVAILABLE,
                 states.ACTIVE)

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


def _status_interval():
    """Spacing of the polling task, read when the conductor collects its periodics; never
    0 (a disabled poller would leave every accel: step waiting for good)."""
    return (CONF.accel_redfish.update_status_interval
            or CONF.redfish.firmware_update_status_interval or 60)


def _has_update(node):
    return bool(node.driver_internal_info.get(STATE_KEY))


def _stale_update(node):
    return _has_update(node) and node.provision_state not in _WAIT_STATES


class RedfishAccelFirmware(redfish_firmware.RedfishFirmware):
    """Ironic's RedfishFirmware, plus ``accel:<device>[:<component>]`` components."""

    def _connect(self, node):
        return ironic_node.connect(node)

    def cache_firmware_components(self, task):
        """Ironic's components (BIOS, BMC, NICs) plus one row per accelerator component
        (recorded even when Ironic's own part fails on this BMC)."""
        try:
            super().cache_firmware_components(task)
        finally:
            self._cache_accelerators(task)

    def _cache_accelerators(self, task):
        root = None
        try:
            root, info = self._connect(task.node)
            accelerators = client.read_accelerators(root, info["system_id"])
        except errors.RedfishAccelError as exc:
            LOG.warning("Node %(node)s: cannot read accelerator firmware from the BMC: "
                        "%(err)s", {"node": task.node.uuid, "err": exc})
            return
        finally:
            if root is not None:
                client.close(root)
        self._record(task, [
            {"component": f"{PREFIX}{acc['id']}:{fw['component']}",
             "current_version": fw["version"], "vendor": acc.get("manufacturer"),
             "model": acc.get("product") or acc.get("model"),
             "serial_number": acc.get("serial")}
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
        """Update firmware; ``accel:`` components here, the others by Ironic's code.

        ``accel:`` components: start the first one and return the wait state; the
        periodic ``_poll_accel_update`` carries on (no worker blocks on the BMC).
        """
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
        node = task.node
        if node.driver_internal_info.get(STATE_KEY):
            LOG.warning("Node %(node)s: forgetting the state of an earlier accelerator "
                        "firmware update that did not end cleanly", {"node": node.uuid})
            node.del_driver_internal_info(STATE_KEY)
        job = {"pending": copy.deepcopy(accel), "done": []}
        self._start_next(task, job)  # raises: the step fails at once, nothing kept
        node.set_driver_internal_info(STATE_KEY, job)
        # The step ends when the periodic says so; no ramdisk heartbeat is involved.
        deploy_utils.set_async_step_flags(node, reboot=False, skip_current_step=True,
                                          polling=True)  # saves the node
        return deploy_utils.get_async_step_return_state(node)

    def _start_next(self, task, job):
        """Start ``job``'s next pending component; AccelFirmwareUpdateFailed if refused."""
        setting = job["pending"].pop(0)
        job.update(name=setting["component"], setting=setting, current=None, next_poll_at=0)
        LOG.info("Node %(node)s: updating accelerator %(dev)s firmware from %(url)s",
                 {"node": task.node.uuid, "dev": setting["component"], "url": setting["url"]})
        self._try_start(task, job)

    def _try_start(self, task, job):
        """Start the job's current component. A BMC that does not answer yet (rebooting
        when the step starts) is tried again at later looks, for up to ``[accel_redfish]
        unreachable_timeout``; any other refusal raises AccelFirmwareUpdateFailed."""
        node, name, setting = task.node, job["name"], job["setting"]
        device, component = parse_component(name)
        root = None
        try:
            try:
                root, info = self._connect(node)
            except errors.BMCUnreachable as exc:  # nothing was sent yet
                raise errors.BMCNotReady(str(exc)) from None
            state = update.start_update(
                root, info["system_id"], device, setting["url"], component=component,
                checksum=setting.get("checksum"), force=setting.get("force", False),
                expected_version=setting.get("expected_version"),
                allow_file=CONF.accel_redfish.allow_file_images,
                username=info.get("username"), password=info.get("password"),
                verify=info.get("verify_ca", True))
        except errors.BMCNotReady as exc:
            current = job.get("current") or {}
            waiting = current if current.get("phase") == "start" else \
                update.waiting_to_start(exc)
            try:
                progress = update.wait_to_start(
                    waiting, exc, CONF.accel_redfish.bmc_ready_timeout
                    or CONF.accel_redfish.unreachable_timeout)
            except errors.BMCUnreachable as gone:
                raise self._failure(node, name, gone) from None
            LOG.warning("Node %(node)s: the BMC did not answer when the update of %(c)s was "
                        "to start; trying again in %(d).0f s: %(e)s",
                        {"node": node.uuid, "c": name, "d": progress.delay, "e": exc})
            job.update(current=waiting, next_poll_at=time.time() + progress.delay)
            return
        except errors.RedfishAccelError as exc:
            raise self._failure(node, name, exc) from None
        finally:
            if root is not None:
                client.close(root)
        job.update(current=state, next_poll_at=0)

    @staticmethod
    def _failure(node, name, exc):
        LOG.error("Node %(node)s: accelerator firmware update of %(c)s failed: %(e)s",
                  {"node": node.uuid, "c": name, "e": exc})
        return AccelFirmwareUpdateFailed(component=name, error=str(exc))

    def _fail_step(self, task, error):
        """Forget the update and fail the running clean/service step with ``error``."""
        node = task.node
        node.del_driver_internal_info(STATE_KEY)
        step = node.clean_step or node.service_step or {}
        msg = f"Node {node.uuid} failed step {step}: {error}"
        if node.clean_step:
            manager_utils.cleaning_error_handler(task, msg)
        elif node.service_step:
            manager_utils.servicing_error_handler(task, msg)
        else:  # no step left to fail (should not happen); keep nothing stale
            node.save()

    @periodics.node_periodic(
        purpose="polling a running accelerator firmware update",
        spacing=_status_interval,
        filters={"reserved": False, "provision_state_in": list(_WAIT_STATES)},
        predicate_extra_fields=["driver_internal_info"],
        predicate=_has_update,
    )
    def _poll_accel_update(self, task, manager, context):
        """One look at the BMC per tick: progress, next component, resume or fail."""
        job = task.node.driver_internal_info.get(STATE_KEY)
        if not job or time.time() < job.get("next_poll_at", 0):
            return False
        task.upgrade_lock()  # reloads the node: check again that the update is still ours
        node = task.node
        if node.provision_state not in _WAIT_STATES or not node.driver_internal_info.get(
                STATE_KEY):
            return False
        job = copy.deepcopy(node.driver_internal_info[STATE_KEY])
        name = job["name"]
        if (job.get("current") or {}).get("phase") == "start":  # the BMC was away
            try:
                self._try_start(task, job)
            except AccelFirmwareUpdateFailed as exc:
                self._fail_step(task, exc)
                return True
            node.touch_provisioning()
            node.set_driver_internal_info(STATE_KEY, job)
            node.save()
            return True
        conn = client.LazyConnector(lambda: self._connect(node)[0])
        try:
            progress = update.poll_update(
                conn, job["current"], timeout=CONF.accel_redfish.task_timeout,
                unreachable_timeout=CONF.accel_redfish.unreachable_timeout)
        except errors.RedfishAccelError as exc:
            self._fail_step(task, self._failure(node, name, exc))
            return True
        except Exception as exc:  # a bug must fail the step, not leave it waiting
            LOG.exception("Node %s: unexpected error polling the update of %s", node.uuid, name)
            self._fail_step(task, self._failure(node, name, f"unexpected {exc!r}"))
            return True
        finally:
            conn.close()
        node.touch_provisioning()  # we are its callback: keep Ironic's wait timeout away
        if not progress.done:
            LOG.debug("Node %s: %s update task %s, %s %%", node.uuid, name,
                      progress.task_state, progress.percent)
            job["next_poll_at"] = time.time() + progress.delay
            node.set_driver_internal_info(STATE_KEY, job)
            node.save()
            return True
        result = progress.result
        LOG.info("Node %(node)s: %(c)s updated %(before)s -> %(after)s",
                 {"node": node.uuid, "c": name, "before": result["before"],
                  "after": result["after"]})
        self._record(task, [{"component": f"{PREFIX}{result['device']}:{result['component']}",
                             "current_version": result["after"]}], flashed=True)
        job["done"].append(name)
        if job["pending"]:
            try:
                self._start_next(task, job)
            except AccelFirmwareUpdateFailed as exc:
                self._fail_step(task, exc)
                return True
            node.set_driver_internal_info(STATE_KEY, job)
            node.save()
            return True
        node.del_driver_internal_info(STATE_KEY)
        node.save()
        if node.clean_step:
            manager_utils.notify_conductor_resume_clean(task)
        elif node.service_step:
            manager_utils.notify_conductor_resume_service(task)
        return True

    @periodics.node_periodic(
        purpose="forgetting accelerator firmware updates whose step ended without us",
        spacing=_status_interval,
        filters={"reserved": False, "provision_state_in": list(_ENDED_STATES)},
        predicate_extra_fields=["driver_internal_info", "provision_state"],
        predicate=_stale_update,
    )
    def _forget_ended_accel_update(self, task, manager, context):
        """A step timed out or was failed elsewhere: drop its state, so nothing resumes it."""
        task.upgrade_lock()
        node = task.node
        job = node.driver_internal_info.get(STATE_KEY)
        if not job or node.provision_state in _WAIT_STATES:
            return
        LOG.warning("Node %(node)s is %(state)s while the accelerator firmware update of "
                    "%(c)s was running (BMC task %(task)s); forgetting it and %(n)d pending "
                    "component(s). The BMC may still finish the task: check the version.",
                    {"node": node.uuid, "state": node.provision_state, "c": job.get("name"),
                     "task": (job.get("current") or {}).get("poll", {}).get("task_uri"),
                     "n": len(job.get("pending") or [])})
        node.del_driver_internal_info(STATE_KEY)
        node.save()
