"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-20 23:42:49.372628
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "device_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=True),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_profiles")),
        sa.UniqueConstraint("name", name=op.f("uq_device_profiles_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_device_profiles_uuid")),
    )
    op.create_table(
        "hosts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("system_uuid", sa.String(length=64), nullable=True),
        sa.Column("collected_at", sa.String(length=64), nullable=True),
        sa.Column("collector", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hosts")),
        sa.UniqueConstraint("hostname", name=op.f("uq_hosts_hostname")),
    )
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("vendor", sa.String(length=16), nullable=False),
        sa.Column("vendor_name", sa.String(length=255), nullable=True),
        sa.Column("model", sa.String(length=255), nullable=False),
        sa.Column("driver", sa.String(length=64), nullable=False),
        sa.Column("std_board_info", sa.JSON(), nullable=False),
        sa.Column("vendor_board_info", sa.JSON(), nullable=False),
        sa.Column("traits", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lost", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["host_id"], ["hosts.id"], name=op.f("fk_devices_host_id_hosts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("host_id", "address", name=op.f("uq_devices_host_id_address")),
        sa.UniqueConstraint("uuid", name=op.f("uq_devices_uuid")),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_devices_host_id"), ["host_id"], unique=False)

    op.create_table(
        "deployables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("local_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("root_id", sa.Integer(), nullable=True),
        sa.Column("num_accelerators", sa.Integer(), nullable=False),
        sa.Column("resource_class", sa.String(length=255), nullable=True),
        sa.Column("traits", sa.JSON(), nullable=False),
        sa.Column("rp_uuid", sa.String(length=36), nullable=False),
        sa.Column("driver_name", sa.String(length=64), nullable=True),
        sa.Column("programmable", sa.Boolean(), nullable=False),
        sa.Column("bitstream_id", sa.String(length=36), nullable=True),
        sa.Column("lost", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_deployables_device_id_devices")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["deployables.id"], name=op.f("fk_deployables_parent_id_deployables")
        ),
        sa.ForeignKeyConstraint(
            ["root_id"], ["deployables.id"], name=op.f("fk_deployables_root_id_deployables")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployables")),
        sa.UniqueConstraint(
            "device_id", "local_id", name=op.f("uq_deployables_device_id_local_id")
        ),
        sa.UniqueConstraint("rp_uuid", name=op.f("uq_deployables_rp_uuid")),
        sa.UniqueConstraint("uuid", name=op.f("uq_deployables_uuid")),
    )
    with op.batch_alter_table("deployables", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deployables_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deployables_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deployables_root_id"), ["root_id"], unique=False)

    op.create_table(
        "attach_handles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("deployable_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("in_use", sa.Boolean(), nullable=False),
        sa.Column("lost", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["deployable_id"],
            ["deployables.id"],
            name=op.f("fk_attach_handles_deployable_id_deployables"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attach_handles")),
        sa.UniqueConstraint(
            "deployable_id",
            "type",
            "address",
            name=op.f("uq_attach_handles_deployable_id_type_address"),
        ),
        sa.UniqueConstraint("uuid", name=op.f("uq_attach_handles_uuid")),
    )
    with op.batch_alter_table("attach_handles", schema=None) as batch_op:
        batch_op.create_index("ix_attach_handles_free", ["deployable_id", "in_use"], unique=False)

    op.create_table(
        "attributes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("deployable_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=4096), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["deployable_id"],
            ["deployables.id"],
            name=op.f("fk_attributes_deployable_id_deployables"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attributes")),
        sa.UniqueConstraint("deployable_id", "key", name=op.f("uq_attributes_deployable_id_key")),
        sa.UniqueConstraint("uuid", name=op.f("uq_attributes_uuid")),
    )
    with op.batch_alter_table("attributes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attributes_deployable_id"), ["deployable_id"], unique=False
        )

    op.create_table(
        "accelerator_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=True),
        sa.Column("device_profile_id", sa.Integer(), nullable=True),
        sa.Column("device_profile_name", sa.String(length=255), nullable=True),
        sa.Column("device_profile_group_id", sa.Integer(), nullable=False),
        sa.Column("group_unit", sa.Integer(), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=True),
        sa.Column("device_rp_uuid", sa.String(length=36), nullable=True),
        sa.Column("instance_uuid", sa.String(length=36), nullable=True),
        sa.Column("attach_handle_id", sa.Integer(), nullable=True),
        sa.Column("resource_class", sa.String(length=255), nullable=True),
        sa.Column("traits", sa.JSON(), nullable=True),
        sa.Column("bitstream_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attach_handle_id"],
            ["attach_handles.id"],
            name=op.f("fk_accelerator_requests_attach_handle_id_attach_handles"),
        ),
        sa.ForeignKeyConstraint(
            ["device_profile_id"],
            ["device_profiles.id"],
            name=op.f("fk_accelerator_requests_device_profile_id_device_profiles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accelerator_requests")),
        sa.UniqueConstraint(
            "attach_handle_id", name=op.f("uq_accelerator_requests_attach_handle_id")
        ),
        sa.UniqueConstraint(
            "instance_uuid",
            "device_profile_name",
            "device_profile_group_id",
            "group_unit",
            name="uq_arq_instance_group_unit",
        ),
        sa.UniqueConstraint("uuid", name=op.f("uq_accelerator_requests_uuid")),
    )
    with op.batch_alter_table("accelerator_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accelerator_requests_device_profile_id"),
            ["device_profile_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_accelerator_requests_instance_uuid"), ["instance_uuid"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_accelerator_requests_project_id"), ["project_id"], unique=False
        )

