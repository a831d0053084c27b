"""Client connections kept even over the built-in server's workers.

Each worker listens on its own ``SO_REUSEPORT`` socket, and the kernel places each new
connection on one by a hash of its addresses. Clients that keep their connections
(nova-conductor, nova-compute, the Ironic hook) then stay where the hash put them, and a
skewed placement leaves one worker, one interpreter lock, doing most of the work while
the others idle (16 connections on two workers split 34/66 in the benchmark).

With ``[api] balance_connections``, each worker counts the client connections it has
served within ``[api] client_socket_timeout`` (hyper closes an idle one after that, so
an older one is gone) in memory shared by the workers (``ConnectionShares``). A worker
holding more than its share answers its next response with ``Connection: close``; the
client reconnects (plain HTTP/1.1) and the kernel places the new connection again, so
the connections even out within a few requests and stay even as clients come and go.
"""

import multiprocessing
import os


class ConnectionShares:
    """Connections per worker slot, in shared memory made before the workers fork.

    Each worker writes only its own slot and reads the others' without a lock: a
    momentarily stale count only delays a rebalance. Slots are claimed by process id, so
    a respawned worker takes over a dead one's slot.
    """

    def __init__(self, workers):
        self.counts = multiprocessing.RawArray("i", workers)
        self.pids = multiprocessing.RawArray("i", workers)
        self._lock = multiprocessing.Lock()

    def claim(self, pid=None):
        """The slot of this process (a free one, or one whose process is gone)."""
        pid = pid or os.getpid()
        with self._lock:
            for slot, owner in enumerate(self.pids):
                if owner == pid:
                    return slot
            for slot, owner in enumerate(self.pids):
                if owner == 0 or not _alive(owner):
                    self.pids[slot], self.counts[slot] = pid, 0
                    return slot
        raise RuntimeError("more workers than connection-share slots")

    def set(self, slot, count):
        self.counts[slot] = count

    def over_share(self, slot):
        """True when worker ``slot`` holds more than an even share (rounded up)."""
        counts = self.counts[:]
        fair = -(-sum(counts) // len(counts))
        return counts[slot] > fair


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ConnectionTracker:
    """One worker's view: the clients (``address:port``, one per connection) it served
    within ``idle_timeout`` seconds, published to its slot of ``shares``. Used from the
    worker's event loop thread only."""

    def __init__(self, shares, idle_timeout):
        self.shares = shares
        self.slot = shares.claim()
        self.idle_timeout = idle_timeout
        self.seen = {}
        self._pruned = 0.0

    def should_close(self, client, now):
        """Note a request on ``client``'s connection; True when this worker holds more
        than its share, so that this connection should close after its response."""
        seen = self.seen
        seen[client] = now
        if now - self._pruned > 1.0:
            self._pruned = now
            horizon = now - self.idle_timeout
            for key in [k for k, t in seen.items() if t < horizon]:
                del seen[key]
        self.shares.set(self.slot, len(seen))
        if self.shares.over_share(self.slot):
            del seen[client]
            self.shares.set(self.slot, len(seen))
            return True
        return False
