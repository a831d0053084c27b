"""Update one accelerator's firmware out-of-band: SimpleUpdate targeted at its inventory
entry, or multipart push of a local image where the BMC offers it; poll; verify.

Nothing is sent to the BMC before the image is known good: a given checksum is checked
first (the image is read once, streamed), the target must exist and be updateable.
After the task completes the entry's version is read back and compared.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
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


def _reread_version(conn, target_uri):
    try:
        return conn.get(target_uri).json().get("Version")
    except sushy_exc.SushyError as exc:
        raise errors.BMCUnreachable(
            f"the update finished but {target_uri} cannot be read back: {exc}") from None


def update_accelerator_firmware(root, system_id, device, image_url, component=None,
                                checksum=None, force=False, expected_version=None,
                                allow_file=False, username=None, password=None, verify=True,
                                timeout=1800, unreachable_timeout=300, progress=None):
    """Update ``device``'s firmware (its ``component``, else its first updateable one).

    Returns ``{"device", "component", "target", "before", "after", "task", "transfer"}``.
    Raises a subclass of ``errors.RedfishAccelError`` with an actionable message.
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
    accelerators = client.read_accelerators(root, system_id)
    _acc, fw = client.find_component(accelerators, device, component)
    if not fw["updatable"]:
        raise errors.NotUpdatable(f"{device} {fw['component']} is not updateable on this BMC")
    target = fw["update_target"]
    before = fw["version"]
    update = client.update_service(conn, root)

    if scheme == "file":
        path = urllib.parse.unquote(urllib.parse.urlsplit(image_url).path)
        if not os.path.isfile(path):
            raise errors.UnsupportedImage(f"local image {path} does not exist")
        if algo:
            _check_file(path, algo, digest)
        push_uri = update.get("MultipartHttpPushUri")
        if not push_uri:
            raise errors.UnsupportedImage(
                "the BMC offers no MultipartHttpPushUri; serve the image over HTTP(S) instead")
        transfer = "multipart"
        params = {"Targets": [target], "ForceUpdate": bool(force)}
        base = root._conn._url.rstrip("/")
        try:
            with open(path, "rb") as f:
                resp = requests.post(
                    base + push_uri, auth=(username, password) if username else None,
                    verify=verify, timeout=600,
                    files={"UpdateParameters": (None, json.dumps(params), "application/json"),
                           "UpdateFile": (os.path.basename(path), f,
                                          "application/octet-stream")})
        except requests.RequestException as exc:
            raise errors.BMCUnreachable(f"pushing the image to the BMC failed: {exc}") from None
        if resp.status_code >= 400:
            raise errors.UpdateRejected(
                f"the BMC refused the multipart update ({resp.status_code}): {resp.text[:500]}")
    else:
        if algo:
            _check_url(image_url, algo, digest, verify)
        action = (update.get("Actions") or {}).get("#UpdateService.SimpleUpdate") or {}
        if not action.get("target"):
            raise errors.UnsupportedImage("the BMC's UpdateService has no SimpleUpdate action")
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
    poller = task_poller.TaskPoller(conn, timeout=timeout,
                                    unreachable_timeout=unreachable_timeout)
    result = poller.wait(monitor, task=task, progress=progress)
    deadline_poller = task_poller.TaskPoller(conn, timeout=unreachable_timeout,
                                             unreachable_timeout=unreachable_timeout)
    after = _read_back(deadline_poller, conn, target)
    if expected_version is not None and after != expected_version:
        raise errors.VerificationFailed(
            f"{device} {fw['component']}: the BMC reports version {after} after the update, "
            f"expected {expected_version}")
    if expected_version is None and after == before:
        raise errors.VerificationFailed(
            f"{device} {fw['component']}: version is still {before} after the update task "
            f"({result.state}); give expected_version to re-flash the same version")
    return {"device": device, "component": fw["component"], "target": target,
            "before": before, "after": after, "task": result.task_uri, "transfer": transfer,
            "messages": result.messages}


def _read_back(poller, conn, target):
    """The target's version, waiting out a BMC that reboots after the update."""
    start = poller.clock()
    while True:
        try:
            return _reread_version(conn, target)
        except errors.BMCUnreachable:
            if poller.clock() - start > poller.unreachable_timeout:
                raise
            poller.sleep(1.0)
