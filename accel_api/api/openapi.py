"""Builds the OpenAPI 3 document (``openapi.yaml``) from the route table and the
request schemas the handlers validate with, so the document cannot drift:
``python -m accel_api.api.openapi > accel_api/api/openapi.yaml`` regenerates it and a
unit test checks the committed file is what this produces."""

import os
import sys

import yaml

from accel_api.api import accelerator_requests as arqs
from accel_api.api import attributes, bitstreams, claims, device_profiles, microversion
from accel_api.api import programming as program_api

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "openapi.yaml")
UUID = {"type": "string", "format": "uuid"}
Q_UUID = {"type": "string", "maxLength": 64}
OBJ = {"type": "object"}

ERROR = {"description": "Error (Cyborg's wsme shape)", "content": {"application/json": {
    "schema": {"type": "object", "properties": {"error_message": {"type": "string"}}}}}}


def _json(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _list_of(key):
    return _json({"type": "object", "required": [key],
                  "properties": {key: {"type": "array", "items": OBJ}}})


def _q(name, description, schema=None):
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string", "maxLength": 255}}


def _p(name, schema=None):
    return {"name": name, "in": "path", "required": True,
            "schema": schema or {"type": "string", "minLength": 1, "maxLength": 255}}


INVENTORY = {"$ref": "#/components/schemas/Inventory"}
IMPORT_SUMMARY = {"type": "object", "required": ["hostname", "devices", "deployables",
                                                 "attach_handles"]}

_TS = {"type": ["string", "null"]}
PLACEMENT_STATE = {
    "type": ["object", "null"],
    "description": "Where the host's providers are in Placement (null: not reported).",
    "properties": {
        "kind": {"type": "string", "enum": ["nova", "standalone"]},
        "state": {"type": "string", "enum": ["waiting", "synced", "error"]},
        "nodename": {"type": ["string", "null"]}, "since": _TS, "synced_at": _TS,
        "next_try_at": _TS, "reason": {"type": ["string", "null"]},
        "root_provider_uuid": {"type": ["string", "null"]}}}
HOST = {"type": "object", "required": ["hostname", "num_devices", "placement"],
        "properties": {"hostname": {"type": "string"}, "num_devices": {"type": "integer"},
                       "placement": PLACEMENT_STATE}}

# (method, path): (tag, summary, params, request schema, {status: response})
OPERATIONS = {
    ("GET", "/"): ("versions", "Version document", [], None, {200: _json(OBJ)}),
    ("GET", "/v2"): ("versions", "The v2 version and its microversion range", [], None,
                     {200: _json(OBJ)}),
    ("GET", "/v2/device_profiles"): (
        "device_profiles", "List device profiles", [_q("name", "names, comma-separated")],
        None, {200: _list_of("device_profiles")}),
    ("POST", "/v2/device_profiles"): (
        "device_profiles", "Create a device profile (admin)", [],
        device_profiles.CREATE_SCHEMA, {201: _json(OBJ, "Created")}),
    ("DELETE", "/v2/device_profiles"): (
        "device_profiles", "Delete device profiles by name (admin)",
        [_q("value", "names, comma-separated")], None, {204: {"description": "Deleted"}}),
    ("GET", "/v2/device_profiles/{name_or_uuid}"): (
        "device_profiles", "Show a device profile (by name from 2.2)",
        [_p("name_or_uuid")], None, {200: _json(OBJ)}),
    ("DELETE", "/v2/device_profiles/{name_or_uuid}"): (
        "device_profiles", "Delete a device profile (admin)", [_p("name_or_uuid")], None,
        {204: {"description": "Deleted"}}),
    ("GET", "/v2/accelerator_requests"): (
        "accelerator_requests", "List ARQs (423 while an instance's are unresolved)",
        [_q("instance", "instance uuid", Q_UUID),
         _q("bind_state", "only 'resolved'", {"type": "string", "maxLength": 32})],
        None, {200: _list_of("arqs"), 423: {"description": "Some ARQs unresolved"}}),
    ("POST", "/v2/accelerator_requests"): (
        "accelerator_requests", "Create one ARQ per requested unit of a profile", [],
        arqs.CREATE_SCHEMA, {201: _list_of("arqs")}),
    ("PATCH", "/v2/accelerator_requests"): (
        "accelerator_requests", "Bind (all add) or unbind (all remove) ARQs (service)",
        [], arqs.PATCH_SCHEMA, {202: {"description": (
            "Accepted: ARQs with nothing to program are resolved (Bound or BindFailed); "
            "those whose profile group programs the device are BindStarted, and end "
            "Bound or BindFailed in the background, with Nova's "
            "accelerator-request-bound event")}}),
    ("DELETE", "/v2/accelerator_requests"): (
        "accelerator_requests", "Delete ARQs by ?arqs= (owner) or ?instance= (service)",
        [_q("arqs", "ARQ uuids, comma-separated", {"type": "string", "maxLength": 4000}),
         _q("instance", "instance uuid", Q_UUID)], None, {204: {"description": "Deleted"}}),
    ("GET", "/v2/accelerator_requests/{uuid}"): (
        "accelerator_requests", "Show an ARQ", [_p("uuid", UUID)], None, {200: _json(OBJ)}),
    ("PATCH", "/v2/accelerator_requests/{uuid}"): (
        "accelerator_requests", "Bind/unbind one ARQ (openstacksdk's form)",
        [_p("uuid", UUID)], arqs.PATCH_SCHEMA, {202: {"description": (
            "Accepted (as PATCH /v2/accelerator_requests)")}}),
    ("DELETE", "/v2/accelerator_requests/{uuid}"): (
        "accelerator_requests", "Delete one ARQ", [_p("uuid", UUID)], None,
        {204: {"description": "Deleted"}}),
    ("GET", "/v2/devices"): (
        "devices", "List devices (admin/service)",
        [_q("type", "device type"), _q("vendor", "PCI vendor id"), _q("hostname", "host"),
         _q("model", "model")], None, {200: _list_of("devices")}),
    ("GET", "/v2/devices/{uuid}"): ("devices", "Show a device", [_p("uuid", UUID)], None,
                                    {200: _json(OBJ)}),
    ("POST", "/v2/devices/{uuid}/enable"): ("devices", "Enable a device (admin)",
                                            [_p("uuid", UUID)], None, {200: _json(OBJ)}),
    ("POST", "/v2/devices/{uuid}/disable"): ("devices", "Disable a device (admin)",
                                             [_p("uuid", UUID)], None, {200: _json(OBJ)}),
    ("GET", "/v2/deployables"): (
        "deployables", "List deployables (admin/service)",
        [_q("name", "name"), _q("rp_uuid", "resource provider"), _q("hostname", "host"),
         _q("resource_class", "resource class"), _q("device_uuid", "device")], None,
        {200: _list_of("deployables")}),
    ("GET", "/v2/deployables/{uuid}"): ("deployables", "Show a deployable",
                                        [_p("uuid", UUID)], None, {200: _json(OBJ)}),
    ("GET", "/v2/attributes"): (
        "attributes", "List attributes (admin/service)",
        [_q("deployable_id", "deployable id"), _q("key", "key")], None,
        {200: _list_of("attributes")}),
    ("POST", "/v2/attributes"): ("attributes", "Create an attribute (admin)", [],
                                 attributes.CREATE_SCHEMA, {201: _json(OBJ, "Created")}),
    ("GET", "/v2/attributes/{uuid}"): ("attributes", "Show an attribute",
                                       [_p("uuid", UUID)], None, {200: _json(OBJ)}),
    ("DELETE", "/v2/attributes/{uuid}"): ("attributes", "Delete an attribute (admin)",
                                          [_p("uuid", UUID)], None,
                                          {204: {"description": "Deleted"}}),
    ("GET", "/v2/hosts"): ("hosts", "List hosts (admin)", [], None, {200: _json(
        {"type": "object", "required": ["hosts"],
         "properties": {"hosts": {"type": "array", "items": HOST}}})}),
    ("GET", "/v2/hosts/{hostname}"): (
        "hosts", "Show a host (admin), with its Placement state", [_p("hostname")], None,
        {200: _json(HOST)}),
    ("PUT", "/v2/hosts/{hostname}/inventory"): (
        "hosts", "Import the host's inventory document (admin/service); idempotent upsert",
        [_p("hostname")], INVENTORY, {200: _json(IMPORT_SUMMARY, "Import summary")}),
    ("GET", "/v2/claims"): ("claims", "List one-call claims", [_q("hostname", "host")], None,
                            {200: _list_of("claims")}),
    ("POST", "/v2/claims"): (
        "claims", "Claim a device: host + resource class + traits -> PCI address", [],
        claims.CREATE_SCHEMA, {201: _json(OBJ, "Claimed")}),
    ("GET", "/v2/claims/{uuid}"): ("claims", "Show a claim", [_p("uuid", UUID)], None,
                                   {200: _json(OBJ)}),
    ("DELETE", "/v2/claims/{uuid}"): ("claims", "Release a claim", [_p("uuid", UUID)], None,
                                      {204: {"description": "Released"}}),
    ("GET", "/v2/bitstreams"): (
        "bitstreams", "List bitstreams (own project's and public)",
        [_q("name", "name"), _q("vendor", "vendor"), _q("type", "type / function name"),
         _q("function_id", "function (AFU) id"), _q("interface_id", "PR interface id")],
        None, {200: _list_of("bitstreams")}),
    ("POST", "/v2/bitstreams"): (
        "bitstreams", "Register a bitstream's metadata (then PUT its data)", [],
        bitstreams.CREATE_SCHEMA, {201: _json(OBJ, "Registered (status uploading)")}),
    ("GET", "/v2/bitstreams/{uuid}"): ("bitstreams", "Show a bitstream", [_p("uuid", UUID)],
                                       None, {200: _json(OBJ)}),
    ("DELETE", "/v2/bitstreams/{uuid}"): (
        "bitstreams", "Delete a bitstream and its stored bytes", [_p("uuid", UUID)], None,
        {204: {"description": "Deleted"}}),
    ("PUT", "/v2/bitstreams/{uuid}/data"): (
        "bitstreams", "Upload the bytes (streamed, hashed, size-limited)", [_p("uuid", UUID)],
        {"type": "string", "format": "binary"}, {200: _json(OBJ, "Stored (status active)"),
                                                 502: ERROR, 503: ERROR}),
    ("GET", "/v2/bitstreams/{uuid}/data"): (
        "bitstreams", "Download the bytes (owners of the bitstream; an agent with the "
                      "signed URL of a job sent to its host)",
        [_p("uuid", UUID), _q("expires", "a job URL's expiry (seconds since the epoch)"),
         _q("sig", "a job URL's signature")], None, {200: {"description": "The bytes", "content": {
            "application/octet-stream": {"schema": {"type": "string",
                                                    "format": "binary"}}}}}),
    ("PATCH", "/v2/deployables/{uuid}/program"): (
        "programming", "Program a deployable (Cyborg's form); waits for the agent",
        [_p("uuid", UUID)], program_api.CYBORG_PROGRAM_SCHEMA,
        {200: _json(OBJ, "The deployable, now running the function"), 500: ERROR,
         503: ERROR}),
    ("POST", "/fpga/{deployable_uuid}"): (
        "programming", "Program a deployable (the FPGA-programming proposal's form)",
        [_p("deployable_uuid", UUID)], program_api.FPGA_PROGRAM_SCHEMA,
        {200: _json(OBJ, "success, with the job"), 500: ERROR, 503: ERROR}),
    ("GET", "/v2/programming_jobs"): (
        "programming", "List programming jobs",
        [_q("deployable_uuid", "deployable"), _q("state", "state")], None,
        {200: _list_of("programming_jobs")}),
    ("POST", "/v2/programming_jobs"): (
        "programming", "Start a programming job; answers at once", [],
        program_api.JOB_SCHEMA, {202: _json(OBJ, "The job (queued)"), 503: ERROR}),
    ("GET", "/v2/programming_jobs/{uuid}"): (
        "programming", "Show a programming job: state, reason, timestamps",
        [_p("uuid", UUID)], None, {200: _json(OBJ)}),
    ("PUT", "/v2/hosts/{hostname}/agent"): (
        "hosts", "Register where the host's accel-agent listens (only the host's own "
                 "agent; answers the host's JSON-RPC credential)",
        [_p("hostname")], program_api.AGENT_SCHEMA, {200: _json(OBJ)}),
}


def build():
    from accel_contract import inventory

    paths = {}
    for (method, path), (tag, summary, params, body, responses) in OPERATIONS.items():
        op = {"tags": [tag], "summary": summary, "operationId": f"{method.lower()}:{path}"}
        params = list(params) + [{
            "name": microversion.HEADER, "in": "header", "required": False,
            "description": "accelerator 2.0 to 2.3", "schema": {"type": "string"}}]
        op["parameters"] = params
        if body is not None:
            media = "application/octet-stream" if body.get("format") == "binary" \
                else "application/json"
            op["requestBody"] = {"required": True, "content": {media: {"schema": body}}}
        op["responses"] = {str(k): v for k, v in responses.items()}
        for code in ("400", "401", "403", "404", "406", "409", "413", "414", "415"):
            op["responses"].setdefault(code, ERROR)
        paths.setdefault(path, {})[method.lower()] = op
    schema = dict(inventory.schema())
    defs = schema.pop("$defs")
    schema.pop("$schema", None)
    schema.pop("$id", None)
    components = {"Inventory": schema}
    for name, value in defs.items():
        components[f"Inventory_{name}"] = value
    text = yaml.safe_dump(components)
    text = text.replace("#/$defs/", "#/components/schemas/Inventory_")
    return {
        "openapi": "3.1.0",
        "info": {"title": "accel-api (ironic-accel)", "version": "2.3",
                 "description": "Cyborg-v2-compatible accelerator API, plus hosts, "
                                "inventory import and one-call claims."},
        "paths": paths,
        "components": {"schemas": yaml.safe_load(text),
                       "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}}},
    }


def render():
    return yaml.safe_dump(build(), sort_keys=False, width=100)


if __name__ == "__main__":
    sys.stdout.write(render())
