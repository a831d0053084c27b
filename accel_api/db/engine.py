"""Engines and sessions: one session per request, explicit transactions.

SQLite (the embedded default) runs in WAL mode with ``BEGIN IMMEDIATE`` so that a
transaction which reads and then writes never fails on lock upgrade; PostgreSQL and
MariaDB use row locks (``FOR UPDATE SKIP LOCKED``) in the claim path.
"""

import contextlib
import hashlib
import os
import threading
import time

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.orm import Session, sessionmaker

SQLITE_NAME = "accel-api.sqlite"
#: Seconds a thread waits for its process's SQLite writer lock before it tries anyway
#: (and meets SQLite's own busy timeout), as long as that busy timeout.
SQLITE_WRITER_WAIT = 30
#: Seconds ``Database.mutex`` waits for its lock.
MUTEX_WAIT = 30


def default_url(state_dir):
    state_dir = os.path.expanduser(state_dir)
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    return f"sqlite:///{os.path.join(state_dir, SQLITE_NAME)}"


def make_engine(url, pool_size=10, max_overflow=20, autocommit=False):
    """An engine for ``url``; ``autocommit``: its connections never open a transaction
    (PostgreSQL/MariaDB only), for statements that are atomic by themselves."""
    url = sa.make_url(url)
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            if url.database and url.database != ":memory:":
                cur.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL: a crash of the process loses nothing; a power cut may
                # lose the last transactions but never corrupts (SQLite's advice).
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # A read (Database.reading) takes no write lock; it sees a WAL snapshot.
            read = conn.get_execution_options().get("accel_read_only")
            conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")

        return engine
    # pool_recycle rather than pre-ping: a ping is one more round trip per transaction.
    kwargs = {"pool_size": pool_size, "max_overflow": max_overflow, "pool_recycle": 1800}
    if autocommit:
        # Set once per connection, not switched at each checkout; nothing to roll back
        # when a connection returns to the pool.
        kwargs.update(isolation_level="AUTOCOMMIT", pool_reset_on_return=None)
    elif url.get_backend_name() == "mysql":
        kwargs["isolation_level"] = "READ COMMITTED"
    return sa.create_engine(url, **kwargs)


