"""accel-api over a keystoneauth session (clouds.yaml, ``OS_*``: keystone, ``http_basic``
or ``none`` with an endpoint), with its errors as one sentence each."""

from __future__ import annotations

import json

from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ks_exc

#: Cyborg's service type: accel-api is the catalog's ``accelerator`` service
SERVICE_TYPE = "accelerator"


class ClientError(Exception):
    """A request accel-api refused or could not answer (the message says which)."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def fault(resp):
    """The sentence of an accel-api error answer (Cyborg's wsme shape), else its text."""
    try:
        doc = resp.json()
    except ValueError:
        return (resp.text or resp.reason or "").strip()[:500]
    message = doc.get("error_message") if isinstance(doc, dict) else None
    if isinstance(message, str):
        try:
            return json.loads(message).get("faultstring") or message
        except (ValueError, AttributeError):
            return message
    return json.dumps(doc)[:500]


class AccelApiClient:
    """The v2 API of accel-api. ``root`` is the service's base URL (a catalog endpoint
    ending in ``/v2``, as Cyborg's does, is accepted too)."""

    def __init__(self, session, interface=None, region_name=None, endpoint_override=None):
        self.adapter = adapter.Adapter(session, service_type=SERVICE_TYPE, interface=interface,
                                       region_name=region_name,
                                       endpoint_override=endpoint_override)
        self._root = None

    @property
    def root(self):
        if self._root is None:
            try:
                endpoint = self.adapter.get_endpoint()
            except ks_exc.ClientException as exc:
                raise ClientError(f"no accel-api endpoint: {exc}") from None
            if not endpoint:
                raise ClientError("no accel-api endpoint: give the cloud an endpoint "
                                  "(auth_type none or http_basic), or a catalog with an "
                                  f"'{SERVICE_TYPE}' service")
            endpoint = endpoint.rstrip("/")
            self._root = endpoint[:-3] if endpoint.endswith("/v2") else endpoint
        return self._root

    def request(self, method, path, ok=(200,), **kwargs):
        """``path`` below the root (``/v2/...``); the response when its status is in
        ``ok``, else ClientError with accel-api's sentence."""
        url = self.root + path
        try:
            resp = self.adapter.request(url, method, raise_exc=False, **kwargs)
        except ks_exc.ConnectFailure as exc:
            raise ClientError(f"cannot reach accel-api at {self.root}: {exc}") from None
        except ks_exc.ClientException as exc:
            raise ClientError(f"{method} {path} failed: {exc}") from None
        if resp.status_code not in ok:
            raise ClientError(f"{method} {path}: HTTP {resp.status_code}: {fault(resp)}",
                              resp.status_code)
        return resp

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs).json()

    def post(self, path, body, ok=(201,)):
        return self.request("POST", path, ok=ok, json=body).json()

    def put(self, path, body, ok=(200,)):
        return self.request("PUT", path, ok=ok, json=body).json()

    def delete(self, path):
        self.request("DELETE", path, ok=(200, 202, 204))
