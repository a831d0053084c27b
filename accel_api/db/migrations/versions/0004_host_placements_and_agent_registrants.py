"""host placement state and report digest; who registered each agent endpoint

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "host_placements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("nodename", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_since", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(length=1024), nullable=True),
        sa.Column("root_uuid", sa.String(length=36), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("providers", sa.JSON(), nullable=False),
        sa.Column("suspect_root_uuid", sa.String(length=36), nullable=True),
        sa.Column("suspect_since", sa.DateTime(), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(), nullable=True),
        sa.Column("synced_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["host_id"], ["hosts.id"],
                                name=op.f("fk_host_placements_host_id_hosts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_placements")),
        sa.UniqueConstraint("host_id", name=op.f("uq_host_placements_host_id")),
    )
    with op.batch_alter_table("host_placements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_host_placements_next_try_at"), ["next_try_at"],
                              unique=False)
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_digest", sa.String(length=64), nullable=True))
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registered_by", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("registered_by_agent", sa.Boolean(),
                                      server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("registered_by_agent")
        batch_op.drop_column("registered_by")
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.drop_column("report_digest")
    with op.batch_alter_table("host_placements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_host_placements_next_try_at"))
    op.drop_table("host_placements")