class Database:
    """An engine plus its session factory; ``transaction()`` is the unit of work."""

    def __init__(self, url, pool_size=10, max_overflow=20, retries=10):
        self.engine = make_engine(url, pool_size, max_overflow)
        self.dialect = self.engine.dialect.name
        #: Reads and single statements (the claim hot path) on PostgreSQL/MariaDB: a
        #: second pool whose connections stay in autocommit. SQLite has one engine.
        self.autocommit_engine = (self.engine if self.dialect == "sqlite" else make_engine(
            url, pool_size, max_overflow, autocommit=True))
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.retries = retries
        # SQLite has one writer at a time. Threads of this process queue on a lock,
        # woken at once when it is released, instead of in SQLite's busy handler, which
        # polls with sleeps of up to 100 ms; other processes still meet the busy handler.
        self._writer = threading.RLock() if self.dialect == "sqlite" else None
        #: Process-local caches of rows that never change, by owner (claims.profiles).
        self.memo = {}

    @property
    def row_locks(self):
        """True where ``SELECT ... FOR UPDATE SKIP LOCKED`` is meaningful."""
        return self.dialect in ("postgresql", "mysql", "mariadb")

    @property
    def update_returning(self):
        """True where ``UPDATE ... RETURNING`` exists (PostgreSQL, SQLite >= 3.35)."""
        return bool(self.engine.dialect.update_returning)

    @property
    def delete_returning(self):
        """True where ``DELETE ... RETURNING`` exists (PostgreSQL, SQLite, MariaDB)."""
        return bool(self.engine.dialect.delete_returning)

    @contextlib.contextmanager
    def reading(self):
        """A Core connection for one read statement: no ORM session; on SQLite no write
        lock (a deferred BEGIN: a WAL snapshot), elsewhere autocommit (one statement is
        atomic by itself, and it saves the BEGIN and COMMIT round trips)."""
        if self.dialect != "sqlite":
            with self._autocommit() as conn:
                yield conn
            return
        with self.engine.connect() as conn:
            conn = conn.execution_options(accel_read_only=True)
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def transaction(self) -> Session:
        with self._serialised(), self.sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def _serialised(self):
        if self._writer is None:
            yield
            return
        got = self._writer.acquire(timeout=SQLITE_WRITER_WAIT)
        try:
            yield
        finally:
            if got:
                self._writer.release()

    def run(self, fn, *args, **kwargs):
        """Run ``fn(session, ...)`` in a transaction, retrying deadlocks and lock timeouts."""
        return self._retrying(self.transaction, fn, *args, **kwargs)

    def run_core(self, fn, *args, **kwargs):
        """``run`` for Core-only work: ``fn(connection, ...)``, no ORM session."""
        return self._retrying(self._core_transaction, fn, *args, **kwargs)

    def run_single(self, fn, *args, **kwargs):
        """``run_core`` for work that is one statement, atomic by itself: in autocommit
        where the database has it (no BEGIN and COMMIT round trips), in the writer's
        transaction on SQLite (local: no round trips to save)."""
        if self.dialect == "sqlite":
            return self.run_core(fn, *args, **kwargs)
        return self._retrying(self._autocommit, fn, *args, **kwargs)

    @contextlib.contextmanager
    def _autocommit(self):
        with self.autocommit_engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def _core_transaction(self):
        with self._serialised(), self.engine.begin() as conn:
            yield conn

    def _retrying(self, transaction, fn, *args, **kwargs):
        for attempt in range(self.retries):
            try:
                with transaction() as unit:
                    return fn(unit, *args, **kwargs)
            except exc.OperationalError as err:
                if attempt + 1 >= self.retries or not _is_retryable(err):
                    raise
                time.sleep(0.002 * (attempt + 1))
        raise AssertionError("unreachable")

    @contextlib.contextmanager
    def mutex(self, name, timeout=MUTEX_WAIT):
        """Mutual exclusion on ``name`` among every process using this database.

        For work that spans the database and something outside it (a file the rows
        point to): PostgreSQL's advisory lock, MariaDB/MySQL's ``GET_LOCK``, held on a
        connection of their own. On SQLite it is the write lock: every ``run``
        transaction (``BEGIN IMMEDIATE``) already excludes every other writer, so work
        done inside one needs nothing more, and this is a no-op. ``MutexTimeout`` when
        not granted within ``timeout`` seconds.
        """
        if self.dialect == "sqlite":
            yield
            return
        key = hashlib.sha256(name.encode()).digest()
        with self.autocommit_engine.connect() as conn:
            if self.dialect == "postgresql":
                lock_id = int.from_bytes(key[:8], "big", signed=True)
                conn.exec_driver_sql(f"SET lock_timeout = '{int(timeout * 1000)}ms'")
                try:
                    conn.exec_driver_sql("SELECT pg_advisory_lock(%(k)s)", {"k": lock_id})
                except exc.OperationalError:
                    raise MutexTimeout(f"{name}: not granted within {timeout}s") from None
                finally:
                    conn.exec_driver_sql("SET lock_timeout = 0")
                try:
                    yield
                finally:
                    conn.exec_driver_sql("SELECT pg_advisory_unlock(%(k)s)", {"k": lock_id})
                return
            lock_name = key.hex()[:64]
            got = conn.exec_driver_sql("SELECT GET_LOCK(%(n)s, %(t)s)",
                                       {"n": lock_name, "t": timeout}).scalar()
            if got != 1:
                raise MutexTimeout(f"{name}: not granted within {timeout}s")
            try:
                yield
            finally:
                conn.exec_driver_sql("SELECT RELEASE_LOCK(%(n)s)", {"n": lock_name})

    def dispose(self):
        self.engine.dispose()
        self.autocommit_engine.dispose()


class MutexTimeout(Exception):
    """``Database.mutex`` was not granted in time."""


def _is_retryable(err):
    orig = getattr(err, "orig", None)
    code = getattr(orig, "pgcode", None)
    if code in ("40001", "40P01", "55P03"):
        return True
    args = getattr(orig, "args", ())
    if args and args[0] in (1205, 1213):  # lock wait timeout, deadlock (MySQL/MariaDB)
        return True
    return "database is locked" in str(orig)
