"""Device profiles as ARQ creation reads them, remembered per process.

A profile is never changed after it is created (the API has create and delete only), so
what a name meant can be remembered: a cached entry carries the profile's id and uuid,
and the insert that creates an ARQ from it (``statements.INSERT_ARQ_OF_PROFILE``) only
inserts while that very profile still exists. A profile deleted or re-created under the
same name (by this worker or another) makes that insert touch no row: the entry is then
dropped and the profile is read again.
"""

import dataclasses
import threading

from accel_api.claims import statements as st


@dataclasses.dataclass(frozen=True)
class Profile:
    id: int
    uuid: str
    name: str
    groups: tuple


class ProfileCache:
    """name -> ``Profile``; bounded (cleared when full: profiles are few in practice)."""

    MAX = 1024

    def __init__(self):
        self._by_name = {}
        self._lock = threading.Lock()

    def get(self, name):
        return self._by_name.get(name)

    def read(self, conn, name):
        """The profile called ``name`` from the database (remembered), or None."""
        row = conn.execute(st.PROFILE_BY_NAME, {"name": name}).first()
        if row is None:
            self.forget(name)
            return None
        profile = Profile(row.id, row.uuid, row.name, tuple(row.groups or ()))
        with self._lock:
            if len(self._by_name) >= self.MAX:
                self._by_name.clear()
            self._by_name[name] = profile
        return profile

    def forget(self, name):
        with self._lock:
            self._by_name.pop(name, None)


def cache_of(db):
    """The profile cache of this ``Database`` (one per engine, made on first use)."""
    cache = db.memo.get(ProfileCache)
    if cache is None:
        cache = db.memo.setdefault(ProfileCache, ProfileCache())
    return cache
