"""Typed errors of the ramdisk side: each names the device and the reason.

When ironic-python-agent is installed they are IPA ``RESTError`` s, so a failing
step reaches Ironic's ``last_error`` as ``<message>: <device>: <reason>``.
"""

from accel_contract.errors import AccelError

try:  # IPA is present in the ramdisk; accel-agent on a hypervisor runs without it.
    from ironic_python_agent.errors import RESTError as _Base
except ImportError:  # pragma: no cover - exercised only without IPA
    class _Base(Exception):
        message = "An error occurred"

        def __init__(self, details=None):
            super().__init__(details)
            self.details = details

        def __str__(self):
            return f"{self.message}: {self.details}"


class AcceleratorError(AccelError, _Base):
    """An accelerator operation failed; ``device`` and ``reason`` say where and why."""

    message = "Accelerator operation failed"
    status_code = 500

    def __init__(self, device, reason):
        self.device = device
        self.reason = reason
        super().__init__(f"{device}: {reason}")


class InvalidArgs(AcceleratorError):
    message = "Invalid accelerator step arguments"
    status_code = 400


class DeviceNotFound(AcceleratorError):
    message = "Accelerator not found"
    status_code = 404


class ImageError(AcceleratorError):
    """Download, size or checksum failure: the device was not touched."""

    message = "Accelerator image rejected"


class IncompatibleImage(AcceleratorError):
    """The image does not fit the device (board, PR interface, downgrade)."""

    message = "Accelerator image incompatible"


class UpdateFailed(AcceleratorError):
    """The kernel or vendor tool reported a failure while writing."""

    message = "Accelerator update failed"


class VerificationFailed(AcceleratorError):
    """The write finished but the version/function read back is not the expected one."""

    message = "Accelerator update not verified"


class NotSupported(AcceleratorError):
    message = "Accelerator operation not supported"
    status_code = 501
