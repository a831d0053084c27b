"""Telling Nova that an asynchronous bind ended: ``POST /os-server-external-events``.

Nova waits (up to its ``[DEFAULT] arq_binding_timeout``) for one
``accelerator-request-bound`` event per ARQ it bound and did not find resolved, tagged
with the ARQ's uuid, status ``completed`` or ``failed``. Nova's API accepts that event
name from microversion 2.82. The call goes through a keystoneauth adapter built from the
``[nova]`` section (session, auth and adapter options, as Cyborg's ``[nova]``); Nova is
found in the catalog as service type ``compute`` unless ``endpoint_override`` says where.
Without ``[nova] auth_type`` nothing is sent (accel-api without Nova).
"""

import logging

from keystoneauth1 import exceptions as ks_exc

from accel_api import keystoneauth_sections as keystoneauth

LOG = logging.getLogger(__name__)
GROUP = "nova"
EVENT = "accelerator-request-bound"
#: The first Nova microversion whose event schema has ``accelerator-request-bound``.
MICROVERSION = "2.82"
COMPLETED, FAILED = "completed", "failed"


class Delivery:
    """What became of an event: ``done`` (Nova took it, or will never want it: the
    server is gone) or not (retry later), and why."""

    def __init__(self, done, detail):
        self.done, self.detail = done, detail

    def __repr__(self):
        return f"Delivery(done={self.done}, {self.detail!r})"


class NovaNotifier:
    def __init__(self, adapter):
        self.adapter = adapter

    @classmethod
    def from_conf(cls, conf, group=GROUP):
        """The notifier of ``[nova]``, or None when that section names no auth_type."""
        if not conf[group].auth_type:
            return None
        return cls(keystoneauth.load_adapter(conf, group, "compute", MICROVERSION))

    def bound(self, instance_uuid, arq_uuid, status):
        """Send one event; a ``Delivery``. Never raises: a bind's outcome is already
        committed, and the caller decides whether to try again."""
        body = {"events": [{"name": EVENT, "server_uuid": instance_uuid, "tag": arq_uuid,
                            "status": status}]}
        try:
            resp = self.adapter.post("/os-server-external-events", json=body,
                                     microversion=MICROVERSION, raise_exc=False,
                                     headers={"Accept": "application/json"})
        except ks_exc.ClientException as exc:
            return Delivery(False, f"Nova unreachable: {type(exc).__name__}: {exc}")
        code = resp.status_code
        if code in (200, 207):
            codes = _event_codes(resp)
            if code == 207 and codes and all(c == 404 for c in codes):
                return Delivery(True, f"server {instance_uuid} not found by Nova")
            return Delivery(True, f"HTTP {code}")
        if code == 404:  # no such server (deleted meanwhile): nobody waits for it
            return Delivery(True, f"server {instance_uuid} not found by Nova (404)")
        if code in (400, 403, 406):  # retrying changes nothing: say it loudly once
            LOG.error("Nova refused event %s of ARQ %s for server %s: HTTP %s %s", EVENT,
                      arq_uuid, instance_uuid, code, (resp.text or "")[:300])
            return Delivery(True, f"refused by Nova: HTTP {code}")
        return Delivery(False, f"HTTP {code} from Nova")


def _event_codes(resp):
    try:
        return [int(e.get("code", 0)) for e in resp.json().get("events", [])]
    except (ValueError, AttributeError, TypeError):
        return []


def list_opts():
    """keystoneauth options of ``[nova]`` for the sample config."""
    return keystoneauth.list_opts()


def register_opts(conf, group=GROUP):
    keystoneauth.register_opts(conf, group)
