"""The emulator's request handling: auth, faults, routing, caching, actions.

Routes map a path's segments to a renderer in ``tree``; GETs of server resources
are cached as serialized bytes keyed by the owning server's generation, so a
repeated GET costs a dict lookup.
"""

from __future__ import annotations

import email.utils
import json
import time
import urllib.parse

from redfish_mocks import faults as faults_mod
from redfish_mocks import odata, profiles, tree
from redfish_mocks import sessions as sessions_mod
from redfish_mocks import tasks as tasks_mod
from redfish_mocks import update_service as update_mod
from redfish_mocks.httpd import DROP, Response, json_response, redfish_error

V1 = "/redfish/v1"
JSON = [("Content-Type", "application/json; charset=utf-8")]
_CACHE_LIMIT = 20000


class EmulatorService:
    def __init__(self, emu, username="admin", password="password"):
        self.emu = emu
        self.tasks = tasks_mod.TaskStore()
        self.sessions = sessions_mod.Sessions(username, password)
        self._cache = {}
        self._static = {
            "/redfish": json.dumps({"v1": "/redfish/v1/"}).encode(),
            f"{V1}/$metadata": odata.metadata_xml().encode(),
        }

    # -- entry point --------------------------------------------------------------------------
    def handle(self, method, raw_path, headers, body):
        path = urllib.parse.unquote(urllib.parse.urlsplit(raw_path).path)
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        if path == f"{V1}/SessionService/Sessions" and method == "POST":
            return self.sessions.login(body)
        if path not in sessions_mod.PUBLIC and not self.sessions.authenticated(headers):
            return redfish_error(401, "authentication required (X-Auth-Token or Basic)",
                                 "Base.1.19.NoValidSession",
                                 [("WWW-Authenticate", 'Basic realm="accel-redfish-mock"')])
        if path.startswith("/accel-mock/v1"):
            return self._admin(method, path, body)
        parts = path.split("/")[3:] if path.startswith(V1) else None
        server = self._owner(parts)
        delay = 0.0
        if server is not None:
            if not server.reachable():
                return DROP
            delay = server.faults.latency_ms / 1000.0
            status = server.faults.take_http_error()
            if status:
                return redfish_error(status, f"injected error {status} for {server.sid}",
                                     "Base.1.19.ServiceTemporarilyUnavailable"
                                     if status == 503 else "Base.1.19.GeneralError",
                                     [("Retry-After", "1")] if status == 503 else None)
        if method in ("GET", "HEAD"):
            resp = self._get(path, parts, server)
        elif method == "POST":
            resp = self._post(path, parts, server, headers, body)
        elif method == "PATCH":
            resp = self._patch(parts, server, body)
        elif method == "DELETE":
            resp = self._delete(parts)
        else:
            resp = redfish_error(405, f"{method} is not supported on {path}",
                                 "Base.1.19.OperationNotAllowed")
        if delay:  # injected latency: the HTTP layer waits without blocking others
            resp = Response(resp.status, resp.body, resp.headers, delay=delay)
        return resp

    # -- ownership (for faults) --------------------------------------------------------------
    def _owner(self, parts):
        if not parts or len(parts) < 2:
            return None
        head = parts[0]
        if head in ("Systems", "Chassis", "Managers"):
            return self.emu.server(parts[1])
        if head == "UpdateService" and len(parts) >= 3 and parts[1] == "FirmwareInventory":
            return self.emu.server_of_inventory(parts[2])[0]
        if head == "TaskService" and len(parts) >= 3 and parts[1] in ("Tasks", "TaskMonitors"):
            task = self.tasks.get(parts[2])
            return task.server if task else None
        return None

    # -- GET --------------------------------------------------------------------------------
    def _get(self, path, parts, server):
        static = self._static.get(path)
        if static is not None:
            ctype = "application/xml" if path.endswith("$metadata") else \
                "application/json; charset=utf-8"
            return Response(200, static, [("Content-Type", ctype)])
        if parts is None:
            return redfish_error(404, f"{path} not found", "Base.1.19.ResourceMissingAtURI")
        if parts and parts[0] == "TaskService" and len(parts) == 3 and \
                parts[1] == "TaskMonitors":
            return self._monitor(parts[2])
        gen = server.generation if server is not None else 0
        cached = self._cache.get(path)
        if cached is not None and cached[0] == gen:
            return Response(200, cached[1], JSON)
        doc, cacheable = self._render(parts, server)
        if doc is None:
            return redfish_error(404, f"{path} not found", "Base.1.19.ResourceMissingAtURI")
        body = json.dumps(doc, separators=(",", ":")).encode()
        if cacheable:
            if len(self._cache) > _CACHE_LIMIT:
                self._cache.clear()
            self._cache[path] = (gen, body)
        return Response(200, body, JSON)

    def _render(self, parts, server):
        """(document or None, cacheable)."""
        emu, n = self.emu, len(parts)
        if n == 0:
            return tree.service_root(emu), True
        head = parts[0]
        if n == 1:
            fn = {"Systems": tree.systems, "Chassis": tree.chassis_collection,
                  "Managers": tree.managers, "UpdateService": tree.update_service,
                  "odata": lambda e: odata.odata_service_document()}.get(head)
            if fn:
                return fn(emu), True
            if head == "TaskService":
                return self.tasks.service(), False
            if head == "SessionService":
                return self.sessions.service(), False
            return None, False
        if head == "TaskService":
            if parts[1] == "Tasks":
                if n == 2:
                    return self.tasks.collection(), False
                task = self.tasks.get(parts[2]) if n == 3 else None
                return (task.to_dict() if task else None), False
            return None, False
        if head == "SessionService":
            if parts[1] == "Sessions":
                if n == 2:
                    return self.sessions.collection(), False
                return (self.sessions.session(parts[2]) if n == 3 else None), False
            return None, False
        if head == "UpdateService":
            if parts[1] == "FirmwareInventory":
                if n == 2:
                    return tree.firmware_inventory(emu), True
                if n == 3 and server is not None:
                    spec = server.firmware(parts[2])
                    return tree.software_inventory(emu, server, spec), True
                return None, False
            if parts[1] == "SimpleUpdateActionInfo" and n == 2:
                return tree.simple_update_action_info(emu), True
            return None, False
        if server is None:
            return None, False
        rest = parts[2:]
        if head == "Systems":
            return self._system_part(server, rest), True
        if head == "Chassis":
            return self._chassis_part(server, rest), True
        if head == "Managers" and not rest:
            return tree.manager(emu, server), True
        return None, False

    def _system_part(self, server, rest):
        emu = self.emu
        if not rest:
            return tree.system(emu, server)
        if rest == ["ResetActionInfo"]:
            return tree.reset_action_info(emu, server)
        if rest[0] != "Processors":
            return None
        if len(rest) == 1:
            return tree.processors(emu, server)
        if len(rest) == 2:
            return tree.processor(emu, server, rest[1])
        if rest[2] == "AccelerationFunctions":
            if len(rest) == 3:
                return tree.acceleration_functions(emu, server, rest[1])
            if len(rest) == 4:
                return tree.acceleration_function(emu, server, rest[1], rest[3])
        return None

    def _chassis_part(self, server, rest):
        emu = self.emu
        if not rest:
            return tree.chassis(emu, server)
        if rest[0] != "PCIeDevices":
            return None
        if len(rest) == 1:
            return tree.pcie_devices(emu, server)
        if len(rest) == 2:
            return tree.pcie_device(emu, server, rest[1])
        if rest[2] == "PCIeFunctions":
            if len(rest) == 3:
                return tree.pcie_functions(emu, server, rest[1])
            if len(rest) == 4:
                return tree.pcie_function(emu, server, rest[1], rest[3])
        return None

    # -- task monitors ------------------------------------------------------------------------
    def _monitor(self, tid):
        task = self.tasks.get(tid)
        if task is None:
            return redfish_error(404, f"no task monitor {tid}", "Base.1.19.ResourceMissingAtURI")
        prof = task.profile
        if not task.finished:
            headers = [("Location", task.monitor_uri)]
            if prof.retry_after == "int":
                headers.append(("Retry-After", "1"))
            elif prof.retry_after == "date":
                headers.append(("Retry-After", email.utils.formatdate(time.time() + 1,
                                                                       usegmt=True)))
            return json_response(202, task.to_dict(), headers)
        if prof.purge_monitor_on_completion:
            return redfish_error(404, f"task monitor {tid} was purged",
                                 "Base.1.19.ResourceMissingAtURI")
        if prof.monitor_204_on_completion:
            return Response(204)
        return json_response(200, task.to_dict())

    # -- POST ---------------------------------------------------------------------------------
    def _json(self, body):
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            raise update_mod.BadRequest("the request body is not valid JSON",
                                        "Base.1.19.MalformedJSON") from None
        if not isinstance(doc, dict):
            raise update_mod.BadRequest("the request body must be a JSON object",
                                        "Base.1.19.MalformedJSON")
        return doc

    def _post(self, path, parts, server, headers, body):
        try:
            if path == f"{V1}/UpdateService/Actions/UpdateService.SimpleUpdate":
                return self._accepted(update_mod.simple_update(self, self._json(body)))
            if path == f"{V1}/UpdateService/upload":
                return self._accepted(update_mod.multipart_update(
                    self, headers.get("Content-Type"), body))
            if server is not None and parts[2:] == ["Actions", "ComputerSystem.Reset"] and \
                    parts[0] == "Systems":
                return self._reset(server, self._json(body))
        except update_mod.BadRequest as exc:
            return redfish_error(400, str(exc), exc.message_id)
        return redfish_error(405, f"POST is not supported on {path}",
                             "Base.1.19.OperationNotAllowed")

    def _accepted(self, task):
        headers = [("Location", task.monitor_uri)]
        if task.profile.task_body_in_202:
            return json_response(202, task.to_dict(), headers)
        return Response(202, b"", headers)

    def _reset(self, server, doc):
        kind = doc.get("ResetType")
        if kind not in tree.RESET_TYPES:
            raise update_mod.BadRequest(
                f"ResetType {kind!r} is not one of {', '.join(tree.RESET_TYPES)}",
                "Base.1.19.ActionParameterValueNotInList")
        with self.emu.lock:
            if kind in ("ForceOff", "GracefulShutdown"):
                server.power_state = "Off"
            elif kind == "PushPowerButton":
                server.power_state = "Off" if server.power_state == "On" else "On"
            elif kind != "Nmi":
                server.power_state = "On"
            server.touch()
        return Response(204)

    # -- PATCH / DELETE -------------------------------------------------------------------------
    def _patch(self, parts, server, body):
        if server is None or parts[0] != "Systems" or len(parts) != 2:
            return redfish_error(405, "PATCH is only supported on a ComputerSystem",
                                 "Base.1.19.OperationNotAllowed")
        try:
            doc = self._json(body)
        except update_mod.BadRequest as exc:
            return redfish_error(400, str(exc), exc.message_id)
        boot = doc.pop("Boot", {})
        if doc or not isinstance(boot, dict):
            return redfish_error(400, f"only Boot can be changed, not {', '.join(doc) or 'that'}",
                                 "Base.1.19.PropertyNotWritable")
        allowed = {"BootSourceOverrideEnabled": ("Disabled", "Once", "Continuous"),
                   "BootSourceOverrideTarget": tuple(tree.BOOT_TARGETS),
                   "BootSourceOverrideMode": ("UEFI", "Legacy")}
        for key, value in boot.items():
            if key not in allowed or value not in allowed[key]:
                return redfish_error(400, f"Boot.{key}={value!r} is not supported",
                                     "Base.1.19.PropertyValueNotInList")
        with self.emu.lock:
            server.boot.update(boot)
            server.touch()
        return Response(204)

    def _delete(self, parts):
        if parts and parts[:2] == ["SessionService", "Sessions"] and len(parts) == 3:
            if self.sessions.delete(parts[2]):
                return Response(204)
            return redfish_error(404, "no such session", "Base.1.19.ResourceMissingAtURI")
        return redfish_error(405, "DELETE is not supported here", "Base.1.19.OperationNotAllowed")

    # -- admin (faults, profiles) ----------------------------------------------------------------
    def _admin(self, method, path, body):
        parts = path.split("/")[3:]
        if parts == ["servers"] and method == "GET":
            return json_response(200, {"servers": [
                {"id": s.sid, "host": s.host.name, "profile": s.profile.name,
                 "faults": s.faults.describe()} for s in self.emu.servers.values()],
                "profiles": {p.name: p.description for p in profiles.PROFILES.values()}})
        if len(parts) == 3 and parts[0] == "servers":
            server = self.emu.server(parts[1])
            if server is None:
                return redfish_error(404, f"no server {parts[1]}")
            try:
                if parts[2] == "faults" and method == "POST":
                    server.faults.add(json.loads(body or b"null"))
                    return Response(204)
                if parts[2] == "faults" and method == "DELETE":
                    server.faults.clear()
                    return Response(204)
                if parts[2] == "profile" and method == "PUT":
                    self.emu.set_profile(server.sid, (json.loads(body or b"{}") or {})
                                         .get("profile"))
                    return Response(204)
            except (ValueError, AttributeError, faults_mod.FaultError) as exc:
                return redfish_error(400, str(exc))
        return redfish_error(404, f"{method} {path}: no such admin operation")
