"""Vendor behaviour profiles: how a BMC's update tasks and task monitors misbehave.

Each profile reproduces one thing real BMCs do that a naive client trips on
(see the sushy quirks in the docs). A server gets one profile; profiles are
plain data so the CLI, the tests and the demo can name them.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Profile:
    name: str
    description: str
    #: seconds a firmware update runs (progress advances in steps over that time)
    update_seconds: float = 1.0
    #: the task stays in ``New`` this long before ``Running``
    new_seconds: float = 0.0
    #: the task monitor answers 404 as soon as the task finishes (the Task stays readable)
    purge_monitor_on_completion: bool = False
    #: the task monitor answers 204 No Content on completion instead of 200 + Task
    monitor_204_on_completion: bool = False
    #: ``Retry-After`` header the monitor sends while the task runs: None, "int" or "date"
    retry_after: str | None = None
    #: the 202 answer to SimpleUpdate carries the Task as its body (as many BMCs do)
    task_body_in_202: bool = True
    #: after updating its own (BMC) firmware the BMC is unreachable this many seconds
    bmc_unreachable_after_own_update: float = 0.0
    #: the update stops at this percentage with an ``Exception`` task (None: never)
    fail_at_percent: int | None = None


PROFILES = {
    p.name: p
    for p in (
        Profile("standard", "202 + Location, monitor answers 202 then 200 with the Task"),
        Profile("task-starts-new", "the task stays in New for 1.5 s before running",
                new_seconds=1.5),
        Profile("monitor-purged", "the task monitor is purged (404) as soon as the task ends; "
                "the Task stays readable", purge_monitor_on_completion=True),
        Profile("monitor-204", "the task monitor answers 204 No Content on completion",
                monitor_204_on_completion=True),
        Profile("retry-after-int", "the monitor sends an integer Retry-After (e.g. '1')",
                retry_after="int"),
        Profile("bmc-reboot", "the BMC is unreachable for 3 s after updating its own firmware",
                bmc_unreachable_after_own_update=3.0),
        Profile("fail-halfway", "every update fails at 50 % with an Exception task",
                fail_at_percent=50),
        Profile("slow", "updates take 4 s, Retry-After as an HTTP date", update_seconds=4.0,
                retry_after="date"),
    )
}


def get(name):
    """The named profile; ValueError naming the known ones otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown profile {name!r}; known: {', '.join(sorted(PROFILES))}"
        ) from None


def with_overrides(profile, **overrides):
    """A copy of ``profile`` with some fields changed (e.g. a faster update in tests)."""
    return dataclasses.replace(profile, **overrides)
