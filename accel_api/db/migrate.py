"""Alembic driven from code: ``accel-api dbsync`` and the tests use these."""

import os

from alembic import command
from alembic.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))


def alembic_config(url):
    cfg = Config()
    cfg.set_main_option("script_location", os.path.join(HERE, "migrations"))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url, revision="head"):
    command.upgrade(alembic_config(url), revision)


def current(url):
    """The database's revision, or None for an empty database."""
    import sqlalchemy as sa
    from alembic.runtime.migration import MigrationContext

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
