"""Robust polling of a Redfish task (monitor and Task resource), independent of sushy's wait().

sushy's ``TaskMonitor.wait()`` returns early when the 202 body is a Task and crashes on
an integer ``Retry-After``; BMCs also purge monitors on completion, answer 204, keep a
task in ``New`` or go unreachable while they reboot. This poller handles all of them:

* the monitor answering 202 -> still running (its body, when a Task, gives progress);
* 200 with a Task -> its state decides; 200 without one -> done;
* 204, or 404 on the monitor -> read the Task resource (if known) for the outcome;
* connection errors and 5xx -> the BMC is away; tolerated up to ``unreachable_timeout``
  counted from its last answer (looks may be seconds apart: a short outage between two
  looks must not hide a long one);
* ``Retry-After`` as seconds or an HTTP date, clamped to [min_interval, max_interval].

``poll_once`` takes one look and returns at once (the conductor's periodic task calls it
once per tick, the state kept in the node between ticks as ``PollState.to_dict()``);
``wait`` loops over it with sleeps for synchronous callers.
"""

from __future__ import annotations

import dataclasses
import email.utils
import logging
import time

from sushy import exceptions as sushy_exc

from ironic_fpga.redfish import errors

LOG = logging.getLogger(__name__)

TERMINAL_OK = ("Completed",)
TERMINAL_BAD = ("Exception", "Killed", "Cancelled", "Interrupted")


@dataclasses.dataclass
class PollState:
    """What the poller must remember between looks; JSON-serialisable (``to_dict``)."""

    monitor_uri: str | None
    task_uri: str | None
    use_monitor: bool
    started_at: float
    #: the last Task seen (TaskState, PercentComplete, Messages): progress and error text
    last: dict = dataclasses.field(default_factory=dict)
    #: clock() of the BMC's last answer (the outage, if any, counts from there)
    answered_at: float | None = None
    #: seconds to the next look when the BMC gives no Retry-After (grows to 2 s)
    interval: float = 0.0

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, doc):
        return cls(**doc)


@dataclasses.dataclass
class Poll:
    """The outcome of one look: ``result`` when the task is over, else ``delay`` to wait."""

    result: TaskResult | None
    delay: float
    state: str | None
    percent: int | None

    @property
    def done(self):
        return self.result is not None


