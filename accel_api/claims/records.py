"""What the claim code hands around: ARQs read with Core rows, profile group helpers."""

import dataclasses

#: The fields a bind patch must add (``project_id`` is optional, microversion 2.1).
BIND_FIELDS = ("hostname", "device_rp_uuid", "instance_uuid")


@dataclasses.dataclass
class Arq:
    """An ARQ (or claim) as the API shows it, read with Core statements."""

    uuid: str
    state: str
    project_id: str | None
    device_profile_name: str | None
    device_profile_group_id: int
    group_unit: int = 0
    hostname: str | None = None
    device_rp_uuid: str | None = None
    instance_uuid: str | None = None
    attach_handle_id: int | None = None
    attach_handle_type: str | None = None
    attach_handle_address: str | None = None
    #: The handle's uuid (Cyborg's ``attach_handle_uuid``: for an MDEV, the mdev's uuid).
    attach_handle_uuid: str | None = None

    @classmethod
    def from_row(cls, row):
        """From a row of ``statements.ARQ_VIEW`` (its columns are these fields, in order)."""
        return cls(*row)


def group_units(group):
    """Number of accelerators a profile group asks for (sum of its ``resources:``)."""
    return sum(int(v) for k, v in group.items() if k.startswith("resources:"))


def group_accel(group):
    """The group's ``accel:`` keys (what a programmer acts on)."""
    return {k: v for k, v in group.items() if k.startswith("accel:")}


def group_resource_classes(group):
    """The resource classes the group asks for (``resources:FPGA`` -> ``FPGA``)."""
    return [k.split(":", 1)[1] for k in group if k.startswith("resources:")]


def attach_handle_info(handle):
    """Cyborg's shape: PCI -> domain/bus/device/function; MDEV -> the mdev uuid."""
    if handle is None:
        return {}
    return handle_info(handle.type, handle.address)


def handle_info(handle_type, address):
    if handle_type is None:
        return {}
    if handle_type == "PCI":
        domain, bus, rest = address.split(":")
        slot, function = rest.split(".")
        return {"domain": domain, "bus": bus, "device": slot, "function": function}
    return {"asked_type": address}
