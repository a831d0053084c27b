"""Policy in code (oslo.policy): defaults, the enforcer, and the sample's source."""

import time

from oslo_policy import policy

from accel_api import errors

ADMIN = "role:admin"
SERVICE = "role:service or service_roles:service"
ADMIN_OR_SERVICE = "rule:context_is_admin or rule:service"
OWNER = "project_id:%(project_id)s"
ADMIN_SERVICE_OR_OWNER = "rule:admin_or_service or rule:owner"
#: The agent principal of the host the request is about (``agent_host`` is set by the
#: auth layer from the user name, see ``accel_api.auth``; the target has ``hostname``).
HOST_AGENT = "role:accel_agent and agent_host:%(hostname)s"

_BASE = [
    policy.RuleDefault("context_is_admin", ADMIN, "Administrators."),
    policy.RuleDefault("service", SERVICE,
                       "OpenStack services, e.g. Nova with its service token."),
    policy.RuleDefault("admin_or_service", ADMIN_OR_SERVICE, "Administrators or services."),
    policy.RuleDefault("owner", OWNER, "Members of the project that owns the resource."),
    policy.RuleDefault("host_agent", HOST_AGENT,
                       "The accel-agent of the host concerned: a user named "
                       "[agent_auth] user_prefix + hostname, with the accel_agent role."),
]


def _op(name, check, description, operations):
    return policy.DocumentedRuleDefault(
        name=name, check_str=check, description=description,
        operations=[{"path": p, "method": m} for m, p in operations])


_RULES = [
    _op("accel:device_profile:get", "",
        "List and show device profiles (they are public to every project).",
        [("GET", "/v2/device_profiles"), ("GET", "/v2/device_profiles/{name_or_uuid}")]),
    _op("accel:device_profile:create", "rule:context_is_admin", "Create a device profile.",
        [("POST", "/v2/device_profiles")]),
    _op("accel:device_profile:delete", "rule:context_is_admin", "Delete device profiles.",
        [("DELETE", "/v2/device_profiles/{uuid}"), ("DELETE", "/v2/device_profiles")]),
    _op("accel:arq:create", "", "Create accelerator requests (owned by the caller's project).",
        [("POST", "/v2/accelerator_requests")]),
    _op("accel:arq:get", ADMIN_SERVICE_OR_OWNER,
        "Show accelerator requests; non-admin callers only see their project's.",
        [("GET", "/v2/accelerator_requests"), ("GET", "/v2/accelerator_requests/{uuid}")]),
    _op("accel:arq:get_all_projects", "rule:admin_or_service",
        "List every project's accelerator requests.", [("GET", "/v2/accelerator_requests")]),
    _op("accel:arq:update", "rule:admin_or_service",
        "Bind or unbind accelerator requests (Nova's service token).",
        [("PATCH", "/v2/accelerator_requests")]),
    _op("accel:arq:delete", ADMIN_SERVICE_OR_OWNER, "Delete accelerator requests by uuid.",
        [("DELETE", "/v2/accelerator_requests?arqs={uuids}")]),
    _op("accel:arq:delete_by_instance", "rule:admin_or_service",
        "Delete all accelerator requests of an instance.",
        [("DELETE", "/v2/accelerator_requests?instance={uuid}")]),
    _op("accel:device:get", "rule:admin_or_service", "List and show devices.",
        [("GET", "/v2/devices"), ("GET", "/v2/devices/{uuid}")]),
    _op("accel:device:update", "rule:context_is_admin", "Enable or disable a device.",
        [("POST", "/v2/devices/{uuid}/enable"), ("POST", "/v2/devices/{uuid}/disable")]),
    _op("accel:deployable:get", "rule:admin_or_service", "List and show deployables.",
        [("GET", "/v2/deployables"), ("GET", "/v2/deployables/{uuid}")]),
    _op("accel:attribute:get", "rule:admin_or_service", "List and show attributes.",
        [("GET", "/v2/attributes"), ("GET", "/v2/attributes/{uuid}")]),
    _op("accel:attribute:create", "rule:context_is_admin", "Create an attribute.",
        [("POST", "/v2/attributes")]),
    _op("accel:attribute:delete", "rule:context_is_admin", "Delete an attribute.",
        [("DELETE", "/v2/attributes/{uuid}")]),
    _op("accel:host:get", "rule:context_is_admin", "List and show hosts.",
        [("GET", "/v2/hosts"), ("GET", "/v2/hosts/{hostname}")]),
    _op("accel:host:import_inventory", "rule:admin_or_service or rule:host_agent",
        "Import a host's inventory document (the Ironic hook's service user, or the "
        "host's own accel-agent).",
        [("PUT", "/v2/hosts/{hostname}/inventory")]),
    _op("accel:claim:create", "", "Claim a device without Nova (owned by the caller's project).",
        [("POST", "/v2/claims")]),
    _op("accel:claim:get", ADMIN_SERVICE_OR_OWNER, "Show claims; non-admins see their own.",
        [("GET", "/v2/claims"), ("GET", "/v2/claims/{uuid}")]),
    _op("accel:claim:get_all_projects", "rule:admin_or_service",
        "List every project's claims.", [("GET", "/v2/claims")]),
    _op("accel:claim:delete", ADMIN_SERVICE_OR_OWNER, "Release a claim.",
        [("DELETE", "/v2/claims/{uuid}")]),
    # -- bitstreams, programming, agents (issue 5) --
    _op("accel:bitstream:create", "",
        "Register a bitstream (owned by the caller's project; private by default).",
        [("POST", "/v2/bitstreams")]),
    _op("accel:bitstream:publicize", "rule:context_is_admin",
        "Register a public bitstream (every project may program it).",
        [("POST", "/v2/bitstreams")]),
    _op("accel:bitstream:upload", "",
        "Upload a bitstream's bytes (its project's members, or admins).",
        [("PUT", "/v2/bitstreams/{uuid}/data")]),
    _op("accel:bitstream:get", "",
        "List and show bitstreams: the caller's project's and public ones.",
        [("GET", "/v2/bitstreams"), ("GET", "/v2/bitstreams/{uuid}")]),
    _op("accel:bitstream:get_all_projects", "rule:admin_or_service",
        "See every project's bitstreams.", [("GET", "/v2/bitstreams")]),
    _op("accel:bitstream:download", "rule:admin_or_service",
        "Download any bitstream; projects may always download their own and public ones.",
        [("GET", "/v2/bitstreams/{uuid}/data")]),
    _op("accel:bitstream:download_for_job", "role:accel_agent",
        "An accel-agent downloads the bitstream of a job sent to its host (the job's URL "
        "carries a signature naming the host and the bitstream).",
        [("GET", "/v2/bitstreams/{uuid}/data")]),
    _op("accel:bitstream:delete", "",
        "Delete a bitstream (its project's members, or admins).",
        [("DELETE", "/v2/bitstreams/{uuid}")]),
    _op("accel:deployable:program", "",
        "Program a deployable; non-admins only one their project holds a bound ARQ or "
        "claim on, with a bitstream they may use.",
        [("PATCH", "/v2/deployables/{uuid}/program"), ("POST", "/fpga/{deployable_uuid}"),
         ("POST", "/v2/programming_jobs")]),
    _op("accel:deployable:program_any", "rule:context_is_admin",
        "Program any deployable with any bitstream (the device's owner: the admin).",
        [("PATCH", "/v2/deployables/{uuid}/program"), ("POST", "/fpga/{deployable_uuid}"),
         ("POST", "/v2/programming_jobs")]),
    _op("accel:programming_job:get", "",
        "List and show programming jobs (the caller's project's).",
        [("GET", "/v2/programming_jobs"), ("GET", "/v2/programming_jobs/{uuid}")]),
    _op("accel:programming_job:get_all_projects", "rule:admin_or_service",
        "See every project's programming jobs.", [("GET", "/v2/programming_jobs")]),
    _op("accel:host:register_agent", "rule:host_agent",
        "Register or change where a host's accel-agent listens: only that host's own "
        "agent (accel-api sends the host's agent credential to no endpoint another "
        "principal registered).",
        [("PUT", "/v2/hosts/{hostname}/agent")]),
]


