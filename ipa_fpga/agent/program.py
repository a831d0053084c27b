"""One programming job on this host: fetch the bitstream, verify it, program, read back.

The download is streamed from accel_api (authenticated with the agent's own
``[accel_api]`` credentials) into a private temporary file while its sha256 is
computed; the device is not touched unless the digest and size match what accel_api
recorded at upload. Programming itself is ipa_fpga's (issue 3): the GBS is checked
against the region's PR interface, written through DFL partial reconfiguration, and
the port's AFU id read back; Xilinx regions go through XRT's tool.
"""

import contextlib
import hashlib
import hmac
import logging
import os
import tempfile

from ipa_fpga.discovery import discover
from ipa_fpga.errors import NotSupported
from ipa_fpga.program import dfl_pr, gbs, xrt
from ipa_fpga.steps import bitstream as bitstream_step

LOG = logging.getLogger(__name__)
CHUNK = 1024 * 1024


class JobFailed(Exception):
    """The job failed; the message says why, for the operator."""


def download(session, url, expected_sha256, expected_size, dest_dir, limit, timeout):
    """Stream ``url`` to a temp file under ``dest_dir``; verified path or JobFailed."""
    if expected_size is not None and expected_size > limit:
        raise JobFailed(f"bitstream is {expected_size} bytes, over this agent's limit {limit}")
    os.makedirs(dest_dir, mode=0o700, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="bitstream-", dir=dest_dir)
    hasher = hashlib.sha256()
    size = 0
    try:
        try:
            resp = session.get(url, stream=True, raise_exc=False, timeout=(10, timeout))
        except Exception as exc:
            raise JobFailed(f"cannot fetch the bitstream: {type(exc).__name__}") from None
        with resp, os.fdopen(fd, "wb") as out:
            if resp.status_code != 200:
                raise JobFailed(f"cannot fetch the bitstream: HTTP {resp.status_code}")
            for chunk in resp.iter_content(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise JobFailed(f"bitstream larger than this agent's limit {limit}")
                hasher.update(chunk)
                out.write(chunk)
        if expected_size is not None and size != expected_size:
            raise JobFailed(f"downloaded {size} bytes, expected {expected_size}")
        if not hmac.compare_digest(hasher.hexdigest(), str(expected_sha256 or "")):
            raise JobFailed("sha256 of the downloaded bitstream differs from the uploaded "
                            "one; the device was not touched")
        return path
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise


def _find_region(root, hostname, device_id, deployable_id):
    doc = discover(root, hostname)
    for device in doc["devices"]:
        if device["id"] != device_id:
            continue
        for dep in device["deployables"]:
            if dep["id"] == deployable_id:
                return device, dep
        raise JobFailed(f"device {device_id} has no deployable {deployable_id}")
    raise JobFailed(f"no device {device_id} on this host")


def program(root, hostname, job, image_path, pr_timeout=120):
    """Program ``image_path`` into the job's region; returns the verified function id."""
    device, dep = _find_region(root, hostname, job["device_id"], job["deployable_id"])
    if dep["kind"] != "region":
        raise JobFailed(f"deployable {dep['id']} is a {dep['kind']}, not an FPGA region")
    try:
        if device["driver"] == "intel_dfl":
            image = gbs.parse(image_path, device["id"])
            if job.get("function_id") and image.afu_id and \
                    image.afu_id != job["function_id"].replace("-", "").lower():
                raise JobFailed(f"the GBS carries AFU {image.afu_id}, the bitstream record "
                                f"says {job['function_id']}")
            node, port, compat = bitstream_step._dfl_paths(root, device)
            return dfl_pr.program(root, node, port, compat, image_path, device["id"],
                                  timeout=pr_timeout)
        if device["driver"] == "xilinx_xrt":
            xrt.program_xclbin(device, image_path)
            return job.get("function_id")
    except JobFailed:
        raise
    except NotSupported as exc:
        raise JobFailed(f"not supported: {exc}") from None
    except Exception as exc:  # ipa_fpga's typed errors carry the operator's message
        raise JobFailed(str(exc) or type(exc).__name__) from None
    raise JobFailed(f"no in-band programming for driver {device['driver']}")
