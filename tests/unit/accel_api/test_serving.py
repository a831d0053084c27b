"""How workers decide to hand a connection back: more than an even share, rounded up."""

from accel_api.cmd import serving
from tests.unit import base


def _shares(*counts):
    shares = serving.ConnectionShares(len(counts))
    for slot, count in enumerate(counts):
        for _ in range(count):
            shares.joined(slot)
    return shares


class TestServing(base.TestCase):
    def test_a_worker_over_its_share_lets_connections_go_until_even(self):
        shares = _shares(10, 6)
        self.assertTrue(shares.over_share(0))
        self.assertFalse(shares.over_share(1))
        shares.left(0)
        shares.left(0)  # 8 of 14: the even share is 7
        self.assertTrue(shares.over_share(0))
        shares.joined(1)  # the client reconnected to the other worker: 8 of 15, share 8
        self.assertFalse(shares.over_share(0))
        self.assertFalse(shares.over_share(1))

    def test_uneven_totals_round_up_and_lone_connections_stay(self):
        self.assertFalse(_shares(1, 0).over_share(0))
        self.assertFalse(_shares(2, 1).over_share(0))
        self.assertTrue(_shares(3, 0, 0).over_share(0))
        self.assertFalse(_shares(0, 0).over_share(1))

    def test_the_server_keeps_cheroots_own_limit(self):
        server = serving.Server(("127.0.0.1", 0), lambda environ, start_response: [])
        server.ready = True
        server.keep_alive_conn_limit = 0
        server.balance(_shares(0, 0), 0)
        server.prepare()
        try:
            self.assertFalse(server.can_add_keepalive_connection)  # the limit says no
            server.keep_alive_conn_limit = None
            self.assertTrue(server.can_add_keepalive_connection)
            server.balance(_shares(5, 1), 0)
            self.assertFalse(server.can_add_keepalive_connection)  # over its share
        finally:
            server.stop()
