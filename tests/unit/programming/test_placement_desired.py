"""What Placement should hold for a host: uuids, names, inventories, traits, reserved."""

from accel_api.placement import sync
from accel_contract import identity
from tests.accel_api_helpers import inventory
from tests.unit import base


class TestPlacementDesired(base.TestCase):
    def test_one_provider_per_allocatable_deployable(self):
        doc = inventory("compute-1", devices=2, handles_per_device=3)
        want = sync.desired_providers("compute-1", doc, disabled_devices={"0000:3b:00.0"})
        self.assertEqual(len(want), 2)
        by_name = {w.name: w for w in want.values()}
        first = by_name["compute-1_0000:3b:00.0/region0"]
        self.assertEqual(
            first.uuid, identity.deployable_rp_uuid("compute-1", "0000:3b:00.0/region0"))
        self.assertEqual((first.resource_class, first.total, first.reserved), ("FPGA", 3, 3))
        self.assertEqual(by_name["compute-1_0000:3c:00.0/region0"].reserved, 0)
        self.assertLessEqual({"CUSTOM_FPGA_INTEL", sync.MANAGED_TRAIT}, first.traits)

    def test_long_names_stay_unique_and_short(self):
        a = sync.provider_name("h" * 150, "x" * 100 + "a")
        b = sync.provider_name("h" * 150, "x" * 100 + "b")
        self.assertNotEqual(a, b)
        self.assertLessEqual(len(a), sync.MAX_NAME)
        self.assertLessEqual(len(b), sync.MAX_NAME)
