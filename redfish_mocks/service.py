"""The emulator's request handling: auth, faults, routing, caching, paging, actions.

Standard layout: routes map a path's segments to a renderer in ``tree``; GETs of server
resources are cached as serialized bytes keyed by the owning server's generation, so a
repeated GET costs a dict lookup. Vendor layout (one BMC per service, ``layouts``): the
layout builds the BMC's whole site per generation and every GET is a lookup in it.
Collections are paged on ``$top``/``$skip`` and by the page size (``paging``).
"""

from __future__ import annotations

import email.utils
import json
import time
import urllib.parse

from redfish_mocks import faults as faults_mod
from redfish_mocks import layouts, odata, paging, profiles, tree
from redfish_mocks import sessions as sessions_mod
from redfish_mocks import tasks as tasks_mod
from redfish_mocks import update_service as update_mod
from redfish_mocks.httpd import DROP, Response, json_response, redfish_error

V1 = "/redfish/v1"
JSON = [("Content-Type", "application/json; charset=utf-8")]
_CACHE_LIMIT = 20000


class EmulatorService:
    def __init__(self, emu, username="admin", password="password", page_size=None):
        if page_size is not None and page_size < 1:
            raise ValueError("the page size must be at least 1")
        self.emu = emu
        self.page_size = page_size
        self.tasks = tasks_mod.TaskStore()
        self.sessions = sessions_mod.Sessions(username, password)
        self._cache = {}
        #: the one server of a vendor-layout service and its layout (None: standard)
        self.vendor = emu.vendor_server
        self.layout = layouts.get(self.vendor.profile.layout) if self.vendor else None
        if self.layout is not None:
            self.layout.check(self.vendor)
        self._site = (None, None, {})  # (generation, Site, {path: serialized body})
        self._static = {
            "/redfish": json.dumps({"v1": "/redfish/v1/"}).encode(),
            f"{V1}/$metadata": odata.metadata_xml().encode(),
        }

    # -- entry point --------------------------------------------------------------------------
    def handle(self, method, raw_path, headers, body):
        split = urllib.parse.urlsplit(raw_path)
        path = urllib.parse.unquote(split.path)
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        parts = path.split("/")[3:] if path.startswith(V1) else None
        server = self._owner(parts) if parts is not None else None
        if server is not None and not server.reachable():
            return DROP  # a rebooting BMC answers nothing, not even a login
        if path == f"{V1}/SessionService/Sessions" and method == "POST":
            return self.sessions.login(body)
        if path not in sessions_mod.PUBLIC and not self.sessions.authenticated(headers):
            return redfish_error(401, "authentication required (X-Auth-Token or Basic)",
                                 "Base.1.19.NoValidSession",
                                 [("WWW-Authenticate", 'Basic realm="accel-redfish-mock"')])
        if path.startswith("/accel-mock/v1"):
            return self._admin(method, path, body)
        delay = 0.0
        if server is not None:
            delay = server.faults.latency_ms / 1000.0
            status = server.faults.take_http_error()
            if status:
                return redfish_error(status, f"injected error {status} for {server.sid}",
                                     "Base.1.19.ServiceTemporarilyUnavailable"
                                     if status == 503 else "Base.1.19.GeneralError",
                                     [("Retry-After", "1")] if status == 503 else None)
        if method in ("GET", "HEAD"):
            try:
                resp = self._get(path, parts, server, paging.parse(split.query))
            except paging.QueryError as exc:
                resp = redfish_error(exc.status, str(exc), exc.message_id)
        elif method == "POST":
            resp = self._post(path, parts, server, headers, body)
        elif method == "PATCH":
            resp = self._patch(path, parts, server, body)
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
        if self.vendor is not None:
            return self.vendor  # the whole service is this one BMC
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
    def _get(self, path, parts, server, query):
        static = self._static.get(path)
        if static is not None:
            if query.paging:
                raise paging.QueryError(400, f"{path} is not a resource collection",
                                        "Base.1.19.QueryNotSupportedOnResource")
            ctype = "application/xml" if path.endswith("$metadata") else \
                "application/json; charset=utf-8"
            return Response(200, static, [("Content-Type", ctype)])
        if parts is None:
            return redfish_error(404, f"{path} not found", "Base.1.19.ResourceMissingAtURI")
        if parts and parts[0] == "TaskService" and len(parts) == 3 and \
                parts[1] == "TaskMonitors":
            return self._monitor(parts[2])
        if self.layout is not None and parts[:1] not in (["TaskService"], ["SessionService"],
                                                         ["odata"]):
            found = self._site_get(path)
        else:
            found = self._render_get(path, parts, server)
        if found is None:
            return redfish_error(404, f"{path} not found", "Base.1.19.ResourceMissingAtURI")
        body, doc = found
        size = self._page_size(parts, server)
        if not query.paging and (size is None or doc is None or
                                 len(doc["Members"]) <= size):
            return Response(200, body, JSON)
        if doc is None:
            raise paging.QueryError(400, f"{path} is not a resource collection: $top and "
                                    "$skip do not apply", "Base.1.19.QueryNotSupportedOnResource")
        page = paging.page(doc, path, query, size)
        if page is doc:
            return Response(200, body, JSON)
        return json_response(200, page)

    def _page_size(self, parts, server):
        if self.page_size is not None:
            return self.page_size
        prof = server.profile if server is not None else None
        if prof is None or prof.page_size is None:
            return None
        if prof.paged and (not parts or parts[-1] not in prof.paged):
            return None
        return prof.page_size

    def _render_get(self, path, parts, server):
        """(body, the document if it is a collection) of a standard-layout resource."""
        gen = server.generation if server is not None else 0
        cached = self._cache.get(path)
        if cached is not None and cached[0] == gen:
            return cached[1], cached[2]
        doc, cacheable = self._render(parts, server)
        if doc is None:
            return None
        body = json.dumps(doc, separators=(",", ":")).encode()
        doc = doc if paging.is_collection(doc) else None
        if cacheable:
            if len(self._cache) > _CACHE_LIMIT:
                self._cache.clear()
            self._cache[path] = (gen, body, doc)
        return body, doc

    def site(self):
        """The vendor BMC's site at its current generation (built once per generation)."""
        server = self.vendor
        with self.emu.lock:
            gen, site, bodies = self._site
            if gen != server.generation:
                gen, site, bodies = server.generation, self.layout.build(server), {}
                self._site = (gen, site, bodies)
        return site, bodies

    def _site_get(self, path):
        site, bodies = self.site()
        key = V1 if path == V1 else path
        doc = site.docs.get(key)
        if doc is None:
            return None
        body = bodies.get(key)
        if body is None:
            body = bodies[key] = json.dumps(doc, separators=(",", ":")).encode()
        return body, (doc if paging.is_collection(doc) else None)

    def _render(self, parts, server):
        """(document or None, cacheable)."""
        emu, n = self.emu, len(parts)
        if n == 0:
            return tree.service_root(emu), True
        head = parts[0]
        if n == 1:
            fn = {"Systems": tree.systems, "Chassis": tree.chassis_collection,
                  "Managers": tree.managers, "UpdateService": tree.update_service,
                  "odata": lambda e: odata.odata_service_document(
                      self.layout is None or self.layout.update_service)}.get(head)
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

    def select_targets(self, targets, via, given):
        """The Selection an update request's Targets make (``via``: simple, multipart)."""
        if self.layout is None:
            return update_mod.standard_targets(self.emu, targets)
        site, _bodies = self.site()
        return self.layout.select(self.vendor, site, targets, via, given)

    def _post(self, path, parts, server, headers, body):
        layout = self.layout
        simple = layout is None or layout.simple_targets is not None
        multipart = f"{V1}/UpdateService/upload" if layout is None else layout.multipart_path
        try:
            if simple and path == f"{V1}/UpdateService/Actions/UpdateService.SimpleUpdate":
                return self._accepted(update_mod.simple_update(self, self._json(body)))
            if multipart and path == multipart:
                return self._accepted(update_mod.multipart_update(
                    self, headers.get("Content-Type"), body, path))
            if server is not None and path in self._systems(server, "/Actions/"
                                                            "ComputerSystem.Reset"):
                return self._reset(server, self._json(body))
        except update_mod.BadRequest as exc:
            return redfish_error(400, str(exc), exc.message_id)
        return redfish_error(405, f"POST is not supported on {path}",
                             "Base.1.19.OperationNotAllowed")

    def _systems(self, server, suffix=""):
        """Paths (plus ``suffix``) of the ComputerSystems whose reset and boot may change."""
        if self.layout is not None:
            return [uri + suffix for uri in self.layout.reset_targets(server)]
        return [f"{V1}/Systems/{server.sid}{suffix}"]

    def _accepted(self, task):
        headers = [("Location", task.uri if task.profile.location == "task"
                    else task.monitor_uri)]
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
    def _patch(self, path, parts, server, body):
        if server is None or path not in self._systems(server):
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
