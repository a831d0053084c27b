"""bitstreams, agents and programming jobs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("rpc_host", sa.String(length=255), nullable=False),
        sa.Column("rpc_port", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
        sa.UniqueConstraint("hostname", name=op.f("uq_agents_hostname")),
    )
    op.create_table(
        "bitstreams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=True),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("vendor", sa.String(length=64), nullable=True),
        sa.Column("type", sa.String(length=255), nullable=True),
        sa.Column("function_id", sa.String(length=64), nullable=True),
        sa.Column("interface_id", sa.String(length=64), nullable=True),
        sa.Column("board", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha512", sa.String(length=128), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("backend", sa.String(length=16), nullable=False),
        sa.Column("location", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bitstreams")),
        sa.UniqueConstraint("uuid", name=op.f("uq_bitstreams_uuid")),
    )
    with op.batch_alter_table("bitstreams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bitstreams_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bitstreams_sha512"), ["sha512"], unique=False)

    op.create_table(
        "programming_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("deployable_id", sa.Integer(), nullable=True),
        sa.Column("deployable_uuid", sa.String(length=36), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("bitstream_uuid", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=True),
        sa.Column("arq_uuid", sa.String(length=36), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=2048), nullable=True),
        sa.Column("function_id", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("deadline_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["deployable_id"],
            ["deployables.id"],
            name=op.f("fk_programming_jobs_deployable_id_deployables"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programming_jobs")),
        sa.UniqueConstraint("uuid", name=op.f("uq_programming_jobs_uuid")),
    )
    with op.batch_alter_table("programming_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programming_jobs_deployable_id"), ["deployable_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_programming_jobs_deployable_uuid"), ["deployable_uuid"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_programming_jobs_project_id"), ["project_id"], unique=False
        )
