"""UpdateService actions: SimpleUpdate (the BMC fetches the image) and multipart push.

Both validate the request up front (a bad request is a 400 with a Redfish error, no
task), then run the update as a task: fetch (SimpleUpdate only), check the image,
write in steps, and only then change the targeted inventory entries' versions.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from redfish_mocks import image as image_mod
from redfish_mocks import tasks as tasks_mod
from redfish_mocks.resources import MAX_IMAGE_BYTES

V1 = "/redfish/v1"
INVENTORY = f"{V1}/UpdateService/FirmwareInventory/"
FETCH_TIMEOUT = 30


class BadRequest(Exception):
    """Answered as HTTP 400 with a Redfish error naming the problem."""

    def __init__(self, message, message_id="Base.1.19.ActionParameterValueError"):
        super().__init__(message)
        self.message_id = message_id


class Selection:
    """What one update request acts on: inventory entries of one server.

    ``chosen``: [(spec, inventory id)] the request named. ``by_image``: when the BMC
    decides from the image (Dell ``Targets: []``, HPE, NVIDIA's tray targets), the
    updateable candidates; those whose component is the image's are updated.
    """

    def __init__(self, server, chosen=(), by_image=None):
        self.server = server
        self.chosen = list(chosen)
        self.by_image = None if by_image is None else list(by_image)

    def resolve(self, component):
        """[(spec, inventory id)] the image for ``component`` updates; ImageError if none."""
        if self.by_image is None:
            return self.chosen
        found = [(spec, iid) for spec, iid in self.by_image if spec.component == component]
        if not found:
            raise image_mod.ImageError(
                f"no updateable component of this system takes an image for {component!r}")
        return found


def standard_targets(emu, targets):
    """The Selection of a Targets list on the standard layout: updatable FirmwareInventory
    entries of one server, all named."""
    if not isinstance(targets, list) or not targets:
        raise BadRequest("Targets is required: a list of FirmwareInventory URIs "
                         "(this service emulates several systems)",
                         "Base.1.19.ActionParameterMissing")
    found = []
    for target in targets:
        if not isinstance(target, str) or not target.startswith(INVENTORY):
            raise BadRequest(f"Target {target!r} is not a FirmwareInventory URI")
        server, spec = emu.server_of_inventory(target[len(INVENTORY):])
        if spec is None:
            raise BadRequest(f"Target {target} does not exist")
        if not spec.updatable:
            raise BadRequest(f"Target {target} is not updateable")
        found.append((server, spec))
    if len({s.sid for s, _ in found}) != 1:
        raise BadRequest("Targets must all belong to one system")
    return Selection(found[0][0], [(spec, spec.inventory_id) for _s, spec in found])


def simple_update(service, body):
    """Validate a SimpleUpdate body and start its task; returns the Task."""
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object",
                         "Base.1.19.MalformedJSON")
    uri = body.get("ImageURI")
    if not isinstance(uri, str) or not uri:
        raise BadRequest("ImageURI is required", "Base.1.19.ActionParameterMissing")
    scheme = urllib.parse.urlsplit(uri).scheme.lower()
    if scheme not in ("http", "https"):
        raise BadRequest(f"ImageURI scheme {scheme or 'none'!r} is not supported "
                         "(HTTP and HTTPS only)")
    proto = body.get("TransferProtocol")
    if proto is not None and (not isinstance(proto, str) or proto.lower() != scheme):
        raise BadRequest(f"TransferProtocol {proto!r} does not match the ImageURI scheme")
    force = body.get("ForceUpdate", False)
    if not isinstance(force, bool):
        raise BadRequest("ForceUpdate must be a boolean")
    targets = service.select_targets(body.get("Targets"), "simple", "Targets" in body)
    payload = {"TargetUri": f"{V1}/UpdateService/Actions/UpdateService.SimpleUpdate",
               "HttpOperation": "POST",
               "JsonBody": json.dumps(body, sort_keys=True)}
    return _start(service, targets, force, payload, fetch=uri)


def multipart_update(service, content_type, data, path=f"{V1}/UpdateService/upload"):
    """Validate a multipart push (UpdateParameters + UpdateFile) and start its task."""
    if not content_type or "multipart/form-data" not in content_type.lower():
        raise BadRequest("the request must be multipart/form-data",
                         "Base.1.19.UnsupportedMediaType")
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + data)
    params, image = None, None
    for part in msg.iter_parts() if msg.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        if name == "UpdateParameters":
            try:
                params = json.loads(part.get_payload(decode=True) or b"null")
            except ValueError:
                raise BadRequest("UpdateParameters is not valid JSON",
                                 "Base.1.19.MalformedJSON") from None
        elif name == "UpdateFile":
            image = part.get_payload(decode=True)
    if not isinstance(params, dict):
        raise BadRequest("the UpdateParameters part (a JSON object) is missing",
                         "Base.1.19.ActionParameterMissing")
    if not image:
        raise BadRequest("the UpdateFile part is missing or empty",
                         "Base.1.19.ActionParameterMissing")
    force = params.get("ForceUpdate", False)
    if not isinstance(force, bool):
        raise BadRequest("ForceUpdate must be a boolean")
    targets = service.select_targets(params.get("Targets"), "multipart", "Targets" in params)
    payload = {"TargetUri": path, "HttpOperation": "POST"}
    return _start(service, targets, force, payload, data=image)


def _start(service, targets, force, payload, fetch=None, data=None):
    server = targets.server
    with service.emu.lock:
        if server.updating:
            raise BadRequest(f"an update of system {server.sid} is already running",
                             "Base.1.19.ResourceInUse")
        server.updating = True
    task = tasks_mod.Task(f"Firmware update of {server.sid}", server, server.profile, payload,
                          prefix=server.profile.task_prefix)
    service.tasks.add(task)
    threading.Thread(target=_run, args=(service, task, targets, force, fetch, data),
                     daemon=True, name=f"update-task-{task.id}").start()
    return task


def _fetch(uri):
    req = urllib.request.Request(uri, headers={"User-Agent": "accel-redfish-mock"})
    with urllib.request.urlopen(req, timeout=FETCH_TIMEOUT) as resp:  # noqa: S310 (checked)
        data = resp.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise image_mod.ImageError(f"image larger than {MAX_IMAGE_BYTES} bytes")
    return data


def _version_key(version):
    parts = []
    for piece in str(version).replace("-", ".").split("."):
        parts.append((0, int(piece), "") if piece.isdigit() else (1, 0, piece))
    return parts


def _run(service, task, targets, force, fetch, data):
    server, profile = task.server, task.profile
    try:
        if profile.new_seconds:
            time.sleep(profile.new_seconds)
        task.set("Running", 0)
        task.message("Update.1.1.UpdateInProgress", "The update is in progress", "OK")
        if fetch is not None:
            try:
                data = _fetch(fetch)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                task.fail(f"could not download the image from {fetch}: "
                          f"{getattr(exc, 'reason', exc)}")
                return
        try:
            header, _payload = image_mod.parse(data)
            chosen = targets.resolve(header["component"])
        except image_mod.ImageError as exc:
            task.fail(f"image rejected: {exc}")
            return
        for spec, iid in chosen:
            if header["component"] != spec.component:
                task.fail(f"image is for component {header['component']!r}, target "
                          f"{iid} is {spec.component!r}")
                return
            if (spec.lowest_supported_version and not force and _version_key(
                    header["version"]) < _version_key(spec.lowest_supported_version)):
                task.fail(f"version {header['version']} is below the lowest supported "
                          f"version {spec.lowest_supported_version} of {iid}")
                return
        injected = server.faults.take_update_failure()
        vanish = server.faults.take_vanish()
        steps = 10
        for i in range(1, steps + 1):
            time.sleep(profile.update_seconds / steps)
            percent = i * 100 // steps
            if vanish and percent >= vanish[0]:
                server.faults.make_unreachable(vanish[1])
                task.set(percent=percent)
                return  # the BMC is gone; the task never completes while it is
            if profile.fail_at_percent is not None and percent >= profile.fail_at_percent:
                task.set(percent=percent)
                task.fail(f"flash write failed at {percent} % (profile {profile.name})")
                return
            if injected and percent >= 50:
                task.set(percent=percent)
                task.fail(injected)
                return
            task.set(percent=min(percent, 99))
        with service.emu.lock:
            for spec, _iid in chosen:
                server.set_version(spec.inventory_id, header["version"])
        for _spec, iid in chosen:
            task.message("Update.1.1.UpdateSuccessful",
                         f"{iid} updated to {header['version']}", "OK",
                         (iid, header["version"]))
        if any(spec.kind == "bmc" for spec, _i in chosen) and \
                profile.bmc_unreachable_after_own_update:
            # The BMC reboots into its new firmware before anyone sees the task complete.
            server.faults.make_unreachable(profile.bmc_unreachable_after_own_update)
        task.set("Completed", 100)
    except Exception as exc:  # a bug must not leave the task Running forever
        task.fail(f"internal error of the emulator: {exc!r}")
    finally:
        with service.emu.lock:
            server.updating = False
