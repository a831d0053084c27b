"""SQLAlchemy 2.x models of the deployable model and the claims on it.

Invariants live in the database, not only in Python:

* ``accelerator_requests.attach_handle_id`` is UNIQUE: a handle is held by at most one
  ARQ (NULLs, i.e. unbound ARQs, do not collide on SQLite, PostgreSQL or MariaDB);
* ``uq_arq_instance_group_unit``: an instance cannot be bound twice to the same unit
  of the same profile group (one ARQ is created per requested unit; ``group_unit`` is
  its index in the group);
* ``deployables.rp_uuid`` is UNIQUE and is the key Nova binds with.
"""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

UUID_LEN = 36


def utcnow():
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
        }
    )


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, onupdate=utcnow)


class Host(TimestampMixin, Base):
    """A machine whose inventory was imported (hypervisor or bare-metal node)."""

    __tablename__ = "hosts"
    id: Mapped[int] = mapped_column(primary_key=True)
    hostname: Mapped[str] = mapped_column(sa.String(255), unique=True)
    system_uuid: Mapped[str | None] = mapped_column(sa.String(64))
    collected_at: Mapped[str | None] = mapped_column(sa.String(64))
    #: "<collector name> <version>": up to 255 + 1 + 64 characters (the contract's).
    collector: Mapped[str | None] = mapped_column(sa.String(320))
    #: Digest of the last imported document but its ``collected_at``: a report with the
    #: same digest changes nothing (cleared when rows it made change otherwise).
    report_digest: Mapped[str | None] = mapped_column(sa.String(64))
    devices: Mapped[list["Device"]] = relationship(back_populates="host")


