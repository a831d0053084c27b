"""Typed errors of the out-of-band firmware path; each message says what to do next."""


class RedfishAccelError(Exception):
    """Base class: any failure reading or updating accelerator firmware over Redfish."""


class BMCUnreachable(RedfishAccelError):
    """The BMC stopped answering (and did not come back within the allowed time)."""


class DeviceNotFound(RedfishAccelError):
    """No accelerator or firmware component with that name on the system."""


class NotUpdatable(RedfishAccelError):
    """The BMC reports the component as not updateable."""


class UnsupportedImage(RedfishAccelError):
    """The image location or transfer cannot be used (scheme, size, push not offered)."""


class ImageChecksumMismatch(RedfishAccelError):
    """The image does not match the checksum the operator gave; nothing was sent."""


class UpdateRejected(RedfishAccelError):
    """The BMC refused the update request (HTTP 4xx)."""


class TaskFailed(RedfishAccelError):
    """The BMC's update task ended in Exception/Killed/Cancelled."""


class TaskTimeout(RedfishAccelError):
    """The update task did not finish in the allowed time."""


class VerificationFailed(RedfishAccelError):
    """The task said it completed, but the firmware version read back is not the new one."""


class BadCollection(RedfishAccelError):
    """A collection cannot be read whole: its pages loop, or it is larger than we accept."""


class ReadLimitExceeded(RedfishAccelError):
    """Reading the BMC's inventory took more requests than allowed (a runaway service)."""


class SystemNotFound(DeviceNotFound):
    """No system with that id, or several systems and none was named."""


class NoUpdateService(NotUpdatable):
    """The BMC has no UpdateService (or no FirmwareInventory): versions can be read, not set."""


class BMCNotReady(BMCUnreachable):
    """The BMC did not answer before anything was sent to it (rebooting, busy): starting
    again later is safe."""
