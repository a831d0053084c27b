"""The local content-addressed bitstream store: streaming, digests, limits, no leftovers."""

import hashlib
import io
import os

from accel_api.bitstreams import local, store
from tests.unit import base


def _chunks(data, size=7):
    for i in range(0, len(data), size):
        yield data[i:i + size]


class TestLocalStore(base.TestCase):
    def test_put_open_delete_round_trip(self):
        tmp_path = self.tmp_dir()
        s = local.LocalStore(tmp_path)
        data = os.urandom(100_000)
        stored = s.put(_chunks(data, 4096), 1 << 20, store.Metadata(name="x"))
        s.commit(stored)
        s.release(stored)
        self.assertEqual(stored.sha512, hashlib.sha512(data).hexdigest())
        self.assertEqual(stored.sha256, hashlib.sha256(data).hexdigest())
        self.assertEqual(stored.size, len(data))
        self.assertEqual(stored.location, f"sha512:{stored.sha512}")
        self.assertEqual(b"".join(s.open(stored.location, chunk=1000)), data)
        # Same bytes, same location: content addressed.
        again = s.put(_chunks(data), 1 << 20, store.Metadata(name="y"))
        self.assertEqual(again.location, stored.location)
        s.commit(again)
        s.release(again)
        s.delete(stored.location)
        with self.assertRaises(store.NotStored):
            s.open(stored.location)
        s.delete(stored.location)  # idempotent

    def test_too_large_leaves_nothing(self):
        tmp_path = self.tmp_dir()
        s = local.LocalStore(tmp_path)
        with self.assertRaises(store.TooLarge):
            s.put(_chunks(b"x" * 1001, 100), 1000, store.Metadata(name="x"))
        left = [f for _, _, files in os.walk(tmp_path) for f in files]
        self.assertEqual(left, [])

    def test_bad_location_is_not_a_path(self):
        tmp_path = self.tmp_dir()
        s = local.LocalStore(tmp_path)
        for bad in ("../../etc/passwd", "sha512:../x", "sha256:" + "0" * 64, "sha512:" + "g" * 128):
            with self.assertRaises(store.NotStored):
                s.open(bad)

    def test_chunks_stops_at_content_length_and_notices_short_bodies(self):
        self.assertEqual(
            b"".join(store.chunks(io.BytesIO(b"abcdef"), chunk=2, expected=4)), b"abcd")
        with self.assertRaises(store.StoreError):
            list(store.chunks(io.BytesIO(b"ab"), chunk=2, expected=4))
