"""The worker processes' cheroot servers, and how client connections spread over them.

Several workers listen on one port with ``SO_REUSEPORT``: the kernel places each new
connection on a worker by a hash of its addresses. Clients that keep their connections
(nova-conductor, nova-compute, the Ironic hook) then stay where the hash put them, and a
skewed placement leaves one worker, one interpreter lock, doing most of the work while
the others idle: with 16 connections on two workers an 11/5 split is common.

With ``[api] balance_connections``, each worker counts the connections it holds in
memory shared by the workers (``ConnectionShares``). A worker holding more than its
share of them answers its next response with ``Connection: close``; the client
reconnects (plain HTTP/1.1), and the kernel places the new connection again, so the
connections even out within a few requests and stay even as clients come and go.
"""

import multiprocessing
import threading

from cheroot import server as cheroot_server
from cheroot import wsgi


class ConnectionShares:
    """Open connections per worker, in shared memory made before the workers fork.

    Each worker writes only its own slot (under a lock of its own threads) and reads
    the others' without a lock: a momentarily stale count only delays a rebalance.
    """

    def __init__(self, workers):
        self.counts = multiprocessing.RawArray("i", workers)
        self._lock = threading.Lock()

    def joined(self, slot):
        with self._lock:
            self.counts[slot] += 1

    def left(self, slot):
        with self._lock:
            self.counts[slot] -= 1

    def over_share(self, slot):
        """True when worker ``slot`` holds more than an even share (rounded up)."""
        counts = self.counts[:]
        fair = -(-sum(counts) // len(counts))
        return counts[slot] > fair


class _CountedConnection(cheroot_server.HTTPConnection):
    """A connection that tells its worker's slot when it opens and when it closes."""

    shares = None
    slot = None

    def __init__(self, server, sock, makefile=cheroot_server.MakeFile):
        super().__init__(server, sock, makefile)
        self._counted = True
        self.shares.joined(self.slot)

    def close(self):
        if self._counted:
            self._counted = False
            self.shares.left(self.slot)
        super().close()


class Server(wsgi.Server):
    """cheroot's WSGI server; with ``shares``, it keeps no more than its share of
    keep-alive connections (see the module's docstring)."""

    shares = None
    slot = None

    def balance(self, shares, slot):
        self.shares, self.slot = shares, slot
        self.ConnectionClass = type("CountedConnection", (_CountedConnection,),
                                    {"shares": shares, "slot": slot})

    @property
    def can_add_keepalive_connection(self):
        if not super().can_add_keepalive_connection:
            return False
        return self.shares is None or not self.shares.over_share(self.slot)


def make_server(conf, app, shares=None, slot=None):
    """The server of one worker (``slot`` of ``shares``, when connections are balanced)."""
    server = Server((conf.api.host_ip, conf.api.port), app,
                    numthreads=conf.api.threads, timeout=conf.api.client_socket_timeout,
                    shutdown_timeout=conf.api.graceful_shutdown_timeout,
                    reuse_port=conf.api.workers > 1)
    server.keep_alive_conn_limit = conf.api.keep_alive_connections or None
    if shares is not None:
        server.balance(shares, slot)
    return server
