"""Update one accelerator's firmware out-of-band: SimpleUpdate targeted at its inventory
entry, or multipart push of a local image where the BMC offers it; poll; verify.

Nothing is sent to the BMC before the image is known good: a given checksum is checked
first (the image is read once, streamed), the target must exist and be updateable.
After the task completes the entry's version is read back and compared.

Three stages, so that a conductor never blocks on a BMC: ``start_update`` (every check,
then the request; returns a small JSON-serialisable state), ``poll_update`` (one look
at the task, or at the version once the task is over; never sleeps) and
``finish_update`` (the version read-back and its verdict). ``update_accelerator_firmware``
runs the three in a loop for synchronous callers (the demo, the tests).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import time
import urllib.parse

import requests
from sushy import exceptions as sushy_exc

from ironic_fpga.redfish import client, errors, task_poller

LOG = logging.getLogger(__name__)
_CHUNK = 1024 * 1024
_ALGOS = ("sha256", "sha384", "sha512")


def _split_checksum(checksum):
    """``"sha256:<hex>"`` or a bare hex digest (length picks the algorithm)."""
    if not checksum:
        return None, None
    algo, sep, digest = str(checksum).partition(":")
    if not sep:
        algo, digest = {64: "sha256", 96: "sha384", 128: "sha512"}.get(len(algo)), algo
    if algo not in _ALGOS or not digest or any(c not in "0123456789abcdef"
                                                for c in digest.lower()):
        raise errors.UnsupportedImage(
            f"checksum {checksum!r} is not '<sha256|sha384|sha512>:<hex digest>'")
    return algo, digest.lower()


def _check_file(path, algo, digest):
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    if h.hexdigest() != digest:
        raise errors.ImageChecksumMismatch(
            f"{path}: {algo} is {h.hexdigest()}, expected {digest}; nothing was sent to the BMC")


def _check_url(url, algo, digest, verify, timeout=60):
    h = hashlib.new(algo)
    try:
        with requests.get(url, stream=True, timeout=timeout, verify=verify) as resp:
            resp.raise_for_status()
            for chunk in resp.iter_content(_CHUNK):
                h.update(chunk)
    except requests.RequestException as exc:
        raise errors.UnsupportedImage(f"cannot download {url} to check it: {exc}") from None
    if h.hexdigest() != digest:
        raise errors.ImageChecksumMismatch(
            f"{url}: {algo} is {h.hexdigest()}, expected {digest}; nothing was sent to the BMC")


#: Largest image fetched for a multipart push when the BMC states no MaxImageSizeBytes.
MAX_IMAGE_BYTES = 4 << 30


def _is_path(uri):
    return isinstance(uri, str) and uri.startswith("/") and not uri.startswith("//")


def _simple_update_targets(conn, action):
    """Whether SimpleUpdate takes ``Targets``: what its ActionInfo lists (an HGX host BMC's
    SimpleUpdate updates only itself and lists none); True when it has no ActionInfo."""
    info_uri = action.get("@Redfish.ActionInfo")
    if not _is_path(info_uri):
        return True
    try:
        info = conn.get(info_uri).json()
    except (sushy_exc.SushyError, ValueError):
        return True
    names = {p.get("Name") for p in info.get("Parameters") or [] if isinstance(p, dict)}
    return "Targets" in names


def _download(url, algo, digest, verify, limit, timeout=600):
    """The image at ``url`` in a temporary file (its path), its checksum checked."""
    h = hashlib.new(algo) if algo else None
    size = 0
    fd, path = tempfile.mkstemp(prefix="accel-fw-", suffix=".bin")
    try:
        with os.fdopen(fd, "wb") as out, requests.get(url, stream=True, timeout=timeout,
                                                       verify=verify) as resp:
            resp.raise_for_status()
            for chunk in resp.iter_content(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise errors.UnsupportedImage(
                        f"{url} is larger than the {limit} bytes the BMC takes; nothing "
                        "was sent to the BMC")
                out.write(chunk)
                if h:
                    h.update(chunk)
        if h and h.hexdigest() != digest:
            raise errors.ImageChecksumMismatch(
                f"{url}: {algo} is {h.hexdigest()}, expected {digest}; nothing was sent to "
                "the BMC")
        return path
    except requests.RequestException as exc:
        os.unlink(path)
        raise errors.UnsupportedImage(f"cannot download {url}: {exc}") from None
    except BaseException:
        os.unlink(path)
        raise


def _push(root, push_uri, path, target, force, username, password, verify, filename=None):
    """POST the image at ``path`` to the BMC's MultipartHttpPushUri, aimed at ``target``
    (``filename``: the name the BMC sees, a basename)."""
    params = {"Targets": [target], "ForceUpdate": bool(force)}
    base = root._conn._url.rstrip("/")
    # the node's credentials, else the session the root already holds
    token = root._conn._session.headers.get("X-Auth-Token")
    headers = {"X-Auth-Token": token} if token and not username else {}
    try:
        with open(path, "rb") as f:
            resp = requests.post(
                base + push_uri, auth=(username, password) if username else None,
                headers=headers, verify=verify, timeout=600,
                files={"UpdateParameters": (None, json.dumps(params), "application/json"),
                       "UpdateFile": (filename or os.path.basename(path), f,
                                      "application/octet-stream")})
    except requests.RequestException as exc:
        raise errors.BMCUnreachable(f"pushing the image to the BMC failed: {exc}") from None
    if resp.status_code >= 400:
        raise errors.UpdateRejected(
            f"the BMC refused the multipart update ({resp.status_code}): {resp.text[:500]}")
    return resp


def _reread_version(conn, target_uri):
    try:
        return conn.get(target_uri).json().get("Version")
    except sushy_exc.ResourceNotFoundError:
        raise errors.DeviceNotFound(f"the update finished but {target_uri} is gone") \
            from None
    except sushy_exc.SushyError as exc:
        raise errors.BMCUnreachable(
            f"the update finished but {target_uri} cannot be read back: {exc}") from None


def _refound_version(conn, state):
    """The version of the updated component when its entry moved (iDRAC names entries
    after their version: ``Installed-0-<version>__<FQDD>``), read from the inventory."""
    accelerators = client.inventory.read(conn, state.get("system")).accelerators
    _acc, fw = client.find_component(accelerators, state["device"], state["component"])
    LOG.info("%s %s: the updated entry is now %s", state["device"], state["component"],
             fw["update_target"])
    state["target"] = fw["update_target"] or state["target"]
    return fw["version"]


def _version_once(conn, target, seen, now, unreachable_timeout, state=None):
    """(True, the target's version), or (False, None) while a rebooting BMC is away;
    BMCUnreachable once it has not answered for ``unreachable_timeout`` since
    ``seen["at"]`` (its last answer, kept up to date here). An entry gone after the
    update is looked for again in the inventory (``state``: the update's)."""
    try:
        try:
            version = _reread_version(conn, target)
        except errors.DeviceNotFound:
            if state is None:
                raise
            version = _refound_version(conn, state)
    except errors.BMCUnreachable:
        seen.setdefault("at", now)
        if now - seen["at"] > unreachable_timeout:
            raise
        return False, None
    seen["at"] = now
    return True, version


@dataclasses.dataclass
class Progress:
    """One ``poll_update`` look: ``result`` when the update is verified, else ``delay``
    (seconds before the next look is useful) and the task's state/percentage."""

    result: dict | None
    delay: float
    task_state: str | None
    percent: int | None

    @property
    def done(self):
        return self.result is not None


def start_update(root, system_id, device, image_url, component=None, checksum=None,
                 force=False, expected_version=None, allow_file=False, username=None,
                 password=None, verify=True, clock=time.time):
    """Check everything, then ask the BMC to update ``device``'s firmware; do not wait.

    ``component``: the firmware component, else the device's first updateable one.
    Returns the update's state, a JSON-serialisable dict for ``poll_update`` (no secret in
    it). Raises a subclass of ``errors.RedfishAccelError`` with an actionable message.
    """
    algo, digest = _split_checksum(checksum)
    scheme = urllib.parse.urlsplit(str(image_url)).scheme.lower()
    if scheme not in ("http", "https", "file"):
        raise errors.UnsupportedImage(
            f"image URL scheme {scheme or 'none'!r} is not allowed (http, https, or file "
            "when enabled)")
    if scheme == "file" and not allow_file:
        raise errors.UnsupportedImage("file:// images are disabled ([accel_redfish] "
                                      "allow_file_images)")
    conn = root._conn
    try:
        inv = client.read_inventory(root, system_id)
        _acc, fw = client.find_component(inv.accelerators, device, component)
        if not fw["updatable"]:
            raise errors.NotUpdatable(f"{device} {fw['component']} is not updatable: "
                                      f"{fw.get('not_updatable_reason') or 'the BMC says so'}")
        # read with the inventory, not fetched again; never None here: a component is
        # updatable only when the BMC has an UpdateService (firmware.components)
        update = inv.update_service
    except errors.BMCUnreachable as exc:  # nothing sent yet: the caller may try again
        raise errors.BMCNotReady(str(exc)) from None
    target = fw["update_target"]
    before = fw["version"]

    action = (update.get("Actions") or {}).get("#UpdateService.SimpleUpdate") or {}
    push_uri = update.get("MultipartHttpPushUri")
    if push_uri is not None and not _is_path(push_uri):
        raise errors.UnsupportedImage(
            f"the BMC's MultipartHttpPushUri {push_uri!r} is not a path on the BMC; "
            "refusing to send the image and the credentials anywhere else")
    if scheme == "file":
        path = urllib.parse.unquote(urllib.parse.urlsplit(image_url).path)
        if not os.path.isfile(path):
            raise errors.UnsupportedImage(f"local image {path} does not exist")
        if algo:
            _check_file(path, algo, digest)
        if not push_uri:
            raise errors.UnsupportedImage(
                "the BMC offers no MultipartHttpPushUri; serve the image over HTTP(S) instead")
        transfer = "multipart"
        resp = _push(root, push_uri, path, target, force, username, password, verify)
    elif action.get("target") and _simple_update_targets(conn, action):
        if algo:
            _check_url(image_url, algo, digest, verify)
        transfer = "simple-update"
        body = {"ImageURI": image_url, "TransferProtocol": scheme.upper(),
                "Targets": [target], "ForceUpdate": bool(force)}
        try:
            resp = conn.post(action["target"], data=body)
        except sushy_exc.BadRequestError as exc:
            raise errors.UpdateRejected(f"the BMC refused the update: {exc.detail or exc}") \
                from None
        except sushy_exc.ConnectionError as exc:
            raise errors.BMCUnreachable(f"the BMC stopped answering: {exc}") from None
        except sushy_exc.HTTPError as exc:
            raise errors.UpdateRejected(f"the BMC refused the update: {exc}") from None
    elif push_uri:
        # SimpleUpdate cannot name one device here (an HGX host BMC's is its own): fetch
        # the image and push it with the one target.
        transfer = "multipart"
        path = _download(image_url, algo, digest, verify,
                         update.get("MaxImageSizeBytes") or MAX_IMAGE_BYTES)
        name = os.path.basename(urllib.parse.urlsplit(str(image_url)).path) or "image.bin"
        try:
            resp = _push(root, push_uri, path, target, force, username, password, verify,
                         filename=name)
        finally:
            os.unlink(path)
    else:
        raise errors.UnsupportedImage(
            "the BMC's UpdateService can update only what an image fits (its SimpleUpdate "
            "takes no Targets) and offers no multipart push: it cannot update "
            f"{device} {fw['component']} alone; nothing was sent")
    monitor = resp.headers.get("Location")
    try:
        task = resp.json() if resp.content else None
    except ValueError:
        task = None
    LOG.info("%s %s: %s started (%s -> %s), monitor %s", system_id, device, transfer,
             before, image_url, monitor)
    if not monitor and not (isinstance(task, dict) and task.get("@odata.id")):
        raise errors.UpdateRejected(
            f"the BMC accepted the update ({resp.status_code}) but gave no task to follow")
    poll = task_poller.TaskPoller(conn, clock=clock).begin(monitor, task)
    return {"device": device, "component": fw["component"], "target": target,
            "system": system_id,
            "before": before, "expected_version": expected_version, "transfer": transfer,
            "image_url": str(image_url), "started_at": poll.started_at,
            "phase": "task", "poll": poll.to_dict()}


def waiting_to_start(error, clock=time.time):
    """The state of an update whose BMC did not answer when it was to start."""
    return {"phase": "start", "waiting_since": clock(), "error": str(error)}


def wait_to_start(state, error, unreachable_timeout=300, clock=time.time):
    """Another failed attempt to start (``error``: the BMC still does not answer).

    A ``Progress`` with the delay before the next attempt while the BMC has been silent
    for at most ``unreachable_timeout`` seconds (it is rebooting), BMCUnreachable after.
    """
    waited = clock() - state["waiting_since"]
    state["error"] = str(error)
    if waited > unreachable_timeout:
        raise errors.BMCUnreachable(
            f"the BMC did not answer for {int(waited)} s when the update was to start "
            f"(allowed: {unreachable_timeout} s): {error}")
    return Progress(None, min(5.0, max(1.0, waited / 10)), "WaitingForBMC", 0)


def poll_update(conn, state, timeout=1800, unreachable_timeout=300, progress=None,
                clock=time.time):
    """One look at a started update (``state`` from ``start_update``, updated in place).

    While the task runs: the task; once it is over: the version (``finish_update``).
    Returns a ``Progress``; raises the typed errors. ``timeout`` counts from the start.
    """
    if state["phase"] == "task":
        poller = task_poller.TaskPoller(conn, timeout=timeout,
                                        unreachable_timeout=unreachable_timeout, clock=clock)
        st = task_poller.PollState.from_dict(state["poll"])
        try:
            poll = poller.poll_once(st, progress=progress)
        finally:
            state["poll"] = st.to_dict()
        if not poll.done:
            return Progress(None, poll.delay, poll.state, poll.percent)
        result = poll.result
        state.update(phase="verify", task={"state": result.state, "uri": result.task_uri,
                                           "messages": result.messages[-10:]},
                     readback_seen={"at": st.answered_at})
    return finish_update(conn, state, unreachable_timeout=unreachable_timeout, clock=clock)


def finish_update(conn, state, unreachable_timeout=300, clock=time.time):
    """Read the version back after the task and judge it; a ``Progress``.

    A BMC rebooting into new firmware is waited out across calls (``Progress`` with a
    delay) for up to ``unreachable_timeout``; VerificationFailed when the version is not
    the expected one (or, without ``expected_version``, did not change).
    """
    seen = state.setdefault("readback_seen", {})
    known, after = _version_once(conn, state["target"], seen, clock(), unreachable_timeout,
                                 state)
    if not known:
        return Progress(None, 1.0, state["task"]["state"], 100)
    device, component, before = state["device"], state["component"], state["before"]
    expected = state.get("expected_version")
    if expected is not None and after != expected:
        raise errors.VerificationFailed(
            f"{device} {component}: the BMC reports version {after} after the update, "
            f"expected {expected}")
    if expected is None and after == before:
        raise errors.VerificationFailed(
            f"{device} {component}: version is still {before} after the update task "
            f"({state['task']['state']}); give expected_version to re-flash the same version")
    return Progress({"device": device, "component": component, "target": state["target"],
                     "before": before, "after": after, "task": state["task"]["uri"],
                     "transfer": state["transfer"], "messages": state["task"]["messages"]},
                    0.0, state["task"]["state"], 100)


def update_accelerator_firmware(root, system_id, device, image_url, component=None,
                                checksum=None, force=False, expected_version=None,
                                allow_file=False, username=None, password=None, verify=True,
                                timeout=1800, unreachable_timeout=300, progress=None,
                                sleep=time.sleep):
    """Update ``device``'s firmware and wait for the verified outcome (blocking).

    Returns ``{"device", "component", "target", "before", "after", "task", "transfer"}``.
    Raises a subclass of ``errors.RedfishAccelError`` with an actionable message.
    """
    waiting = None
    while True:
        try:
            state = start_update(root, system_id, device, image_url, component=component,
                                 checksum=checksum, force=force,
                                 expected_version=expected_version, allow_file=allow_file,
                                 username=username, password=password, verify=verify)
            break
        except errors.BMCNotReady as exc:  # rebooting when we came: wait, bounded
            waiting = waiting or waiting_to_start(exc)
            sleep(wait_to_start(waiting, exc, unreachable_timeout).delay)
    while True:
        step = poll_update(root._conn, state, timeout=timeout,
                           unreachable_timeout=unreachable_timeout, progress=progress)
        if step.done:
            return step.result
        sleep(step.delay)


def _read_back(poller, conn, target):
    """The target's version, waiting out a BMC that reboots after the update (blocking)."""
    seen = {"at": poller.clock()}
    while True:
        known, version = _version_once(conn, target, seen, poller.clock(),
                                       poller.unreachable_timeout)
        if known:
            return version
        poller.sleep(1.0)
