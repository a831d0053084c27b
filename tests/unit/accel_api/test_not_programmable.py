"""accel-api keeps what discovery says about a region: one that cannot be programmed
in-band (the reason in ``programming_unavailable``) is refused with that reason; a region
whose inventory does not say stays programmable."""

import sqlalchemy as sa

import accel_hosts
from accel_api import errors, inventory_import, jobs
from accel_api.db import models as m
from accel_hosts import sysfs
from ipa_fpga.discovery import discover
from tests.accel_api_helpers import inventory, sqlite_database
from tests.unit import base

LEGACY = {"name": "legacy", "hostname": "legacy.example", "system_uuid": "7", "cards": [
    {"kind": "n3000", "bus": "5d", "driver": "intel-fpga-pci", "nic_vfs": 0}]}


class TestNotProgrammable(base.TestCase):
    def setUp(self):
        super().setUp()
        self.db = sqlite_database(self.tmp_dir())
        self.addCleanup(self.db.dispose)

    def _region(self, hostname):
        with self.db.transaction() as session:
            return session.scalar(
                sa.select(m.Deployable).join(m.Device).join(m.Host)
                .where(m.Host.hostname == hostname, m.Deployable.kind == "region"))

    def test_a_region_without_an_inband_path_is_refused_with_the_reason(self):
        root = str(self.tmp_dir() / "legacy")
        sysfs.build(accel_hosts.from_dict(LEGACY), root)
        doc = discover(root)
        inventory_import.import_inventory(self.db, "legacy.example", doc)
        region = self._region("legacy.example")
        self.assertFalse(region.programmable)
        with self.db.transaction() as session:
            with self.assertRaisesRegex(
                    errors.Conflict, r"\(region\) is not programmable: bound to intel-fpga-pci"):
                jobs.plan(session, region.uuid, "p", True, function_id="ab" * 16,
                          check_holder=False)

    def test_a_region_the_inventory_says_nothing_about_stays_programmable(self):
        inventory_import.import_inventory(self.db, "h1", inventory("h1", 1, 1))
        self.assertTrue(self._region("h1").programmable)
