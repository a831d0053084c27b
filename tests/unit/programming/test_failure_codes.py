"""The programming spec's outcomes end to end of one job: the agent says which failure
it met (``JobFailed.code``), accel-api answers the matching status with the agent's
reason; staged files are swept only when no living writer holds them."""

import hashlib
import os
import subprocess
import sys
import time

from accel_api import errors, jobs
from accel_contract import staging
from ipa_fpga.agent import program
from tests.unit import base


class _Response:
    def __init__(self, status, body=b""):
        self.status_code, self._body = status, body

    def iter_content(self, size):
        for i in range(0, len(self._body), size):
            yield self._body[i:i + size]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _Session:
    """What keystoneauth's adapter hands the agent: a response per GET."""

    def __init__(self, response):
        self.response = response

    def get(self, url, **kwargs):
        if isinstance(self.response, Exception):
            raise self.response
        return self.response


class AgentFailureCodesTest(base.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = str(self.tmp_dir())

    def _download(self, response, sha256="0" * 64, size=None, limit=1 << 20):
        return program.download(_Session(response), "http://api/v2/bitstreams/x/data",
                                sha256, size, self.dir, limit, 5)

    def test_bytes_that_cannot_be_fetched_or_verified_are_an_invalid_bitstream(self):
        data = b"gbs" * 100
        good = hashlib.sha256(data).hexdigest()
        for response, sha, size, words in (
                (_Response(404), good, None, "HTTP 404"),
                (_Response(409), good, None, "HTTP 409"),
                (ConnectionRefusedError("refused"), good, None, "ConnectionRefusedError"),
                (_Response(200, data), "1" * 64, None, "sha256"),
                (_Response(200, data), good, len(data) + 1, "expected"),
                (_Response(200, data * 10000), good, None, "limit")):
            with self.subTest(words=words):
                with self.assertRaises(program.JobFailed) as caught:
                    self._download(response, sha, size)
                self.assertEqual(caught.exception.code, program.INVALID_BITSTREAM)
                self.assertIn(words, str(caught.exception))
                self.assertEqual(os.listdir(self.dir), [])  # nothing left behind
        staged = self._download(_Response(200, data), good, len(data))
        with open(staged.path, "rb") as f:
            self.assertEqual(f.read(), data)
        staged.close()
        self.assertEqual(os.listdir(self.dir), [])

    def test_accel_api_answers_each_outcome_with_its_status(self):
        for code, error, status, words in (
                (program.INVALID_BITSTREAM, jobs.InvalidBitstream, 400,
                 "invalid bitstream, code 3"),
                (program.INVALID_DEPLOYABLE, errors.NotFound, 404,
                 "invalid deployable, code 2"),
                (program.INCOMPATIBLE, errors.Conflict, 409, "incompatible"),
                (jobs.UNREACHABLE, jobs.AgentUnavailable, 503, "unreachable"),
                (program.UNKNOWN, jobs.ProgrammingFailed, 500, "unknown, code 1"),
                (None, jobs.ProgrammingFailed, 500, "unknown, code 1"),
                ("from-a-newer-agent", jobs.ProgrammingFailed, 500, "unknown")):
            with self.subTest(code=code):
                exc = jobs.failure_error("j1", jobs.Outcome(jobs.FAILED, "the reason", None,
                                                             code))
                self.assertIsInstance(exc, error)
                self.assertEqual(exc.status, status)
                self.assertIn(words, exc.message)
                self.assertIn("the reason", exc.message)
        # The agent's codes and accel-api's are the same words.
        self.assertEqual((program.UNKNOWN, program.INVALID_DEPLOYABLE,
                          program.INVALID_BITSTREAM, program.INCOMPATIBLE),
                         (jobs.UNKNOWN, jobs.INVALID_DEPLOYABLE, jobs.INVALID_BITSTREAM,
                          jobs.INCOMPATIBLE))


_HOLDER = """
import sys, time
from accel_contract import staging
f = staging.StagedFile(sys.argv[1], "bitstream-")
f.file.write(b"partial")
f.file.flush()
print(f.path, flush=True)
time.sleep(600)
"""


class StagingSweepTest(base.TestCase):
    def test_only_files_no_living_writer_holds_are_swept(self):
        directory = str(self.tmp_dir())
        holder = subprocess.Popen([sys.executable, "-c", _HOLDER, directory],
                                  stdout=subprocess.PIPE, text=True)
        self.addCleanup(holder.kill)
        held = holder.stdout.readline().strip()
        mine = staging.StagedFile(directory, "bitstream-")
        self.assertEqual(staging.sweep(directory, "bitstream-"), [])  # both writers live
        self.assertTrue(os.path.exists(held) and os.path.exists(mine.path))
        holder.kill()
        holder.wait(10)
        self.assertEqual(staging.sweep(directory, "bitstream-"), [os.path.basename(held)])
        self.assertTrue(os.path.exists(mine.path))
        mine.close()
        self.assertEqual(os.listdir(directory), [])

    def test_leftovers_of_a_crash_before_locking_go_once_old(self):
        directory = str(self.tmp_dir())
        young = os.path.join(directory, ".new-young")
        old = os.path.join(directory, ".new-old")
        for path in (young, old):
            open(path, "w").close()
        past = time.time() - staging.NEW_FILE_AGE - 5
        os.utime(old, (past, past))
        self.assertEqual(staging.sweep(directory, "bitstream-"), [".new-old"])
        self.assertEqual(os.listdir(directory), [".new-young"])
        self.assertEqual(staging.sweep(os.path.join(directory, "missing"), "x"), [])
