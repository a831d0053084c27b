"""The gateway's hand-off of answers from request threads back to the event loop.

Request threads append answers and wake the loop only when no wake-up is pending;
these tests race many threads against a real asyncio loop so that answers land before,
during and after each drain, and check that every request gets its own answer, once.
"""

import asyncio
import threading

from accel_api.cmd import gateway
from tests.unit import base


def _app(environ, start_response):
    body = environ["PATH_INFO"].encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]


class AnswerHandOffTest(base.TestCase):
    def setUp(self):
        super().setUp()
        self.gw = gateway.Gateway(_app, lambda method, path: 1 << 20, threads=8,
                                  body_timeout=10, body_min_rate=500)
        self.loop = asyncio.new_event_loop()
        self.gw.__rsgi_init__(self.loop)
        self.addCleanup(self.loop.close)
        self.addCleanup(self.gw.__rsgi_del__, self.loop)

    def _environ(self, n):
        return {"REQUEST_METHOD": "GET", "PATH_INFO": f"/r{n}", "wsgi.input": None}

    def test_every_request_gets_its_own_answer_from_the_pool(self):
        async def main():
            futures = []
            for n in range(3000):
                done = self.loop.create_future()
                self.gw.jobs.put((self._environ(n), gateway._NO_BODY, done, False))
                futures.append(done)
            return await asyncio.wait_for(asyncio.gather(*futures), 60)

        answers = self.loop.run_until_complete(main())
        self.assertEqual([a[2] for a in answers], [f"/r{n}".encode() for n in range(3000)])
        self.assertEqual({a[0] for a in answers}, {200})
        self.assertFalse(self.gw._answers)

    def test_answers_racing_the_drain_are_never_left_waiting(self):
        # Threads answer directly, in bursts, while the loop drains: an answer appended
        # just after the flag is cleared must either wake the loop or be drained.
        per_thread, threads = 500, 8

        async def main():
            futures = [[self.loop.create_future() for _ in range(per_thread)]
                       for _ in range(threads)]
            start = threading.Barrier(threads)

            def answer(mine):
                start.wait()
                for n, done in enumerate(mine):
                    self.gw._answered(done, (200, [], b"%d" % n))

            workers = [threading.Thread(target=answer, args=(f,)) for f in futures]
            for w in workers:
                w.start()
            try:
                return await asyncio.wait_for(
                    asyncio.gather(*(f for mine in futures for f in mine)), 60)
            finally:
                for w in workers:
                    await self.loop.run_in_executor(None, w.join)

        answers = self.loop.run_until_complete(main())
        self.assertEqual(len(answers), per_thread * threads)
        self.assertEqual([a[2] for a in answers[:per_thread]],
                         [b"%d" % n for n in range(per_thread)])
        self.assertFalse(self.gw._answers)

    def test_a_cancelled_request_is_skipped_and_the_rest_are_answered(self):
        async def main():
            gone, kept = self.loop.create_future(), self.loop.create_future()
            gone.cancel()
            self.gw._answered(gone, (200, [], b"late"))
            self.gw._answered(kept, (200, [], b"kept"))
            return await asyncio.wait_for(kept, 10)

        self.assertEqual(self.loop.run_until_complete(main())[2], b"kept")
