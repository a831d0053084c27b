"""The local content-addressed bitstream store: streaming, digests, limits, no leftovers."""

import hashlib
import io
import os

import pytest

from accel_api.bitstreams import local, store


def _chunks(data, size=7):
    for i in range(0, len(data), size):
        yield data[i:i + size]


def test_put_open_delete_round_trip(tmp_path):
    s = local.LocalStore(tmp_path)
    data = os.urandom(100_000)
    stored = s.put(_chunks(data, 4096), 1 << 20, store.Metadata(name="x"))
    s.commit(stored)
    s.release(stored)
    assert stored.sha512 == hashlib.sha512(data).hexdigest()
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    assert stored.location == f"sha512:{stored.sha512}"
    assert b"".join(s.open(stored.location, chunk=1000)) == data
    # Same bytes, same location: content addressed.
    again = s.put(_chunks(data), 1 << 20, store.Metadata(name="y"))
    assert again.location == stored.location
    s.commit(again)
    s.release(again)
    s.delete(stored.location)
    with pytest.raises(store.NotStored):
        s.open(stored.location)
    s.delete(stored.location)  # idempotent


def test_too_large_leaves_nothing(tmp_path):
    s = local.LocalStore(tmp_path)
    with pytest.raises(store.TooLarge):
        s.put(_chunks(b"x" * 1001, 100), 1000, store.Metadata(name="x"))
    left = [f for _, _, files in os.walk(tmp_path) for f in files]
    assert left == []


def test_bad_location_is_not_a_path(tmp_path):
    s = local.LocalStore(tmp_path)
    for bad in ("../../etc/passwd", "sha512:../x", "sha256:" + "0" * 64, "sha512:" + "g" * 128):
        with pytest.raises(store.NotStored):
            s.open(bad)


def test_chunks_stops_at_content_length_and_notices_short_bodies():
    assert b"".join(store.chunks(io.BytesIO(b"abcdef"), chunk=2, expected=4)) == b"abcd"
    with pytest.raises(store.StoreError):
        list(store.chunks(io.BytesIO(b"ab"), chunk=2, expected=4))
