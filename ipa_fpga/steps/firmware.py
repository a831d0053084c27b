"""``flash_accelerator_firmware``: board firmware and FPGA shells, verified after writing.

For each image: resolve the devices and check, before any byte is fetched, that each
can take it (component known and updatable on the device, no downgrade unless
``force``, not below the lowest supported version, the write interface there: a
complete and idle firmware-upload device, or XRT's tool); download and verify the
checksum once (the device is untouched until then), check the signed-image header
matches the component, write through the device's kernel interface, then re-read the
version and compare.
"""

import logging
import os
import shutil

from ipa_fpga import conf, images, selectors, url_guard, versions
from ipa_fpga.discovery import discover
from ipa_fpga.errors import IncompatibleImage, InvalidArgs, NotSupported, VerificationFailed
from ipa_fpga.flash import pac_image
from ipa_fpga.flash.fw_upload import FwUpload

LOG = logging.getLogger(__name__)

IMAGE_KEYS = {"url", "checksum", "checksum_type", "component", "version", "force",
              *selectors.KEYS}


def _validate(images_arg):
    if not isinstance(images_arg, list) or not images_arg:
        raise InvalidArgs("flash_accelerator_firmware", "'images' must be a non-empty list")
    for i, image in enumerate(images_arg):
        if not isinstance(image, dict):
            raise InvalidArgs(f"images[{i}]", "each image must be a mapping")
        unknown = set(image) - IMAGE_KEYS
        if unknown:
            raise InvalidArgs(f"images[{i}]", f"unknown keys {sorted(unknown)}")
        for key in ("url", "checksum", "component"):
            if not image.get(key):
                raise InvalidArgs(f"images[{i}]", f"'{key}' is required")
        selectors.parse(image)
        images.parse_checksum(image["checksum"], image.get("checksum_type"), f"images[{i}]")
        url_guard.check_url(image["url"], f"images[{i}]")


def _component(device, name):
    for fw in device.get("firmware", []):
        if fw["component"] == name:
            return fw
    have = ", ".join(fw["component"] for fw in device.get("firmware", [])) or "none"
    raise IncompatibleImage(device["id"], f"no firmware component {name!r} (has: {have})")


def _check_version(device, fw, image):
    wanted = image.get("version")
    if not wanted:
        return True
    current = fw.get("version")
    lowest = fw.get("lowest_supported_version")
    if lowest and versions.compare(wanted, lowest) < 0:
        raise IncompatibleImage(device["id"], f"{fw['component']} {wanted} is below the lowest "
                                              f"supported version {lowest}")
    if current and not image.get("force"):
        order = versions.compare(wanted, current)
        if order < 0:
            raise IncompatibleImage(device["id"], f"{fw['component']} {wanted} would downgrade "
                                                  f"{current}; set force to allow it")
        if order == 0:
            LOG.info("%s: %s already at %s; nothing to do", device["id"], fw["component"],
                     current)
            return False
    return True


def _check_writable(root, device, fw, component):
    """Before any byte is fetched: the device has the interface this component is written
    through (a complete, idle firmware-upload device; XRT's xbmgmt), else NotSupported."""
    method = fw["update_method"]
    if method == "fw_upload":
        if not fw.get("update_target"):
            raise NotSupported(device["id"], f"{component} names no firmware-upload device")
        FwUpload(_fw_upload_dir(root, fw), device["id"]).check_ready()
    elif method == "xrt":
        from ipa_fpga.program import xrt

        xrt.tool("xbmgmt", device["id"])
    elif method in ("vendor_tool", "none", "redfish"):
        raise NotSupported(device["id"], f"{component} is updated through {method}, which the "
                                         "ramdisk cannot do (use the BMC/Redfish or the "
                                         "vendor's tool)")
    else:
        raise NotSupported(device["id"], f"update method {method!r} is not supported")


def _fw_upload_dir(root, fw):
    return os.path.join(root, fw["update_target"].lstrip("/"))


def _write(root, device, fw, image_file, component):
    """Write a downloaded, checked image (``_check_writable`` passed for this device)."""
    if fw["update_method"] == "fw_upload":
        header = pac_image.read_header(image_file.path, device["id"])
        if header["component"] != component:
            raise IncompatibleImage(device["id"], f"image updates {header['component']}, "
                                                  f"not {component}")
        FwUpload(_fw_upload_dir(root, fw), device["id"]).upload(
            image_file.path, conf.options().fw_upload_timeout)
    else:
        from ipa_fpga.program import xrt

        xrt.flash_shell(device, image_file.path)


def flash(root, images_arg):
    """Run the step; return a summary list (one entry per device written)."""
    _validate(images_arg)
    results = []
    for image in images_arg:
        inventory = discover(root=root)
        devices = selectors.select(inventory, image)
        component = image["component"]
        plans = []
        for device in devices:
            fw = _component(device, component)
            if not fw.get("updatable"):
                raise NotSupported(device["id"], f"{component} is not updatable on this device")
            if _check_version(device, fw, image):
                _check_writable(root, device, fw, component)
                plans.append((device, fw))
        if not plans:
            continue
        with images.fetch(image["url"], image["checksum"], image.get("checksum_type"),
                          device=", ".join(d["id"] for d, _ in plans)) as image_file:
            for device, fw in plans:
                before = fw.get("version")
                _write(root, device, fw, image_file, component)
                after_doc = discover(root=root)
                after = _component(
                    selectors.select(after_doc, {"address": device["id"]})[0], component)
                got = after.get("version")
                if image.get("version") and versions.compare(got, image["version"]) != 0:
                    raise VerificationFailed(device["id"], f"{component} reads {got} after the "
                                                           f"update, expected {image['version']}")
                LOG.info("%s: %s %s -> %s", device["id"], component, before, got)
                results.append({"device": device["id"], "component": component,
                                "previous_version": before, "version": got})
    return results


def have_tool(name):
    return shutil.which(name) is not None
