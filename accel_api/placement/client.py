"""A small Placement client over a keystoneauth1 adapter, microversion 1.39.

Only what reporting needs: providers (by name, uuid, tree; created, moved under
another parent, deleted), inventories, traits and custom resource classes. Every call
that writes a provider's inventory or traits carries its generation; a 409 generation
conflict surfaces as ``GenerationConflict`` so ``sync`` can re-read and retry.

``requests`` counts the calls made, reads and writes apart, and ``counting()`` those
of one thread (one host's sync: the import's answer says what it cost). Custom traits
and resource classes this client created or saw are remembered, so a fleet's reports
create each once.
"""

import collections
import logging
import threading

from keystoneauth1 import exceptions as ks_exc

from accel_api import keystoneauth_sections as keystoneauth

LOG = logging.getLogger(__name__)
MICROVERSION = "1.39"
GROUP = "placement"


_COUNTING = threading.local()


class counting:
    """``with counting() as c:`` — ``c`` counts the Placement calls this thread makes."""

    def __enter__(self):
        self.counter = collections.Counter()
        self._outer = getattr(_COUNTING, "counter", None)
        _COUNTING.counter = self.counter
        return self.counter

    def __exit__(self, *exc):
        _COUNTING.counter = self._outer
        if self._outer is not None:
            self._outer.update(self.counter)
        return False


class PlacementError(Exception):
    """Placement refused a request or could not be reached; the message says which."""


class GenerationConflict(PlacementError):
    """Someone else changed the provider since we read its generation."""


class InUse(PlacementError):
    """The change would remove resources that are allocated (Placement keeps them)."""


class Conflict(PlacementError):
    """Placement refused a create or move with 409 (a name or uuid already taken)."""


class PlacementClient:
    def __init__(self, adapter):
        self.adapter = adapter
        #: Calls made: {"read": n, "write": n}.
        self.requests = collections.Counter()
        self._known = set()  # custom traits and resource classes that exist
        self._known_lock = threading.Lock()

    @classmethod
    def from_conf(cls, conf, group=GROUP):
        """From ``[placement]``: keystoneauth auth, session and adapter options."""
        return cls(keystoneauth.load_adapter(conf, group, "placement", MICROVERSION))

    # -- plumbing ---------------------------------------------------------------------

    def _call(self, method, path, body=None, ok=(200,), params=None):
        kwargs = {"microversion": MICROVERSION, "raise_exc": False,
                  "headers": {"Accept": "application/json"}}
        if body is not None:
            kwargs["json"] = body
        if params is not None:
            kwargs["params"] = params
        kind = "read" if method == "GET" else "write"
        self.requests[kind] += 1
        counter = getattr(_COUNTING, "counter", None)
        if counter is not None:
            counter[kind] += 1
        try:
            resp = self.adapter.request(path, method, **kwargs)
        except ks_exc.ClientException as exc:
            raise PlacementError(f"Placement unreachable for {method} {path}: {exc}") from None
        if resp.status_code in ok:
            return resp
        detail = _error_detail(resp)
        if resp.status_code == 409:
            code = _error_code(resp)
            if code == "placement.concurrent_update" or "generation" in detail.lower():
                raise GenerationConflict(f"{method} {path}: {detail}")
            if code == "placement.inventory.inuse" or "in use" in detail.lower():
                raise InUse(f"{method} {path}: {detail}")
            if method in ("POST", "PUT") and path.startswith("/resource_providers") \
                    and path.count("/") <= 2:
                raise Conflict(f"{method} {path}: {detail}")
        raise PlacementError(f"{method} {path} -> HTTP {resp.status_code}: {detail}")

    # -- providers --------------------------------------------------------------------

    def provider_by_name(self, name):
        found = self._call("GET", "/resource_providers",
                           params={"name": name}).json()["resource_providers"]
        return found[0] if found else None

    def provider(self, uuid):
        resp = self._call("GET", f"/resource_providers/{uuid}", ok=(200, 404))
        return resp.json() if resp.status_code == 200 else None

    def tree(self, root_uuid):
        """Every provider of the tree ``root_uuid`` is in ([] when there is none)."""
        resp = self._call("GET", "/resource_providers", params={"in_tree": root_uuid},
                          ok=(200, 400, 404))
        if resp.status_code != 200:
            return []
        return resp.json()["resource_providers"]

    def create_provider(self, name, uuid=None, parent_uuid=None):
        body = {"name": name}
        if uuid:
            body["uuid"] = uuid
        if parent_uuid:
            body["parent_provider_uuid"] = parent_uuid
        return self._call("POST", "/resource_providers", body, ok=(200,)).json()

    def move_provider(self, uuid, name, parent_uuid):
        """Re-parent (or, with ``parent_uuid=None``, un-parent) a provider; its inventory,
        traits and allocations stay (microversion 1.37)."""
        body = {"name": name, "parent_provider_uuid": parent_uuid}
        return self._call("PUT", f"/resource_providers/{uuid}", body).json()

    def delete_provider(self, uuid):
        resp = self._call("DELETE", f"/resource_providers/{uuid}", ok=(204, 404, 409))
        if resp.status_code == 409:
            raise InUse(f"provider {uuid} still has allocations: {_error_detail(resp)}")

    # -- inventories and traits ------------------------------------------------------

    def inventories(self, uuid):
        return self._call("GET", f"/resource_providers/{uuid}/inventories").json()

    def set_inventories(self, uuid, generation, inventories):
        body = {"resource_provider_generation": generation, "inventories": inventories}
        return self._call("PUT", f"/resource_providers/{uuid}/inventories", body).json()

    def traits(self, uuid):
        return self._call("GET", f"/resource_providers/{uuid}/traits").json()

    def set_traits(self, uuid, generation, traits):
        body = {"resource_provider_generation": generation, "traits": sorted(traits)}
        return self._call("PUT", f"/resource_providers/{uuid}/traits", body).json()

    def ensure_trait(self, name):
        """Create a custom trait (idempotent); standard traits already exist."""
        self._ensure("traits", name)

    def ensure_resource_class(self, name):
        self._ensure("resource_classes", name)

    def _ensure(self, kind, name):
        if not name.startswith("CUSTOM_") or (kind, name) in self._known:
            return
        self._call("PUT", f"/{kind}/{name}", ok=(201, 204))
        with self._known_lock:
            self._known.add((kind, name))

    def forget_custom_names(self):
        """After Placement refused a trait or class we thought existed (deleted since)."""
        with self._known_lock:
            self._known.clear()


def _error_detail(resp):
    try:
        errs = resp.json().get("errors") or []
        if errs:
            return "; ".join(str(e.get("detail", e.get("title", ""))) for e in errs)[:500]
    except ValueError:
        pass
    return (resp.text or "").strip()[:500]


def _error_code(resp):
    try:
        errs = resp.json().get("errors") or []
        return errs[0].get("code") if errs else None
    except ValueError:
        return None


def list_opts():
    """keystoneauth options of ``[placement]`` for the sample config."""
    return keystoneauth.list_opts()


def register_opts(conf, group=GROUP):
    keystoneauth.register_opts(conf, group)
