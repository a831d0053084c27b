import uuid

from accel_contract import identity
from tests.unit import base


class TestIdentity(base.TestCase):
    def test_rp_uuid_is_stable_and_distinct(self):
        a = identity.deployable_rp_uuid("host-a", "0000:3f:00.0/region1")
        self.assertEqual(a, identity.deployable_rp_uuid("host-a", "0000:3f:00.0/region1"))
        self.assertEqual(uuid.UUID(a).version, 5)
        self.assertNotEqual(a, identity.deployable_rp_uuid("host-b", "0000:3f:00.0/region1"))
        self.assertNotEqual(a, identity.deployable_rp_uuid("host-a", "0000:3f:00.0"))
        self.assertNotEqual(identity.device_uuid("host-a", "0000:3f:00.0"),
                            identity.deployable_rp_uuid("host-a", "0000:3f:00.0"))
