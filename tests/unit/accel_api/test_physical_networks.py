"""Physical networks of network functions: the contract, accel-agent's mapping, the
Placement trait and Nova's ``attach_handle_info``."""

import uuid

import sqlalchemy as sa

from accel_api import claims, inventory_import, programming
from accel_api.api.app import load_conf
from accel_api.db import models as m
from accel_api.placement import desired
from accel_api.placement import report as placement_report
from accel_contract import inventory as contract
from accel_contract import naming
from ipa_fpga.agent import report
from tests.accel_api_helpers import inventory, sqlite_database
from tests.unit import base


def _doc():
    doc = inventory("h1", devices=2, handles_per_device=2)
    doc["devices"][1]["device_id"] = "0x101e"
    doc["devices"][1]["vendor_id"] = "0x15b3"
    return doc


class PhysicalNetworkTest(base.TestCase):
    def test_the_contract_takes_a_physnet_on_pci_handles_only(self):
        doc = _doc()
        doc["devices"][0]["deployables"][0]["attach_handles"][0]["physical_network"] = "p-1"
        contract.validate(doc)
        for bad in ("", "a b", "x" * 65, "net:1", 7):
            with self.subTest(physnet=bad):
                doc["devices"][0]["deployables"][0]["attach_handles"][0][
                    "physical_network"] = bad
                with self.assertRaisesRegex(contract.InventoryError, "physical_network"):
                    contract.validate(doc)

    def test_the_trait_is_neutrons(self):
        self.assertEqual(naming.physnet_trait("physnet1"), "CUSTOM_PHYSNET_PHYSNET1")
        self.assertEqual(naming.physnet_trait("phys-net.1"), "CUSTOM_PHYSNET_PHYS_NET_1")
        self.assertTrue(naming.is_valid_trait(naming.physnet_trait("a" * 64)))

    def test_agent_mapping_by_handle_address_device_address_or_ids(self):
        doc = _doc()
        handles0 = doc["devices"][0]["deployables"][0]["attach_handles"]
        mapping = report.parse_physical_networks([
            f"{handles0[1]['address']}=vf-net", f"{doc['devices'][0]['id']}=pf-net",
            "15B3:101E=mlx-net"])
        self.assertEqual(report.set_physical_networks(doc, mapping), 4)
        self.assertEqual([h["physical_network"] for h in handles0], ["pf-net", "vf-net"])
        handles1 = doc["devices"][1]["deployables"][0]["attach_handles"]
        self.assertEqual({h["physical_network"] for h in handles1}, {"mlx-net"})
        contract.validate(doc)
        # The first entry that matches wins: the device's address, listed first.
        doc = _doc()
        handles0 = doc["devices"][0]["deployables"][0]["attach_handles"]
        report.set_physical_networks(doc, report.parse_physical_networks([
            f"{doc['devices'][0]['id']}=pf-net", f"{handles0[1]['address']}=vf-net"]))
        self.assertEqual([h["physical_network"] for h in handles0], ["pf-net", "pf-net"])

    def test_bad_agent_mapping_is_refused_with_the_entry(self):
        for entry in ("physnet1", "=physnet1", "0000:3b:00.0=", "0000:3b:00.0=a b"):
            with self.subTest(entry=entry):
                with self.assertRaisesRegex(ValueError, "physical_networks entry"):
                    report.parse_physical_networks([entry])
        self.assertEqual(report.parse_physical_networks([]), [])

    def test_handle_info_says_the_physnet_of_pci_handles(self):
        self.assertEqual(claims.handle_info("PCI", "0000:3b:00.1", physical_network="p1"),
                         {"domain": "0000", "bus": "3b", "device": "00", "function": "1",
                          "physical_network": "p1"})
        self.assertNotIn("physical_network", claims.handle_info("PCI", "0000:3b:00.1"))


class StoredPhysicalNetworkTest(base.TestCase):
    def setUp(self):
        super().setUp()
        self.db = sqlite_database(self.tmp_dir())
        self.addCleanup(self.db.dispose)
        self.doc = _doc()
        report.set_physical_networks(self.doc, report.parse_physical_networks(
            ["15b3:101e=mlx-net"]))
        inventory_import.import_inventory(self.db, "h1", self.doc)

    def test_desired_traits_from_the_document_and_from_the_rows_agree(self):
        from_doc = desired.from_document("h1", self.doc)
        with self.db.reading() as conn:
            _, _, from_rows = placement_report._load(conn, load_conf([]), "h1")
        self.assertEqual({u: p.traits for u, p in from_doc.items()},
                         {u: p.traits for u, p in from_rows.items()})
        self.assertEqual(sum("CUSTOM_PHYSNET_MLX_NET" in p.traits
                             for p in from_doc.values()), 1)

    def test_a_bound_arq_shows_the_physnet_nova_reads(self):
        def _profile(session):
            session.add(m.DeviceProfile(uuid=str(uuid.uuid4()), name="nic",
                                        groups=[{"resources:FPGA": "1"}]))
        self.db.run(_profile)
        with self.db.transaction() as session:
            rp_uuid = session.scalar(
                sa.select(m.Deployable.rp_uuid).join(m.AttachHandle)
                .where(m.AttachHandle.physical_network == "mlx-net").limit(1))
        arq = claims.create_arqs(self.db, "nic", "p")[0].uuid
        (bound,) = claims.bind(self.db, {arq: {"hostname": "h1", "device_rp_uuid": rp_uuid,
                                               "instance_uuid": str(uuid.uuid4())}},
                               programming.load("none"))
        self.assertEqual(bound.attach_handle_physical_network, "mlx-net")
        self.assertEqual(claims.get_arq(self.db, arq).attach_handle_physical_network,
                         "mlx-net")