class HostPlacement(Base):
    """Where a host's providers are in Placement and what was last written there.

    ``kind`` is ``nova`` (the providers go under the compute node's provider, named
    ``nodename``) or ``standalone`` (under a root of ours). ``state``: ``waiting`` (for
    the compute node's provider, since ``state_since``), ``synced``, ``error``
    (``reason`` says why). ``digest`` and ``providers`` (``{uuid: [generation, digest]}``
    of each provider as last written) let an unchanged report skip Placement but for
    one read; ``next_try_at`` schedules the next retry of a waiting or failed host.
    """

    __tablename__ = "host_placements"
    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(
        sa.ForeignKey("hosts.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    nodename: Mapped[str | None] = mapped_column(sa.String(255))
    state: Mapped[str] = mapped_column(sa.String(16))
    state_since: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow)
    reason: Mapped[str | None] = mapped_column(sa.String(1024))
    root_uuid: Mapped[str | None] = mapped_column(sa.String(UUID_LEN))
    digest: Mapped[str | None] = mapped_column(sa.String(64))
    providers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: A root named like the host with nothing in it (a leftover, or Nova's being made).
    suspect_root_uuid: Mapped[str | None] = mapped_column(sa.String(UUID_LEN))
    suspect_since: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    tries: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_try_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, index=True)
    synced_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[dt.datetime | None] = mapped_column(
        sa.DateTime, default=utcnow, onupdate=utcnow)


class Device(TimestampMixin, Base):
    """A physical accelerator card (its PCI device id within the host)."""

    __tablename__ = "devices"
    __table_args__ = (sa.UniqueConstraint("host_id", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(UUID_LEN), unique=True)
    host_id: Mapped[int] = mapped_column(sa.ForeignKey("hosts.id"), index=True)
    address: Mapped[str] = mapped_column(sa.String(32))
    type: Mapped[str] = mapped_column(sa.String(32))
    vendor: Mapped[str] = mapped_column(sa.String(16))
    vendor_name: Mapped[str | None] = mapped_column(sa.String(255))
    model: Mapped[str] = mapped_column(sa.String(255))
    driver: Mapped[str] = mapped_column(sa.String(64))
    std_board_info: Mapped[dict] = mapped_column(sa.JSON)
    vendor_board_info: Mapped[dict] = mapped_column(sa.JSON)
    traits: Mapped[list] = mapped_column(sa.JSON)
    #: enabled | disabled (operator) ; lost = vanished from inventory while held.
    status: Mapped[str] = mapped_column(sa.String(16), default="enabled")
    lost: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    host: Mapped[Host] = relationship(back_populates="devices")
    deployables: Mapped[list["Deployable"]] = relationship(back_populates="device")


class Deployable(TimestampMixin, Base):
    """A unit that can be assigned (FPGA region, VF, MIG slice...), in a tree per device."""

    __tablename__ = "deployables"
    __table_args__ = (sa.UniqueConstraint("device_id", "local_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(UUID_LEN), unique=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id"), index=True)
    local_id: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(255))
    kind: Mapped[str] = mapped_column(sa.String(32))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deployables.id"), index=True)
    root_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deployables.id"), index=True)
    num_accelerators: Mapped[int] = mapped_column(sa.Integer, default=0)
    resource_class: Mapped[str | None] = mapped_column(sa.String(255))
    traits: Mapped[list] = mapped_column(sa.JSON)
    #: accel_contract.identity.deployable_rp_uuid(hostname, deployable id): stable uuid5.
    rp_uuid: Mapped[str] = mapped_column(sa.String(UUID_LEN), unique=True)
    driver_name: Mapped[str | None] = mapped_column(sa.String(64))
    programmable: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    bitstream_id: Mapped[str | None] = mapped_column(sa.String(UUID_LEN))
    lost: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    device: Mapped[Device] = relationship(back_populates="deployables")
    attach_handles: Mapped[list["AttachHandle"]] = relationship(back_populates="deployable")


class Attribute(TimestampMixin, Base):
    """A key/value fact about a deployable (from the inventory, or set by the admin)."""

    __tablename__ = "attributes"
    __table_args__ = (sa.UniqueConstraint("deployable_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(UUID_LEN), unique=True)
    deployable_id: Mapped[int] = mapped_column(sa.ForeignKey("deployables.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(128))
    value: Mapped[str | None] = mapped_column(sa.String(4096))
    #: inventory = replaced at each import; api = set by the admin, kept.
    source: Mapped[str] = mapped_column(sa.String(16), default="inventory")


class AttachHandle(TimestampMixin, Base):
    """What is handed to the instance: a PCI function, or one partition of a parent.

    ``type`` PCI (``address`` is the function), MDEV or MIG (``address`` is the parent
    function, ``partition_type`` the mdev type / MIG profile, ``instance`` which partition:
    the mdev uuid, ``gi<ID>`` or ``slot<N>``). Several mdevs share one parent address, so
    a handle is unique by (deployable, type, address, instance); ``instance`` is ``''``
    for PCI. A VF of NVIDIA's vendor VFIO framework is a PCI handle with
    ``partition_form`` ``vgpu_vf`` and its current vGPU type id in ``partition_type``.
    """

    __tablename__ = "attach_handles"
    __table_args__ = (
        sa.UniqueConstraint("deployable_id", "type", "address", "instance"),
        sa.Index("ix_attach_handles_free", "deployable_id", "in_use"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(UUID_LEN), unique=True)
    deployable_id: Mapped[int] = mapped_column(sa.ForeignKey("deployables.id"))
    type: Mapped[str] = mapped_column(sa.String(16))
    address: Mapped[str] = mapped_column(sa.String(255))
    instance: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    partition_form: Mapped[str | None] = mapped_column(sa.String(16))
    partition_type: Mapped[str | None] = mapped_column(sa.String(64))
    in_use: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    lost: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    #: Neutron physical network of a network function (SmartNIC/DPU VF or PF), as the
    #: host's inventory says; Nova reads it from ``attach_handle_info``.
    physical_network: Mapped[str | None] = mapped_column(sa.String(64))
    deployable: Mapped[Deployable] = relationship(back_populates="attach_handles")


class DeviceProfile(TimestampMixin, Base):
    """Named request groups (``resources:``, ``trait:``, ``accel:`` keys), as in Cyborg."""

    __tablename__ = "device_profiles"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(UUID_LEN), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255), unique=True)
    description: Mapped[str | None] = mapped_column(sa.String(255))
    groups: Mapped[list] = mapped_column(sa.JSON)


class AcceleratorRequest(TimestampMixin, Base):
    """An ARQ (from a device profile) or a one-call claim (``kind='claim'``)."""

    __tablename__ = "accelerator_requests"
    __table_args__ = (
        sa.UniqueConstraint(
            "instance_uuid", "device_profile_name", "device_profile_group_id", "group_unit",
            name="uq_arq_instance_group_unit",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(UUID_LEN), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(8), default="arq")
    state: Mapped[str] = mapped_column(sa.String(16))
    project_id: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    device_profile_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("device_profiles.id", ondelete="SET NULL"), index=True)
    device_profile_name: Mapped[str | None] = mapped_column(sa.String(255))
    device_profile_group_id: Mapped[int] = mapped_column(sa.Integer, default=0)
    group_unit: Mapped[int] = mapped_column(sa.Integer, default=0)
    hostname: Mapped[str | None] = mapped_column(sa.String(255))
    device_rp_uuid: Mapped[str | None] = mapped_column(sa.String(UUID_LEN))
    instance_uuid: Mapped[str | None] = mapped_column(sa.String(UUID_LEN), index=True)
    attach_handle_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("attach_handles.id"), unique=True)
    #: One-call claims: what was asked (the profile-less form).
    resource_class: Mapped[str | None] = mapped_column(sa.String(255))
    traits: Mapped[list | None] = mapped_column(sa.JSON)
    bitstream_id: Mapped[str | None] = mapped_column(sa.String(255))
    #: The GPU partition the host's agent made for this claim or bind (form, parent, type,
    #: instance, created), so that release/unbind removes exactly what was made.
    partition: Mapped[dict | None] = mapped_column(sa.JSON(none_as_null=True))
    attach_handle: Mapped[AttachHandle | None] = relationship()


class AsyncBind(Base):
    """A bind that programs in the background (its ARQ is ``BindStarted``), then tells
    Nova. ``owner`` is the accel-api process doing it (host:pid:token); its lease is
    renewed while it works, and a row whose lease passed is taken over by another
    process. ``phase``: ``program`` (the job runs), then ``notify`` (the ARQ's end state
    is committed, Nova's event is still to be sent; ``outcome`` says which)."""

    __tablename__ = "async_binds"
    id: Mapped[int] = mapped_column(primary_key=True)
    arq_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accelerator_requests.id", ondelete="CASCADE"), unique=True)
    job_uuid: Mapped[str | None] = mapped_column(sa.String(UUID_LEN))
    phase: Mapped[str] = mapped_column(sa.String(16), default="program")
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    owner: Mapped[str] = mapped_column(sa.String(255))
    lease_expires_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow)


class Bitstream(TimestampMixin, Base):
    """An FPGA bitstream (AFU, xclbin) in the configured store, with what it fits."""

    __tablename__ = "bitstreams"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(UUID_LEN), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    project_id: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    #: private (the owning project) | public (every project may program it).
    visibility: Mapped[str] = mapped_column(sa.String(16), default="private")
    vendor: Mapped[str | None] = mapped_column(sa.String(64))
    #: Type / function name (``gzip``, ``nlb0``), as Cyborg's Glance ``type`` property.
    type: Mapped[str | None] = mapped_column(sa.String(255))
    #: Function id the device reports once loaded (AFU id / xclbin uuid), lower-case.
    function_id: Mapped[str | None] = mapped_column(sa.String(64))
    #: PR interface id the region must expose, lower-case.
    interface_id: Mapped[str | None] = mapped_column(sa.String(64))
    board: Mapped[str | None] = mapped_column(sa.String(64))
    #: uploading | active (bytes stored and hashed) | deleting.
    status: Mapped[str] = mapped_column(sa.String(16), default="uploading")
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    sha512: Mapped[str | None] = mapped_column(sa.String(128), index=True)
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    backend: Mapped[str] = mapped_column(sa.String(16))
    location: Mapped[str | None] = mapped_column(sa.String(255))


class BitstreamUpload(Base):
    """An upload in flight to a store whose half-written bytes live outside accel-api
    (a Glance image): recorded before the store is written to, gone once the bitstream
    is ``active`` (same transaction) or the bytes of a failed upload are deleted.
    ``owner`` is the accel-api process doing it (host:pid:token), renewing its lease; a
    row whose lease passed is swept (``accel_api.bitstreams.uploads``)."""

    __tablename__ = "bitstream_uploads"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The marker the stored bytes carry (Glance property ``accel_upload_id``).
    upload_id: Mapped[str] = mapped_column(sa.String(UUID_LEN), unique=True)
    #: The bitstream the upload was for (no foreign key: the record may be deleted
    #: while its upload runs, and the bytes must still be swept).
    bitstream_uuid: Mapped[str] = mapped_column(sa.String(UUID_LEN))
    backend: Mapped[str] = mapped_column(sa.String(16))
    #: Where the bytes go (the Glance image id, chosen before the image is made).
    location: Mapped[str] = mapped_column(sa.String(255))
    owner: Mapped[str] = mapped_column(sa.String(255))
    lease_expires_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow)


class Agent(TimestampMixin, Base):
    """Where a host's accel-agent answers JSON-RPC (registered by the agent itself)."""

    __tablename__ = "agents"
    id: Mapped[int] = mapped_column(primary_key=True)
    hostname: Mapped[str] = mapped_column(sa.String(255), unique=True)
    rpc_host: Mapped[str] = mapped_column(sa.String(255))
    rpc_port: Mapped[int] = mapped_column(sa.Integer)
    version: Mapped[str | None] = mapped_column(sa.String(64))
    last_seen: Mapped[dt.datetime] = mapped_column(sa.DateTime, default=utcnow)
    #: Who registered this endpoint, and whether it was the host's own agent: accel-api
    #: sends the host's agent credential only to an endpoint its agent registered.
    registered_by: Mapped[str | None] = mapped_column(sa.String(255))
    registered_by_agent: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.false())


class ProgrammingJob(TimestampMixin, Base):
    """One programming of one deployable with one bitstream, carried out by the host's agent.

    States: ``queued`` -> ``running`` -> ``succeeded`` | ``failed``; ``reason`` says why a
    job failed. ``deadline_at`` bounds how long a job may stay unfinished: past it, the
    job fails (the agent died or hung) and never stays stuck.
    """

    __tablename__ = "programming_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(UUID_LEN), unique=True)
    deployable_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("deployables.id", ondelete="SET NULL"), index=True)
    deployable_uuid: Mapped[str] = mapped_column(sa.String(UUID_LEN), index=True)
    hostname: Mapped[str] = mapped_column(sa.String(255))
    bitstream_uuid: Mapped[str] = mapped_column(sa.String(UUID_LEN))
    project_id: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    arq_uuid: Mapped[str | None] = mapped_column(sa.String(UUID_LEN))
    state: Mapped[str] = mapped_column(sa.String(16), default="queued")
    reason: Mapped[str | None] = mapped_column(sa.String(2048))
    function_id: Mapped[str | None] = mapped_column(sa.String(64))
    started_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    deadline_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
