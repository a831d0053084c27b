"""GPU partitions: attach handles per partition instance, the partition an ARQ made

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

Several mdevs (or MIG instances) share one parent PCI address: a handle is now unique
by (deployable, type, address, instance), with its partition form and type; an ARQ or
claim records the partition the host's agent created for it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attach_handles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("instance", sa.String(length=64), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("partition_form", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("partition_type", sa.String(length=64), nullable=True))
        batch_op.drop_constraint("uq_attach_handles_deployable_id_type_address", type_="unique")
        batch_op.create_unique_constraint(
            "uq_attach_handles_deployable_id_type_address_instance",
            ["deployable_id", "type", "address", "instance"])
    with op.batch_alter_table("accelerator_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partition", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("accelerator_requests", schema=None) as batch_op:
        batch_op.drop_column("partition")
    with op.batch_alter_table("attach_handles", schema=None) as batch_op:
        batch_op.drop_constraint("uq_attach_handles_deployable_id_type_address_instance",
                                 type_="unique")
        batch_op.create_unique_constraint("uq_attach_handles_deployable_id_type_address",
                                          ["deployable_id", "type", "address"])
        batch_op.drop_column("partition_type")
        batch_op.drop_column("partition_form")
        batch_op.drop_column("instance")
