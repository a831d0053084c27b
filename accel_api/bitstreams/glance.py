"""Bitstreams as Glance images, through openstacksdk's image proxy.

An image is tagged ``FPGA`` and carries the properties Cyborg's users know:
``vendor``, ``type``, plus ``accel_function_id``, ``accel_interface_id`` and
``accel_board``. The bytes are streamed to ``PUT /v2/images/{id}/file`` while we hash
them; afterwards Glance's own ``os_hash_value`` (sha512) must equal ours, or the
image is deleted and the upload fails: what the agent later verifies is what we hashed.

Uploads are recorded (``records_uploads``): accel-api chooses the image's id before it
asks Glance for the image, and the image carries the upload's marker as its
``accel_upload_id`` property, so that the image of a killed process's upload is found
and removed by the sweep of ``accel_api.bitstreams.uploads``; images without that
marker (anyone else's) are never touched.
"""

import logging
import threading
import time
import uuid

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading

from accel_api.bitstreams import store

LOG = logging.getLogger(__name__)
GROUP = "glance"
TAG = "FPGA"
#: The image property naming the recorded upload that made the image.
UPLOAD_MARKER = "accel_upload_id"


class GlanceStore(store.BitstreamStore):
    name = "glance"
    records_uploads = True

    def __init__(self, connection):
        self.conn = connection
        # openstacksdk discovers the image API's version on first use, and concurrent
        # first uses fail ("Unable to find a version discovery document"): until one
        # request went through, requests go one at a time.
        self._discovered = False
        self._first = threading.Lock()

    @classmethod
    def from_conf(cls, conf):
        import openstack.connection

        auth = ks_loading.load_auth_from_conf_options(conf, GROUP)
        session = ks_loading.load_session_from_conf_options(conf, GROUP, auth=auth)
        kwargs = {}
        if conf[GROUP].endpoint_override:
            kwargs["image_endpoint_override"] = conf[GROUP].endpoint_override
        if conf[GROUP].region_name:
            kwargs["region_name"] = conf[GROUP].region_name
        return cls(openstack.connection.Connection(session=session, **kwargs))

    def _request(self, method, path, **kwargs):
        """One call to Glance's image API; Glance unreachable is a ``StoreError`` too."""
        if not self._discovered:
            with self._first:
                resp = self._send(method, path, **kwargs)
                self._discovered = True
                return resp
        return self._send(method, path, **kwargs)

    def _send(self, method, path, **kwargs):
        try:
            return self.conn.image.request(path, method, raise_exc=False, **kwargs)
        except ks_exc.ClientException as exc:
            raise store.StoreError(f"Glance unreachable for {method} {path}: {exc}") from None

    def put(self, stream, limit, metadata):
        body = {"name": metadata.name, "disk_format": "raw", "container_format": "bare",
                "visibility": "public" if metadata.visibility == "public" else "private",
                "tags": [TAG]}
        for key, value in (("vendor", metadata.vendor), ("type", metadata.type),
                           ("accel_function_id", metadata.function_id),
                           ("accel_interface_id", metadata.interface_id),
                           ("accel_board", metadata.board),
                           (UPLOAD_MARKER, metadata.upload_id)):
            if value:
                body[key] = str(value)
        if metadata.location:
            body["id"] = metadata.location
        resp = self._request("POST", "/images", json=body)
        if resp.status_code != 201:
            raise store.StoreError(f"Glance refused the image: HTTP {resp.status_code} "
                                   f"{resp.text[:300]}")
        image_id = resp.json()["id"]
        hasher = store.Hasher(limit)

        def _hashed():
            for chunk in stream:
                hasher.update(chunk)
                yield chunk

        ok = False
        try:
            resp = self._request(
                "PUT", f"/images/{image_id}/file", data=_hashed(),
                # A fresh connection afterwards: some WSGI servers leave a chunked
                # upload's connection unusable for the next request.
                headers={"Content-Type": "application/octet-stream", "Connection": "close"})
            if resp.status_code not in (201, 204):
                raise store.StoreError(f"Glance refused the data: HTTP {resp.status_code} "
                                       f"{resp.text[:300]}")
            image = self._request("GET", f"/images/{image_id}").json()
            if image.get("os_hash_algo") == "sha512" and image.get("os_hash_value") != \
                    hasher.sha512:
                raise store.StoreError(
                    f"Glance's os_hash_value of image {image_id} differs from the uploaded "
                    "bytes' sha512; the image was removed")
            ok = True
        finally:
            if not ok:
                self._discard(image_id, recorded=bool(metadata.upload_id))
        return store.Stored(location=image_id, size=hasher.size, sha512=hasher.sha512,
                            sha256=hasher.sha256)

    def _discard(self, image_id, recorded, attempts=20, interval=0.25):
        """Delete a half-uploaded image; Glance may answer 500 while its aborted upload
        is still being torn down, so retry for a few seconds before giving up (a
        recorded upload's image is then left to the sweep, which tries again)."""
        for _ in range(attempts):
            try:
                self.delete(image_id)
                return
            except store.StoreError:
                time.sleep(interval)
        if recorded:
            LOG.warning("could not delete half-uploaded Glance image %s yet; the sweep of "
                        "interrupted uploads tries again", image_id)
        else:
            LOG.error("could not delete half-uploaded Glance image %s; delete it by hand",
                      image_id)

    def new_location(self):
        return str(uuid.uuid4())

    def remove_upload(self, location, upload_id):
        resp = self._request("GET", f"/images/{location}")
        if resp.status_code == 404:
            return False
        if resp.status_code != 200:
            raise store.StoreError(f"Glance: HTTP {resp.status_code} reading image {location}")
        marker = resp.json().get(UPLOAD_MARKER)
        if marker != upload_id:
            LOG.warning("Glance image %s does not carry upload %s's marker (%s = %r): "
                        "not accel-api's to remove, left alone", location, upload_id,
                        UPLOAD_MARKER, marker)
            return False
        self.delete(location)
        return True

    def open(self, location, chunk=store.CHUNK):
        resp = self._request("GET", f"/images/{location}/file", stream=True)
        if resp.status_code in (204, 404):
            resp.close()
            raise store.NotStored(f"Glance image {location} has no data (or is gone)")
        if resp.status_code != 200:
            resp.close()
            raise store.StoreError(f"Glance: HTTP {resp.status_code} reading image {location}")

        def _gen():
            with resp:
                yield from resp.iter_content(chunk)

        return _gen()

    def delete(self, location):
        resp = self._request("DELETE", f"/images/{location}")
        if resp.status_code not in (204, 404):
            raise store.StoreError(f"Glance: HTTP {resp.status_code} deleting {location}")


def register_opts(conf):
    ks_loading.register_session_conf_options(conf, GROUP)
    ks_loading.register_auth_conf_options(conf, GROUP)
    ks_loading.register_adapter_conf_options(conf, GROUP, include_deprecated=False)
