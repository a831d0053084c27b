"""TaskService: tasks, their monitors, and the task resources kept after completion."""

from __future__ import annotations

import datetime
import itertools
import threading

from redfish_mocks import odata

V1 = "/redfish/v1"
_ids = itertools.count(1)


def _now():
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Task:
    """One long-running operation; its fields change only under ``lock``."""

    def __init__(self, name, server, profile, payload=None, prefix=""):
        self.id = f"{prefix}{next(_ids)}"
        self.name = name
        self.server = server  # the emulated server the task acts on (its reachability applies)
        self.profile = profile
        self.lock = threading.Lock()
        self.state = "New"
        self.status = "OK"
        self.percent = 0
        self.messages = []
        self.start_time = _now()
        self.end_time = None
        self.payload = payload

    @property
    def uri(self):
        return f"{V1}/TaskService/Tasks/{self.id}"

    @property
    def monitor_uri(self):
        return f"{V1}/TaskService/TaskMonitors/{self.id}"

    @property
    def finished(self):
        return self.state in ("Completed", "Exception", "Killed", "Cancelled")

    def message(self, message_id, text, severity="OK", args=()):
        with self.lock:
            self.messages.append({"MessageId": message_id, "Message": text,
                                  "MessageSeverity": severity,
                                  "MessageArgs": [str(a) for a in args]})

    def set(self, state=None, percent=None):
        with self.lock:
            if state:
                self.state = state
            if percent is not None:
                self.percent = percent
            if self.finished and self.end_time is None:
                self.end_time = _now()

    def fail(self, text):
        self.message("Update.1.1.ApplyFailed", text, "Critical", ())
        with self.lock:
            self.status = "Critical"
        self.set("Exception")

    def to_dict(self):
        with self.lock:
            out = {
                "@odata.type": odata.odata_type("Task"),
                "@odata.id": self.uri,
                "Id": self.id,
                "Name": self.name,
                "TaskState": self.state,
                "TaskStatus": self.status,
                "PercentComplete": self.percent,
                "StartTime": self.start_time,
                "TaskMonitor": self.monitor_uri,
                "Messages": [dict(m) for m in self.messages],
            }
            if self.end_time:
                out["EndTime"] = self.end_time
            if self.payload:
                out["Payload"] = dict(self.payload)
            return out


class TaskStore:
    """Every task of the service, kept after completion (readable until the process ends)."""

    def __init__(self, limit=10000):
        self.tasks = {}
        self.lock = threading.Lock()
        self.limit = limit

    def add(self, task):
        with self.lock:
            if len(self.tasks) >= self.limit:  # drop the oldest finished one
                for tid, old in list(self.tasks.items()):
                    if old.finished:
                        del self.tasks[tid]
                        break
            self.tasks[task.id] = task
        return task

    def get(self, tid):
        return self.tasks.get(tid)

    def service(self):
        return {
            "@odata.type": odata.odata_type("TaskService"),
            "@odata.id": f"{V1}/TaskService",
            "Id": "TaskService",
            "Name": "Task service",
            "ServiceEnabled": True,
            "CompletedTaskOverWritePolicy": "Oldest",
            "LifeCycleEventOnTaskStateChange": False,
            "DateTime": _now(),
            "Status": {"State": "Enabled", "Health": "OK"},
            "Tasks": {"@odata.id": f"{V1}/TaskService/Tasks"},
        }

    def collection(self):
        with self.lock:
            ids = list(self.tasks)
        return {
            "@odata.type": odata.odata_type("TaskCollection"),
            "@odata.id": f"{V1}/TaskService/Tasks",
            "Name": "Tasks",
            "Members": [{"@odata.id": f"{V1}/TaskService/Tasks/{i}"} for i in ids],
            "Members@odata.count": len(ids),
        }
