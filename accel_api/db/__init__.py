"""accel_api's database: typed models, engine/session handling, Alembic migrations."""
