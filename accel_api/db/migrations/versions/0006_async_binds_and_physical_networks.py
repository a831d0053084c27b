"""asynchronous programming binds; the physical network of a network function

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

``async_binds``: one row per bind that programs in the background (its ARQ is
``BindStarted``), with the accel-api process that owns it and a lease it renews, so that
another process takes over a bind whose owner died. ``attach_handles.physical_network``:
the Neutron physnet of a SmartNIC/DPU function, handed to Nova in ``attach_handle_info``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "async_binds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("arq_id", sa.Integer(), nullable=False),
        sa.Column("job_uuid", sa.String(length=36), nullable=True),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["arq_id"], ["accelerator_requests.id"],
                                name="fk_async_binds_arq_id_accelerator_requests",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_async_binds"),
        sa.UniqueConstraint("arq_id", name="uq_async_binds_arq_id"),
    )
    op.create_index("ix_async_binds_lease_expires_at", "async_binds", ["lease_expires_at"])
    with op.batch_alter_table("attach_handles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("physical_network", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("attach_handles", schema=None) as batch_op:
        batch_op.drop_column("physical_network")
    op.drop_index("ix_async_binds_lease_expires_at", table_name="async_binds")
    op.drop_table("async_binds")