@dataclasses.dataclass
class TaskResult:
    state: str  # Completed, or "Unknown" when the BMC purged every trace of the task
    task_uri: str | None
    percent: int | None
    messages: list


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if bad."""
    if value is None:
        return None
    value = str(value).strip()
    if value.isascii() and value.isdigit():  # "²" passes isdigit(), float("٣") is 3.0
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def _messages(task, problems_only=False):
    out = []
    for m in task.get("Messages") or []:
        if isinstance(m, dict) and m.get("Message"):
            severity = m.get("MessageSeverity") or m.get("Severity") or "OK"
            if not problems_only or severity != "OK":
                out.append(str(m["Message"]))
    return out


class TaskPoller:
    def __init__(self, conn, timeout=1800, unreachable_timeout=300, min_interval=0.2,
                 max_interval=10.0, sleep=time.sleep, clock=time.time):
        """``conn``: a sushy Connector (``root._conn``). ``clock`` is wall-clock time by
        default so that a ``PollState`` stays meaningful in another process."""
        self.conn = conn
        self.timeout = timeout
        self.unreachable_timeout = unreachable_timeout
        self.min_interval = min_interval
        self.max_interval = max_interval
        self.sleep = sleep
        self.clock = clock

    def _get(self, uri):
        """(status, json or None, headers); raises ConnectionError-like for unreachable BMCs."""
        resp = self.conn.get(uri)
        try:
            body = resp.json() if resp.content else None
        except ValueError:
            body = None
        return resp.status_code, body, resp.headers

    def begin(self, monitor_uri, task=None):
        """The state of a task just started: ``task`` is the 202 body when it was a Task."""
        task = task if isinstance(task, dict) else {}
        return PollState(monitor_uri=monitor_uri or None, task_uri=task.get("@odata.id"),
                         use_monitor=bool(monitor_uri), started_at=self.clock(),
                         last=_summary(task), interval=self.min_interval,
                         answered_at=self.clock())

    def _clamp(self, seconds):
        return min(max(seconds, self.min_interval), self.max_interval)

    def poll_once(self, st, progress=None):
        """One non-blocking look at the task (``st`` is updated); a ``Poll``, or a typed error.

        ``progress``: optional callable(state, percent) for logging.
        """
        # At most two requests: a monitor that is over or gone sends us to the Task.
        while True:
            now = self.clock()
            last = st.last
            if now - st.started_at > self.timeout:
                raise errors.TaskTimeout(
                    f"the BMC's update task {st.task_uri or st.monitor_uri} did not finish "
                    f"within {self.timeout} s (last state {last.get('TaskState', 'unknown')}, "
                    f"{last.get('PercentComplete', '?')} %)")
            uri = st.monitor_uri if st.use_monitor else st.task_uri
            try:
                status, body, headers = self._get(uri)
            except sushy_exc.ResourceNotFoundError:
                st.answered_at = now
                if st.use_monitor and st.task_uri:
                    LOG.debug("task monitor %s is gone; reading task %s", st.monitor_uri,
                              st.task_uri)
                    st.use_monitor = False
                    continue
                if st.use_monitor:
                    # No trace left: the caller must verify the outcome (version read-back).
                    return self._done(TaskResult("Unknown", None, last.get("PercentComplete"),
                                                 _messages(last)))
                raise errors.TaskFailed(f"the BMC's task {st.task_uri} disappeared") from None
            except (sushy_exc.ConnectionError, sushy_exc.ServerSideError) as exc:
                if st.answered_at is None:
                    st.answered_at = now
                if now - st.answered_at > self.unreachable_timeout:
                    raise errors.BMCUnreachable(
                        f"the BMC stopped answering while the update task "
                        f"{st.task_uri or st.monitor_uri} was {last.get('TaskState', 'running')} "
                        f"at {last.get('PercentComplete', '?')} % and did not come back within "
                        f"{self.unreachable_timeout} s ({exc})") from None
                return Poll(None, min(max(st.interval, 1.0), self.max_interval),
                            last.get("TaskState"), last.get("PercentComplete"))
            except sushy_exc.HTTPError as exc:  # 401/403/400...: it answers, but says no
                raise errors.RedfishAccelError(
                    f"the BMC refused to show the update task {uri}: {exc}") from None
            st.answered_at = now
            retry_after = parse_retry_after(headers.get("Retry-After"))
            if status == 204:
                if st.task_uri and st.use_monitor:
                    st.use_monitor = False
                    continue
                return self._done(TaskResult("Completed", st.task_uri, 100, _messages(last)))
            if isinstance(body, dict) and "TaskState" in body:
                st.last = last = _summary(body)
                st.task_uri = body.get("@odata.id") or st.task_uri
                state = body["TaskState"]
                if progress:
                    progress(state, body.get("PercentComplete"))
                if state in TERMINAL_BAD:
                    msgs = _messages(body, problems_only=True) or _messages(body)
                    raise errors.TaskFailed(
                        f"the BMC's update task {st.task_uri} ended in {state}"
                        + (f": {'; '.join(msgs)}" if msgs else ""))
                if state in TERMINAL_OK:
                    return self._done(TaskResult(state, st.task_uri, body.get("PercentComplete"),
                                                 _messages(body)))
            elif status == 200 and st.use_monitor:
                # The operation's own response: the task is over. Read it if we can.
                if st.task_uri:
                    st.use_monitor = False
                    continue
                return self._done(TaskResult("Completed", st.task_uri, 100, []))
            delay = self._clamp(retry_after if retry_after is not None else st.interval)
            st.interval = min(max(st.interval, self.min_interval) * 1.5, 2.0)
            return Poll(None, delay, last.get("TaskState"), last.get("PercentComplete"))

    @staticmethod
    def _done(result):
        return Poll(result, 0.0, result.state, result.percent)

    def wait(self, monitor_uri, task=None, progress=None):
        """Poll until the task ends; TaskResult on success, typed errors otherwise.

        ``task``: the 202 body when it was a Task (its ``@odata.id`` is remembered).
        ``progress``: optional callable(state, percent) for logging.
        """
        st = self.begin(monitor_uri, task)
        while True:
            poll = self.poll_once(st, progress=progress)
            if poll.done:
                return poll.result
            self.sleep(poll.delay)


def _summary(task):
    """The part of a Task worth keeping between looks (small enough for a node's JSON)."""
    out = {k: task[k] for k in ("TaskState", "PercentComplete") if k in task}
    msgs = [m for m in task.get("Messages") or [] if isinstance(m, dict) and m.get("Message")]
    if msgs:
        out["Messages"] = [{"Message": str(m["Message"])[:500],
                            "MessageSeverity": m.get("MessageSeverity") or m.get("Severity")
                            or "OK"} for m in msgs[-10:]]
    return out
