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
    attach_handle_instance: str | None = None
    attach_handle_partition_type: str | None = None
    #: Neutron physnet of a network function's handle (Nova reads it for ports).
    attach_handle_physical_network: str | None = None

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


def attach_handle_info(handle, partition=None):
    """``handle_info`` of an ``AttachHandle`` row (and the partition made for it)."""
    if handle is None:
        return {}
    return handle_info(handle.type, handle.address, handle.partition_type, handle.instance,
                       partition, getattr(handle, "physical_network", None))


def handle_uuid(handle_type, handle_uuid_value, instance):
    """Cyborg's ``attach_handle_uuid``: an MDEV's is the mdev's own uuid."""
    return instance if handle_type == "MDEV" and instance else handle_uuid_value


def handle_info(handle_type, address, partition_type=None, instance=None, partition=None,
                physical_network=None):
    """Cyborg's shapes (strings only): PCI -> ``domain``/``bus``/``device``/``function``;
    MDEV -> the parent's PCI fields + ``asked_type`` (the mdev type) + ``vgpu_mark``
    (Cyborg's ``<type>_<n>``) + ``mdev_uuid``; MIG -> the GPU's PCI fields +
    ``mig_profile`` and, once created, ``gpu_instance_id``/``compute_instance_id``. A
    vendor-VFIO VF also says its ``vgpu_type`` id. A PCI handle of a network function
    says its ``physical_network`` (Nova's ``get_arq_pci_device_profile`` reads it for a
    port with a device profile)."""
    if handle_type is None:
        return {}
    domain, bus, rest = address.split(":")
    slot, function = rest.split(".")
    info = {"domain": domain, "bus": bus, "device": slot, "function": function}
    if handle_type == "MDEV":
        info.update(asked_type=partition_type or "", mdev_uuid=instance or "",
                    vgpu_mark=f"{partition_type}_{instance}")
    elif handle_type == "MIG":
        info["mig_profile"] = partition_type or ""
        if instance and instance.startswith("gi"):
            info["gpu_instance_id"] = instance[2:]
        for key in ("compute_instance_id", "gpu_uuid", "mig_device"):
            if partition and partition.get(key) is not None:
                info[key] = str(partition[key])
    elif partition_type:
        info["vgpu_type"] = partition_type
    if handle_type == "PCI" and physical_network:
        info["physical_network"] = physical_network
    return info
