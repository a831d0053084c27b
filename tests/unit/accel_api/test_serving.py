"""The built-in server's configuration, the WSGI module's config files, route limits."""

import os
import resource
import tempfile
import unittest
from unittest import mock

from accel_api import service
from accel_api.api.app import AccelApi
from accel_api.cmd import balancing, serving
from accel_api.db.engine import Database


class ConfigFilesFromEnvTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name

    def _write(self, name):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write("[DEFAULT]\n")
        return path

    def test_named_files_are_read_from_the_config_dir_in_order(self):
        first, second = self._write("a.conf"), self._write("b.conf")
        files = service.config_files_from_env({
            service.CONFIG_DIR_ENV: self.dir, service.CONFIG_FILES_ENV: "a.conf; b.conf"})
        self.assertEqual(files, [first, second])

    def test_a_named_file_that_is_missing_is_an_error_naming_it(self):
        with self.assertRaisesRegex(FileNotFoundError, "nope.conf"):
            service.config_files_from_env({service.CONFIG_DIR_ENV: self.dir,
                                           service.CONFIG_FILES_ENV: "nope.conf"})

    def test_the_default_file_is_used_when_it_exists_else_the_embedded_defaults(self):
        env = {service.CONFIG_DIR_ENV: self.dir}
        self.assertEqual(service.config_files_from_env(env), [])
        path = self._write(service.DEFAULT_CONFIG_FILE)
        self.assertEqual(service.config_files_from_env(env), [path])


class ConfTestCase(unittest.TestCase):
    def conf(self, overrides=None):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        state = tmp.name
        return service.configure([], {(None, "state_dir"): state, **(overrides or {})})


class RouteBodyLimitTest(ConfTestCase):
    def test_each_route_has_its_own_limit_and_unknown_paths_the_default(self):
        conf = self.conf()
        db = Database("sqlite://")
        self.addCleanup(db.dispose)
        api = AccelApi(conf, db)
        cases = [
            ("PUT", "/v2/hosts/h1/inventory", conf.api.max_inventory_size),
            ("PUT", "/v2/bitstreams/0b2b9b44-1a49-4a2f-9c1e-0d6f3c6c8a11/data",
             conf.bitstreams.max_size),
            ("POST", "/v2/device_profiles", conf.api.max_request_body_size),
            ("POST", "/v2/hosts/h1/inventory", conf.api.max_request_body_size),  # no route
            ("POST", "/nowhere", conf.api.max_request_body_size),
        ]
        for method, path, limit in cases:
            with self.subTest(method=method, path=path):
                self.assertEqual(api.body_limit(method, path), limit)


class ServerTest(ConfTestCase):
    def test_the_options_reach_granian(self):
        from granian.constants import Interfaces

        conf = self.conf({("api", "workers"): 3, ("api", "port"): 7001,
                          ("api", "client_socket_timeout"): 7,
                          ("api", "max_connections"): 500,
                          ("api", "graceful_shutdown_timeout"): 12})
        server = serving.make_server(conf)
        self.assertEqual((server.bind_addr, server.bind_port), ("127.0.0.1", 7001))
        self.assertEqual(server.interface, Interfaces.RSGI)
        self.assertEqual(server.workers, 3)
        self.assertEqual(server.backpressure, 500)
        self.assertEqual(server.http1_settings.header_read_timeout, 7000)
        self.assertEqual(server.workers_kill_timeout, 12)
        self.assertEqual(server.backlog, conf.api.backlog)

    def test_no_kill_timeout_when_the_graceful_timeout_is_zero(self):
        server = serving.make_server(self.conf({("api", "graceful_shutdown_timeout"): 0}))
        self.assertIsNone(server.workers_kill_timeout)

    def test_the_open_files_limit_is_raised_to_the_hard_limit(self):
        with mock.patch.object(resource, "getrlimit", return_value=(1024, 65536)), \
                mock.patch.object(resource, "setrlimit") as setrlimit:
            self.assertEqual(serving.raise_open_files_limit(), 65536)
        setrlimit.assert_called_once_with(resource.RLIMIT_NOFILE, (65536, 65536))
        with mock.patch.object(resource, "getrlimit", return_value=(4096, 4096)), \
                mock.patch.object(resource, "setrlimit") as setrlimit:
            self.assertEqual(serving.raise_open_files_limit(), 4096)
        setrlimit.assert_not_called()


class DatabaseReadinessTest(ConfTestCase):
    def test_a_production_database_without_schema_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            conf = self.conf({("database", "connection"): f"sqlite:///{d}/empty.sqlite"})
            with self.assertRaisesRegex(service.DatabaseNotReady, "accel-api dbsync"):
                service.prepare_database(conf)

    def test_the_embedded_database_gets_its_schema(self):
        conf = self.conf()
        service.prepare_database(conf)
        self.assertTrue(os.path.exists(os.path.join(conf.state_dir, "accel-api.sqlite")))


class ConnectionSharesTest(unittest.TestCase):
    """How workers decide to hand a connection back: more than an even share, rounded
    up."""

    @staticmethod
    def _shares(*counts):
        shares = balancing.ConnectionShares(len(counts))
        for slot, count in enumerate(counts):
            shares.set(slot, count)
        return shares

    def test_a_worker_over_its_share_lets_connections_go_until_even(self):
        shares = self._shares(10, 6)
        self.assertTrue(shares.over_share(0))
        self.assertFalse(shares.over_share(1))
        shares.set(0, 8)  # 8 of 14: the even share is 7
        self.assertTrue(shares.over_share(0))
        shares.set(1, 7)  # the client reconnected to the other worker: 8 of 15, share 8
        self.assertFalse(shares.over_share(0) or shares.over_share(1))

    def test_uneven_totals_round_up_and_lone_connections_stay(self):
        self.assertFalse(self._shares(1, 0).over_share(0))
        self.assertFalse(self._shares(2, 1).over_share(0))
        self.assertTrue(self._shares(3, 0, 0).over_share(0))
        self.assertFalse(self._shares(0, 0).over_share(1))

    def test_slots_are_claimed_by_process_and_a_dead_ones_is_taken_over(self):
        shares = balancing.ConnectionShares(2)
        self.assertEqual(shares.claim(pid=os.getpid()), 0)
        self.assertEqual(shares.claim(pid=os.getpid()), 0)  # the same process
        self.assertEqual(shares.claim(pid=os.getppid()), 1)
        with self.assertRaises(RuntimeError):
            shares.claim(pid=1)  # both slots held by live processes
        shares.pids[1] = 2 ** 22 + 12345  # beyond pid_max: no such process
        self.assertEqual(shares.claim(pid=1), 1)

    def test_the_tracker_forgets_idle_connections_and_closes_over_its_share(self):
        shares = balancing.ConnectionShares(2)
        tracker = balancing.ConnectionTracker(shares, idle_timeout=10)
        other = 1 - tracker.slot
        shares.set(other, 1)
        self.assertFalse(tracker.should_close("10.0.0.1:1000", now=100.0))
        # a second connection here: 2 of 3, share 2: stays
        self.assertFalse(tracker.should_close("10.0.0.1:1001", now=100.5))
        # a third: 3 of 4, share 2: this one is asked to close, and is forgotten
        self.assertTrue(tracker.should_close("10.0.0.1:1002", now=101.0))
        self.assertEqual(shares.counts[tracker.slot], 2)
        # 20 s later the first two are idle past the timeout: forgotten
        self.assertFalse(tracker.should_close("10.0.0.1:1003", now=121.0))
        self.assertEqual(shares.counts[tracker.slot], 1)
