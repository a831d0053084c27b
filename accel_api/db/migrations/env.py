"""Alembic environment: the URL comes from the caller (accel_api.db.migrate)."""

import sqlalchemy as sa
from alembic import context

from accel_api.db import models

config = context.config
url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")


def run_migrations_online():
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=models.Base.metadata,
                              render_as_batch=True, compare_type=True)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(url=url, target_metadata=models.Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
