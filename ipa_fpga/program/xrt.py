"""Xilinx Alveo through XRT's own tools (``xbmgmt``/``xbutil``), only when they are installed.

Argument lists only (never a shell string). Without the tools the operation
reports "not supported" naming the missing tool.
"""

import shutil
import subprocess

from ipa_fpga.errors import NotSupported, UpdateFailed


def tool(name, device):
    """The path of XRT's tool ``name``; NotSupported when it is not installed."""
    path = shutil.which(name)
    if path is None:
        raise NotSupported(device, f"{name} (XRT) is not installed in this ramdisk")
    return path


def _run(argv, device, timeout):
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise UpdateFailed(device, f"{argv[0]} did not finish in {timeout}s") from None
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-3:]
        raise UpdateFailed(device, f"{argv[0]} exited {proc.returncode}: {' / '.join(tail)}")
    return proc.stdout


def flash_shell_argv(tool, address, image_path):
    return [tool, "program", "--device", address, "--base", "--image", image_path, "--force"]


def program_xclbin_argv(tool, address, image_path):
    return [tool, "program", "--device", address, "--user", image_path]


def flash_shell(device, image_path, timeout=1800):
    address = device["id"]
    return _run(flash_shell_argv(tool("xbmgmt", address), address, image_path), address,
                timeout)


def user_pf(device):
    """The address of the card's user PF (xocl), or None."""
    return next((f["address"] for f in device["functions"]
                 if f["role"] == "user" and f.get("kernel_driver")), None)


def program_xclbin(device, image_path, timeout=300):
    address = user_pf(device) or device["id"]
    return _run(program_xclbin_argv(tool("xbutil", address), address, image_path), address,
                timeout)
