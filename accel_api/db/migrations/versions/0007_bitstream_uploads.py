"""uploads in flight to Glance, so that a killed process's images are swept

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08

``bitstream_uploads``: one row per upload being written to a store whose half-written
bytes live outside accel-api (a Glance image), with the image id chosen beforehand, the
marker the image carries (``accel_upload_id``), the process doing it and a lease it
renews. The row goes when the bitstream becomes active or the image is deleted; a row
whose lease passed names an image to sweep.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bitstream_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.String(length=36), nullable=False),
        sa.Column("bitstream_uuid", sa.String(length=36), nullable=False),
        sa.Column("backend", sa.String(length=16), nullable=False),
        sa.Column("location", sa.String(length=255), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bitstream_uploads"),
        sa.UniqueConstraint("upload_id", name="uq_bitstream_uploads_upload_id"),
    )
    op.create_index("ix_bitstream_uploads_lease_expires_at", "bitstream_uploads",
                    ["lease_expires_at"])


def downgrade():
    op.drop_index("ix_bitstream_uploads_lease_expires_at", table_name="bitstream_uploads")
    op.drop_table("bitstream_uploads")
