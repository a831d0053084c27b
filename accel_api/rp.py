"""Stable resource-provider uuids for deployables.

The one definition lives in ``accel_contract.identity`` so accel_api, the Placement
reporter and every other part compute the same uuid for the same host and deployable
(across re-imports and accel_api instances); Nova binds with it.
"""

from accel_contract import identity


def deployable_rp_uuid(hostname, deployable_id):
    return identity.deployable_rp_uuid(hostname, deployable_id)
