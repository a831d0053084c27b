"""Stable resource-provider uuids for deployables.

``rp_uuid = uuid5(RP_NAMESPACE, "<hostname>/<deployable id>")``: the same host and
deployable always get the same uuid, across re-imports, accel_api instances and the
Placement reporter (issue 5), so the provider Nova picks is the one accel_api binds.
"""

import uuid

#: Fixed namespace of ironic-accel resource providers (never change it).
RP_NAMESPACE = uuid.UUID("5b0f4c1e-3d0a-5e55-8a2c-6c1d0a3e7a11")


def deployable_rp_uuid(hostname, deployable_id):
    return str(uuid.uuid5(RP_NAMESPACE, f"{hostname}/{deployable_id}"))
