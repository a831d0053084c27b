"""Robust polling of a Redfish task (monitor and Task resource), independent of sushy's wait().

sushy's ``TaskMonitor.wait()`` returns early when the 202 body is a Task and crashes on
an integer ``Retry-After``; BMCs also purge monitors on completion, answer 204, keep a
task in ``New`` or go unreachable while they reboot. This poller handles all of them:

* the monitor answering 202 -> still running (its body, when a Task, gives progress);
* 200 with a Task -> its state decides; 200 without one -> done;
* 204, or 404 on the monitor -> read the Task resource (if known) for the outcome;
* connection errors and 5xx -> the BMC is away; tolerated up to ``unreachable_timeout``;
* ``Retry-After`` as seconds or an HTTP date, clamped to [min_interval, max_interval].
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
    if value.isdigit():
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
                 max_interval=10.0, sleep=time.sleep, clock=time.monotonic):
        """``conn``: a sushy Connector (``root._conn``)."""
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

    def wait(self, monitor_uri, task=None, progress=None):
        """Poll until the task ends; TaskResult on success, typed errors otherwise.

        ``task``: the 202 body when it was a Task (its ``@odata.id`` is remembered).
        ``progress``: optional callable(state, percent) for logging.
        """
        start = self.clock()
        task_uri = (task or {}).get("@odata.id") if isinstance(task, dict) else None
        last = dict(task) if isinstance(task, dict) else {}
        away_since = None
        use_monitor = bool(monitor_uri)
        interval = self.min_interval
        while True:
            now = self.clock()
            if now - start > self.timeout:
                raise errors.TaskTimeout(
                    f"the BMC's update task {task_uri or monitor_uri} did not finish within "
                    f"{self.timeout} s (last state {last.get('TaskState', 'unknown')}, "
                    f"{last.get('PercentComplete', '?')} %)")
            uri = monitor_uri if use_monitor else task_uri
            retry_after = None
            try:
                status, body, headers = self._get(uri)
                away_since = None
                retry_after = parse_retry_after(headers.get("Retry-After"))
            except sushy_exc.ResourceNotFoundError:
                if use_monitor and task_uri:
                    LOG.debug("task monitor %s is gone; reading task %s", monitor_uri, task_uri)
                    use_monitor = False
                    continue
                if use_monitor:
                    # No trace left: the caller must verify the outcome (version read-back).
                    return TaskResult("Unknown", None, last.get("PercentComplete"),
                                      _messages(last))
                raise errors.TaskFailed(f"the BMC's task {task_uri} disappeared") from None
            except (sushy_exc.ConnectionError, sushy_exc.ServerSideError) as exc:
                away_since = away_since or now
                if now - away_since > self.unreachable_timeout:
                    raise errors.BMCUnreachable(
                        f"the BMC stopped answering while the update task "
                        f"{task_uri or monitor_uri} was {last.get('TaskState', 'running')} at "
                        f"{last.get('PercentComplete', '?')} % and did not come back within "
                        f"{self.unreachable_timeout} s ({exc})") from None
                self.sleep(min(max(interval, 1.0), self.max_interval))
                continue
            if status == 204:
                if task_uri and use_monitor:
                    use_monitor = False
                    continue
                return TaskResult("Completed", task_uri, 100, _messages(last))
            if isinstance(body, dict) and "TaskState" in body:
                last = body
                task_uri = body.get("@odata.id") or task_uri
                state = body["TaskState"]
                if progress:
                    progress(state, body.get("PercentComplete"))
                if state in TERMINAL_BAD:
                    msgs = _messages(body, problems_only=True) or _messages(body)
                    raise errors.TaskFailed(
                        f"the BMC's update task {task_uri} ended in {state}"
                        + (f": {'; '.join(msgs)}" if msgs else ""))
                if state in TERMINAL_OK:
                    return TaskResult(state, task_uri, body.get("PercentComplete"),
                                      _messages(body))
            elif status == 200 and use_monitor:
                # The operation's own response: the task is over. Read it if we can.
                if task_uri:
                    use_monitor = False
                    continue
                return TaskResult("Completed", task_uri, 100, [])
            wait = retry_after if retry_after is not None else interval
            self.sleep(min(max(wait, self.min_interval), self.max_interval))
            interval = min(interval * 1.5, 2.0)
