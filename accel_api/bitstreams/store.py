"""The storage interface every bitstream backend implements, and the shared hashing.

Uploads are streamed: ``put`` reads the body in chunks, hashes it (sha512, what
Glance calls ``os_hash_value``, plus sha256 for the agent's verification) and stops
with ``TooLarge`` as soon as the limit is passed, leaving nothing behind. ``open``
streams the stored bytes back in chunks; nothing ever holds a whole bitstream.

Storing is two steps, so that the bytes a record points to and the record agree even
when uploads and deletes race (``api.bitstreams`` does them under ``Database.mutex``):
``put`` stages the bytes, ``commit`` makes them readable at their location (inside the
transaction that marks the record active), ``release`` frees what only staging held,
whatever happened. A store whose identical uploads share a location
(``shared_locations``) deletes bytes only when no record points to them any more.
"""

import dataclasses
import hashlib

CHUNK = 1024 * 1024


class StoreError(Exception):
    """The backend failed (unreachable, refused, corrupt); the message says which."""


class TooLarge(StoreError):
    """The upload passed the configured size limit; nothing was stored."""


class NotStored(StoreError):
    """The location names nothing in this store (deleted, or never written)."""


@dataclasses.dataclass
class Stored:
    """What a ``put`` wrote: where, how big, its digests; ``staged``: the backend's
    handle on bytes not yet committed (None when ``put`` stored them for good)."""

    location: str
    size: int
    sha512: str
    sha256: str
    staged: object = None


@dataclasses.dataclass
class Metadata:
    """What a backend may record beside the bytes (Glance image properties)."""

    name: str
    vendor: str | None = None
    type: str | None = None
    function_id: str | None = None
    interface_id: str | None = None
    board: str | None = None
    project_id: str | None = None
    visibility: str = "private"
    #: A recorded upload's (``records_uploads``): where the bytes go, chosen before
    #: they are written, and the marker they carry (``uploads.PendingUploads``).
    location: str | None = None
    upload_id: str | None = None


class Hasher:
    """Counts and hashes chunks as they pass; enforces the size limit."""

    def __init__(self, limit):
        self.limit = limit
        self.size = 0
        self._sha512 = hashlib.sha512()
        self._sha256 = hashlib.sha256()

    def update(self, chunk):
        self.size += len(chunk)
        if self.size > self.limit:
            raise TooLarge(f"bitstream larger than the limit of {self.limit} bytes")
        self._sha512.update(chunk)
        self._sha256.update(chunk)

    @property
    def sha512(self):
        return self._sha512.hexdigest()

    @property
    def sha256(self):
        return self._sha256.hexdigest()


def chunks(reader, chunk=CHUNK, expected=None):
    """Chunks of a file-like ``reader`` (a WSGI input); stops at ``expected`` bytes."""
    left = expected
    while left is None or left > 0:
        data = reader.read(chunk if left is None else min(chunk, left))
        if not data:
            break
        if left is not None:
            left -= len(data)
        yield data
    if left:
        raise StoreError(f"upload ended {left} bytes before its Content-Length")


class BitstreamStore:
    """Base class of the backends (``local``, ``glance``)."""

    name = "base"
    #: True when an interrupted upload leaves bytes accel-api cannot tell from others
    #: by looking at the store alone (a Glance image): its uploads are recorded in the
    #: database first and swept by lease (``accel_api.bitstreams.uploads``).
    records_uploads = False

    def put(self, stream, limit, metadata: Metadata) -> Stored:
        """Store the chunks of ``stream`` (an iterable of bytes); TooLarge past ``limit``."""
        raise NotImplementedError

    def commit(self, stored):
        """Make ``stored`` readable at its location (idempotent)."""

    def release(self, stored):
        """Free what only the staging of ``stored`` held (idempotent)."""

    def open(self, location):
        """Iterator of the stored bytes in chunks; NotStored when gone."""
        raise NotImplementedError

    def delete(self, location):
        """Remove the bytes (idempotent)."""
        raise NotImplementedError

    def shared_locations(self):
        """True when two uploads of the same bytes share one location (content address)."""
        return False

    def locations(self):
        """Every location the store holds bytes at (for sweeping orphans); () when the
        backend cannot list them."""
        return ()

    def sweep(self):
        """Remove what interrupted uploads left behind; returns how many were removed."""
        return 0

    def new_location(self):
        """A fresh location for a recorded upload (``records_uploads``)."""
        raise NotImplementedError

    def remove_upload(self, location, upload_id):
        """Remove what the recorded upload ``upload_id`` left at ``location``, only if
        the bytes there carry that upload's marker; True when something was removed.
        StoreError when the store could not say (the sweep tries again)."""
        raise NotImplementedError

