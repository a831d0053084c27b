"""A few hot statements run on the driver's cursor, past SQLAlchemy's execution layer.

Each of Nova's claim calls on PostgreSQL is one small statement (``claims.postgresql``).
For such a statement SQLAlchemy's per-execution work (execution context, parameter
processing, result metadata) costs about as much CPU as the driver's own: ~180 µs per
call through ``Connection.execute`` against ~100 µs on the cursor, measured with psycopg
3. ``DriverStatement`` keeps the statement built and compiled by SQLAlchemy (once per
dialect), runs it on the DBAPI cursor of a pooled SQLAlchemy connection, and raises
SQLAlchemy's exceptions (``IntegrityError``, ``OperationalError``...; a lost connection
is invalidated as SQLAlchemy would), so callers and retries are unchanged.

Only for statements that return rows (SELECT, ... RETURNING) whose parameters and
columns need no type conversion (strings, integers, naive datetimes, arrays of
integers), and for drivers with the ``pyformat`` paramstyle (psycopg, psycopg2).
"""

import collections

from sqlalchemy import exc


class DriverStatement:
    def __init__(self, statement, columns):
        self.statement = statement
        self.row = collections.namedtuple("Row", columns)
        self._compiled = {}

    def _compiled_for(self, dialect):
        compiled = self._compiled.get(dialect)
        if compiled is None:
            if dialect.paramstyle != "pyformat":
                raise ValueError(f"{dialect.name}+{dialect.driver}: not a pyformat driver")
            compiled = self.statement.compile(dialect=dialect)
            self._compiled[dialect] = compiled
        return compiled

    def rows(self, conn, params):
        """All rows of the statement run with ``params`` on SQLAlchemy connection ``conn``."""
        dialect = conn.dialect
        compiled = self._compiled_for(dialect)
        values = compiled.construct_params(params)
        dbapi_conn = conn.connection.dbapi_connection
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(compiled.string, values)
            found = cursor.fetchall()  # (psycopg builds ``description`` at each access)
        except dialect.loaded_dbapi.Error as err:
            lost = dialect.is_disconnect(err, dbapi_conn, cursor)
            if lost:
                conn.invalidate(err)
            raise exc.DBAPIError.instance(
                compiled.string, values, err, dialect.loaded_dbapi.Error,
                connection_invalidated=lost, dialect=dialect) from err
        finally:
            cursor.close()
        return [self.row(*r) for r in found]

    def first(self, conn, params):
        found = self.rows(conn, params)
        return found[0] if found else None