def list_rules():
    """Entry point ``oslo.policy.policies`` = ``accel_api``."""
    return _BASE + _RULES


class Enforcer:
    """oslo.policy's enforcer plus a cache of decisions.

    A decision depends only on the loaded rules, the rule name, the caller's identity
    and the target, so it is cached under those (oslo.policy's checks inspect
    signatures on every call, which costs more than the rest of a simple GET). The
    cache is keyed by the rules object, which oslo.policy replaces when the policy
    file changes; the file (a search over the config dirs) is looked at again at most
    every RELOAD_SECONDS, so edits apply within seconds, without a restart.
    """

    MAX_CACHED = 4096
    RELOAD_SECONDS = 5.0

    def __init__(self, conf):
        self._enforcer = policy.Enforcer(conf)
        self._enforcer.register_defaults(list_rules())
        self._cache = {}
        self._loaded_at = None

    def allowed(self, rule, context, target=None):
        target = target if target is not None else {"project_id": context.project_id}
        now = time.monotonic()
        if self._loaded_at is None or now - self._loaded_at > self.RELOAD_SECONDS:
            self._enforcer.load_rules()
            self._loaded_at = now
        key = (id(self._enforcer.rules), rule, context.user_id, context.project_id,
               tuple(sorted(context.roles)), tuple(sorted(context.service_roles)),
               context.agent_host, tuple(sorted(target.items())))
        decision = self._cache.get(key)
        if decision is None:
            creds = context.creds()
            if creds.get("agent_host") == "*":  # noauth: every host's agent
                creds["agent_host"] = target.get("hostname")
            decision = bool(self._enforcer.enforce(rule, target, creds))
            if len(self._cache) >= self.MAX_CACHED:
                self._cache.clear()
            self._cache[key] = decision
        return decision

    def authorize(self, rule, context, target=None):
        if not self.allowed(rule, context, target):
            raise errors.Forbidden(f"Policy doesn't allow {rule} to be performed.")
