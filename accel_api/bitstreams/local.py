"""Content-addressed bitstreams on the local disk (the embedded default).

Bytes land in a temporary file in the store's directory while they are hashed, and
are then renamed to ``sha512/<first 2 hex>/<sha512>``: a rename in one file system is
atomic, so a half-written upload is never visible and identical uploads share one file.
"""

import contextlib
import os
import tempfile

from accel_api.bitstreams import store


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
        fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in stream:
                    hasher.update(chunk)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            location = f"sha512:{hasher.sha512}"
            final = self._path(location)
            os.makedirs(os.path.dirname(final), mode=0o700, exist_ok=True)
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return store.Stored(location=location, size=hasher.size, sha512=hasher.sha512,
                            sha256=hasher.sha256)

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
