"""``openstack accelerator programming job create|list|show``: program a region you hold
with a bitstream; ``--wait`` follows the job to its end (exit status 1 when it fails)."""

import argparse
import time

from osc_lib import exceptions
from osc_lib.command import command

from accel_client.osc.v2 import common

LIST_COLUMNS = ("uuid", "deployable_uuid", "bitstream_uuid", "hostname", "state", "reason",
                "created_at", "finished_at")
DONE = ("succeeded", "failed")


def follow(api, job, timeout, interval, say):
    """Poll the job until it ends (or ``timeout`` seconds pass); say each new state."""
    deadline = time.monotonic() + timeout
    state = None
    while True:
        if job["state"] != state:
            state = job["state"]
            say(f"programming job {job['uuid']}: {state}"
                + (f" ({job['reason']})" if job.get("reason") else ""))
        if state in DONE:
            return job
        if time.monotonic() > deadline:
            raise exceptions.CommandError(f"programming job {job['uuid']} is still {state} "
                                          f"after {timeout} s (it goes on; see "
                                          "'openstack accelerator programming job show')")
        time.sleep(interval)
        job = common.call(api.get, f"/v2/programming_jobs/{common.quote(job['uuid'])}")


class CreateProgrammingJob(command.ShowOne):
    """Program a deployable (an FPGA region you hold) with a bitstream."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--deployable", metavar="<uuid>", required=True,
                            help="the region (deployable uuid) to program")
        parser.add_argument("--bitstream", metavar="<uuid>", required=True,
                            help="the bitstream (uuid) to load")
        parser.add_argument("--wait", action="store_true",
                            help="follow the job until it succeeds or fails")
        parser.add_argument("--timeout", metavar="<seconds>", type=float, default=900,
                            help="with --wait: give up waiting after this long (default 900)")
        parser.add_argument("--poll-interval", metavar="<seconds>", type=float, default=1.0,
                            help=argparse.SUPPRESS)
        return parser

    def take_action(self, args):
        api = common.client(self)
        job = common.call(api.post, "/v2/programming_jobs",
                          {"deployable_uuid": args.deployable, "bitstream_uuid": args.bitstream},
                          ok=(202,))
        if args.wait:
            job = follow(api, job, args.timeout, max(0.05, args.poll_interval),
                         lambda line: print(line, file=self.app.stderr, flush=True))
            if job["state"] != "succeeded":
                raise exceptions.CommandError(f"programming job {job['uuid']} failed: "
                                              f"{job.get('reason') or 'no reason given'}")
        return common.show(job)


class ListProgrammingJob(common.ListResource):
    """List programming jobs."""

    PATH, KEY, COLUMNS = "/v2/programming_jobs", "programming_jobs", LIST_COLUMNS


class ShowProgrammingJob(common.ShowResource):
    """Show a programming job: state, reason, timestamps."""

    PATH, ARG, ARG_HELP = "/v2/programming_jobs/{}", "job", "programming job uuid"
