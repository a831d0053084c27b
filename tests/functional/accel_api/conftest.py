"""A migrated scratch database on each of SQLite, PostgreSQL and MariaDB."""

import pytest

from accel_api.db import migrate
from accel_api.db.engine import Database
from tests.accel_api_helpers import DATABASE_KINDS, scratch_database


@pytest.fixture(params=DATABASE_KINDS)
def db_url(request):
    with scratch_database(request.param) as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def db(db_url):
    database = Database(db_url, pool_size=20, max_overflow=20)
    try:
        yield database
    finally:
        database.dispose()
