"""One programming job on this host: fetch the bitstream, verify it, program, read back.

The download is streamed from accel_api (authenticated with the agent's own
``[accel_api]`` credentials) into a locked temporary file (``accel_contract.staging``:
what a killed agent leaves is swept when it starts again) while its sha256 is
computed; the device is not touched unless the digest and size match what accel_api
recorded at upload. Programming itself is ipa_fpga's (issue 3): the GBS is checked
against the region's PR interface, written through DFL partial reconfiguration, and
the port's AFU id read back; Xilinx regions go through XRT's tool.

A failure says which of the programming spec's outcomes it is (``JobFailed.code``):
``INVALID_BITSTREAM`` (3) when the bytes cannot be fetched, are not what was uploaded
or carry another function than their record says, ``INVALID_DEPLOYABLE`` (2) when the
target is not on this host,
``INCOMPATIBLE`` when the bitstream does not fit the region (its PR interface, its
format), ``UNKNOWN`` (1) otherwise.
"""

import hashlib
import hmac
import logging
import os

from accel_contract import staging
from ipa_fpga.discovery import discover
from ipa_fpga.errors import IncompatibleImage, NotSupported
from ipa_fpga.program import dfl_pr, gbs, xrt
from ipa_fpga.steps import bitstream as bitstream_step

LOG = logging.getLogger(__name__)
CHUNK = 1024 * 1024
DOWNLOAD_PREFIX = "bitstream-"
#: Failure codes (the programming spec's 1-3, and one for an incompatible bitstream).
UNKNOWN, INVALID_DEPLOYABLE, INVALID_BITSTREAM, INCOMPATIBLE = (
    "unknown", "invalid_deployable", "invalid_bitstream", "incompatible")


class JobFailed(Exception):
    """The job failed; the message says why, for the operator; ``code`` which outcome."""

    def __init__(self, message, code=UNKNOWN):
        super().__init__(message)
        self.code = code


def _bad_bitstream(message):
    return JobFailed(message, INVALID_BITSTREAM)


def sweep_downloads(dest_dir):
    """Remove the partial downloads of a previous life of this agent (killed mid-job);
    returns their names."""
    removed = staging.sweep(dest_dir, DOWNLOAD_PREFIX)
    for name in removed:
        LOG.warning("removed %s, a download left by an agent that stopped", name)
    return removed


def download(session, url, expected_sha256, expected_size, dest_dir, limit, timeout):
    """Stream ``url`` to a locked temp file under ``dest_dir``; the verified
    ``staging.StagedFile`` (``close()`` removes it) or JobFailed."""
    if expected_size is not None and expected_size > limit:
        raise _bad_bitstream(f"bitstream is {expected_size} bytes, over this agent's limit "
                             f"{limit}")
    os.makedirs(dest_dir, mode=0o700, exist_ok=True)
    staged = staging.StagedFile(dest_dir, DOWNLOAD_PREFIX)
    hasher = hashlib.sha256()
    size = 0
    try:
        try:
            # accel-api never redirects a download: a redirect would take the agent's
            # credentials, and the agent, somewhere the job's URL check never saw.
            resp = session.get(url, stream=True, raise_exc=False, redirect=False,
                               timeout=(10, timeout))
        except Exception as exc:
            raise _bad_bitstream(f"cannot fetch the bitstream: {type(exc).__name__}") \
                from None
        with resp:
            if resp.status_code != 200:
                raise _bad_bitstream(f"cannot fetch the bitstream: HTTP {resp.status_code}")
            for chunk in resp.iter_content(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _bad_bitstream(f"bitstream larger than this agent's limit {limit}")
                hasher.update(chunk)
                staged.file.write(chunk)
        staged.file.flush()
        if expected_size is not None and size != expected_size:
            raise _bad_bitstream(f"downloaded {size} bytes, expected {expected_size}")
        if not hmac.compare_digest(hasher.hexdigest(), str(expected_sha256 or "")):
            raise _bad_bitstream("sha256 of the downloaded bitstream differs from the "
                                 "uploaded one; the device was not touched")
        return staged
    except BaseException:
        staged.close()
        raise


def _find_region(root, hostname, device_id, deployable_id):
    doc = discover(root, hostname)
    for device in doc["devices"]:
        if device["id"] != device_id:
            continue
        for dep in device["deployables"]:
            if dep["id"] == deployable_id:
                return device, dep
        raise JobFailed(f"device {device_id} has no deployable {deployable_id}",
                        INVALID_DEPLOYABLE)
    raise JobFailed(f"no device {device_id} on this host", INVALID_DEPLOYABLE)


def program(root, hostname, job, image_path, pr_timeout=120):
    """Program ``image_path`` into the job's region; returns the verified function id."""
    device, dep = _find_region(root, hostname, job["device_id"], job["deployable_id"])
    if dep["kind"] != "region":
        raise JobFailed(f"deployable {dep['id']} is a {dep['kind']}, not an FPGA region",
                        INVALID_DEPLOYABLE)
    try:
        if device["driver"] == "intel_dfl":
            image = gbs.parse(image_path, device["id"])
            if job.get("function_id") and image.afu_id and \
                    image.afu_id != job["function_id"].replace("-", "").lower():
                raise _bad_bitstream(f"the GBS carries AFU {image.afu_id}, the bitstream "
                                     f"record says {job['function_id']}")
            node, port, compat = bitstream_step._dfl_paths(root, device)
            return dfl_pr.program(root, node, port, compat, image_path, device["id"],
                                  timeout=pr_timeout)
        if device["driver"] == "xilinx_xrt":
            xrt.program_xclbin(device, image_path)
            return job.get("function_id")
    except JobFailed:
        raise
    except IncompatibleImage as exc:  # the PR interface or the format does not fit
        raise JobFailed(str(exc), INCOMPATIBLE) from None
    except NotSupported as exc:
        raise JobFailed(f"not supported: {exc}") from None
    except Exception as exc:  # ipa_fpga's typed errors carry the operator's message
        raise JobFailed(str(exc) or type(exc).__name__) from None
    raise JobFailed(f"no in-band programming for driver {device['driver']}")
