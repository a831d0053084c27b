import uuid

from accel_contract import identity


def test_rp_uuid_is_stable_and_distinct():
    a = identity.deployable_rp_uuid("host-a", "0000:3f:00.0/region1")
    assert a == identity.deployable_rp_uuid("host-a", "0000:3f:00.0/region1")
    assert uuid.UUID(a).version == 5
    assert a != identity.deployable_rp_uuid("host-b", "0000:3f:00.0/region1")
    assert a != identity.deployable_rp_uuid("host-a", "0000:3f:00.0")
    assert identity.device_uuid("host-a", "0000:3f:00.0") != identity.deployable_rp_uuid(
        "host-a", "0000:3f:00.0"
    )
