"""Content-addressed bitstreams on the local disk (the embedded default).

Bytes land in a locked temporary file in the store's directory while they are hashed
(``accel_contract.staging``); ``commit`` then links it to ``sha512/<first 2
hex>/<sha512>``: creating a link is atomic, so a half-written upload is never visible,
and identical uploads share one file. ``release`` removes the temporary file. What an
interrupted upload leaves behind (a killed process) is removed by ``sweep`` when the
store is opened again; locks tell a dead writer's file from a live one's.
"""

import contextlib
import os

from accel_api.bitstreams import store
from accel_contract import staging

STAGING_PREFIX = ".upload-"


class LocalStore(store.BitstreamStore):
    name = "local"

    def __init__(self, directory):
        self.directory = os.path.abspath(os.path.expanduser(directory))
        os.makedirs(self.directory, mode=0o700, exist_ok=True)

    @classmethod
    def from_conf(cls, conf):
        directory = conf.bitstreams.local_dir or os.path.join(
            os.path.expanduser(conf.state_dir), "bitstreams")
        return cls(directory)

    def shared_locations(self):
        return True

    def _path(self, location):
        algo, _, digest = location.partition(":")
        if algo != "sha512" or len(digest) != 128 or not all(
                c in "0123456789abcdef" for c in digest):
            raise store.NotStored(f"{location!r} is not a local bitstream location")
        return os.path.join(self.directory, "sha512", digest[:2], digest)

    def put(self, stream, limit, metadata):
        hasher = store.Hasher(limit)
        staged = staging.StagedFile(self.directory, STAGING_PREFIX)
        try:
            for chunk in stream:
                hasher.update(chunk)
                staged.file.write(chunk)
            staged.file.flush()
            os.fsync(staged.file.fileno())
        except BaseException:
            staged.close()
            raise
        return store.Stored(location=f"sha512:{hasher.sha512}", size=hasher.size,
                            sha512=hasher.sha512, sha256=hasher.sha256, staged=staged)

    def commit(self, stored):
        final = self._path(stored.location)
        os.makedirs(os.path.dirname(final), mode=0o700, exist_ok=True)
        try:
            os.link(stored.staged.path, final)
        except FileExistsError:  # the same bytes (same sha512) are there already
            return
        directory = os.open(os.path.dirname(final), os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def release(self, stored):
        if stored.staged is not None:
            stored.staged.close()

    def open(self, location, chunk=store.CHUNK):
        path = self._path(location)
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed by the generator
        except FileNotFoundError:
            raise store.NotStored(f"bitstream {location} is not in the local store") from None

        def _gen():
            with f:
                while True:
                    data = f.read(chunk)
                    if not data:
                        return
                    yield data

        return _gen()

    def delete(self, location):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(location))

    def locations(self):
        top = os.path.join(self.directory, "sha512")
        for _, _, names in os.walk(top):
            for name in names:
                location = f"sha512:{name}"
                with contextlib.suppress(store.NotStored):
                    self._path(location)
                    yield location

    def sweep(self):
        return len(staging.sweep(self.directory, STAGING_PREFIX))
