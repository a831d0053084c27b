"""Fault injection: what an operator or a test can make one emulated BMC do on demand.

Kinds (a fault is a small dict, as posted to ``/accel-mock/v1/servers/<id>/faults``):

``{"kind": "unreachable", "seconds": 5}``
    the server's resources drop connections for that long (a BMC reboot, a network cut);
``{"kind": "http-error", "status": 503, "count": 2}``
    the next ``count`` requests to the server's resources answer ``status``;
``{"kind": "latency", "ms": 200}``
    every request to the server's resources waits that long first;
``{"kind": "fail-next-update", "message": "..."}``
    the next update task ends in ``Exception`` with that message;
``{"kind": "unreachable-during-update", "at_percent": 30, "seconds": 600}``
    the next update task makes the BMC vanish at that point (it never completes).
"""

from __future__ import annotations

import threading
import time

KINDS = ("unreachable", "http-error", "latency", "fail-next-update",
         "unreachable-during-update")


class FaultError(ValueError):
    """A fault description that cannot be applied."""


def _number(fault, key, default, kind=float, minimum=0):
    value = fault.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise FaultError(f"fault {fault.get('kind')!r}: {key} must be a number >= {minimum}")
    return kind(value)


class FaultSet:
    """The active faults of one server."""

    def __init__(self):
        self._lock = threading.Lock()
        self.unreachable_until = 0.0
        self.http_error = None  # [status, remaining count]
        self.latency_ms = 0
        self.fail_next_update = None  # message
        self.vanish_during_update = None  # (at_percent, seconds)

    def add(self, fault):
        if not isinstance(fault, dict) or fault.get("kind") not in KINDS:
            raise FaultError(f"a fault needs a kind among {', '.join(KINDS)}")
        kind = fault["kind"]
        with self._lock:
            if kind == "unreachable":
                self.unreachable_until = time.monotonic() + _number(fault, "seconds", 5)
            elif kind == "http-error":
                status = _number(fault, "status", 503, int, 400)
                if status > 599:
                    raise FaultError("fault 'http-error': status must be 400-599")
                self.http_error = [status, _number(fault, "count", 1, int, 1)]
            elif kind == "latency":
                self.latency_ms = _number(fault, "ms", 100, int)
            elif kind == "fail-next-update":
                self.fail_next_update = str(fault.get("message") or "injected update failure")
            else:
                self.vanish_during_update = (_number(fault, "at_percent", 30, int),
                                             _number(fault, "seconds", 600))

    def clear(self):
        with self._lock:
            self.__init__()

    def describe(self):
        now = time.monotonic()
        out = []
        if self.unreachable_until > now:
            out.append({"kind": "unreachable",
                        "seconds_left": round(self.unreachable_until - now, 1)})
        if self.http_error:
            out.append({"kind": "http-error", "status": self.http_error[0],
                        "count": self.http_error[1]})
        if self.latency_ms:
            out.append({"kind": "latency", "ms": self.latency_ms})
        if self.fail_next_update:
            out.append({"kind": "fail-next-update", "message": self.fail_next_update})
        if self.vanish_during_update:
            out.append({"kind": "unreachable-during-update",
                        "at_percent": self.vanish_during_update[0],
                        "seconds": self.vanish_during_update[1]})
        return out

    def reachable(self, now):
        return now >= self.unreachable_until

    def make_unreachable(self, seconds):
        with self._lock:
            self.unreachable_until = max(self.unreachable_until, time.monotonic() + seconds)

    def take_http_error(self):
        """The status to answer now, or None (consumes one count)."""
        with self._lock:
            if not self.http_error:
                return None
            status = self.http_error[0]
            self.http_error[1] -= 1
            if self.http_error[1] <= 0:
                self.http_error = None
            return status

    def take_update_failure(self):
        with self._lock:
            message, self.fail_next_update = self.fail_next_update, None
            return message

    def take_vanish(self):
        with self._lock:
            value, self.vanish_during_update = self.vanish_during_update, None
            return value
