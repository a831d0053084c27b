"""what every database stores alike: a binary collation on MariaDB/MySQL, the collector
as long as the contract allows

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

MariaDB's default collation (utf8mb4_general_ci) folds case, accents and trailing
spaces: importing host ``H1`` overwrote host ``h1``'s inventory, ``cafe`` and ``café``
were one host, and a unique name could collide with another that SQLite and
PostgreSQL keep apart. Every table, and the database's default for tables made later,
get utf8mb4 (any character, 4-byte ones too) and a binary collation without padding;
other databases keep theirs.

``hosts.collector`` holds "<name> <version>" of the contract's collector, up to
255 + 1 + 64 characters: 255 made PostgreSQL and MariaDB refuse a valid inventory.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: Preferred first: MariaDB's, MySQL 8's, then the padded binary one (older servers).
COLLATIONS = ("utf8mb4_nopad_bin", "utf8mb4_0900_bin", "utf8mb4_bin")


def _collation(conn):
    available = {row[0] for row in conn.exec_driver_sql(
        "SELECT COLLATION_NAME FROM information_schema.COLLATIONS "
        "WHERE CHARACTER_SET_NAME = 'utf8mb4'")}
    return next(c for c in COLLATIONS if c in available)


def _convert(collation):
    conn = op.get_bind()
    conn.exec_driver_sql(
        f"ALTER DATABASE CHARACTER SET utf8mb4 COLLATE {collation}")
    tables = [row[0] for row in conn.exec_driver_sql(
        "SELECT TABLE_NAME FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'")]
    for table in tables:
        conn.exec_driver_sql(
            f"ALTER TABLE `{table}` CONVERT TO CHARACTER SET utf8mb4 COLLATE {collation}")


def upgrade():
    if op.get_bind().dialect.name in ("mysql", "mariadb"):
        _convert(_collation(op.get_bind()))
    with op.batch_alter_table("hosts") as batch:
        batch.alter_column("collector", existing_type=sa.String(length=255),
                           type_=sa.String(length=320), existing_nullable=True)
