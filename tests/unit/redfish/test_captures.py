"""The client reads exactly what each real capture and DMTF mockup holds (listed by hand
in ``tests/redfish_helpers/layouts.py``), served by the emulator's static mode, also when
every collection is paged two members at a time."""

import unittest

from accel_contract import inventory as contract
from ironic_fpga.inspection.plan import BmcPlan
from ironic_fpga.redfish import client, errors
from redfish_mocks.httpd import HttpService
from redfish_mocks.static import StaticService
from tests.redfish_helpers import keep_alive, layouts, shared_dir
from tests.unit import base

_NO_SHARED = "../shared/redfish is not beside the repository (nor $ACCEL_SHARED_DIR)"


def found(accelerators):
    """The comparable part of what the client read."""
    return {a["id"]: layouts.Acc(
        a["type"], a["vendor_id"], a["device_id"],
        {fw["component"]: (fw["version"], fw["updatable"]) for fw in a["firmware"]},
        pci_address=a["pci_address"], serial=a["serial"]) for a in accelerators}


def serve(case, layout, page_size=None):
    """A sushy root on the layout served in this process, its session closed at cleanup
    (left to the garbage collector, sushy closes it from whichever thread collects it)."""
    cleanup = case.addClassCleanup if isinstance(case, type) else case.addCleanup
    srv = HttpService(StaticService(layouts.path(layout), page_size=page_size)).start()
    cleanup(srv.stop)
    root = keep_alive(client.connect(srv.url, "admin", "password"))
    cleanup(client.close, root)
    return root


@unittest.skipUnless(shared_dir(), _NO_SHARED)
class LayoutTest(base.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        #: every layout read once, as the BMC pages it (not at all)
        cls.read = {name: client.read_inventory(serve(cls, layout), layout.system)
                    for name, layout in layouts.LAYOUTS.items()}

    def serve(self, layout, page_size=None):
        return serve(self, layout, page_size)

    def test_every_layout_reads_exactly_its_accelerators_and_versions(self):
        for name, layout in layouts.LAYOUTS.items():
            with self.subTest(layout=name):
                self.assertEqual(found(self.read[name].accelerators), layout.accelerators)
                self.assertEqual(self.read[name].warnings, [])

    def test_collections_paged_two_members_at_a_time_are_read_whole(self):
        for name, layout in layouts.LAYOUTS.items():
            with self.subTest(layout=name):
                inv = client.read_inventory(self.serve(layout, page_size=2), layout.system)
                self.assertEqual(found(inv.accelerators), layout.accelerators)
                self.assertGreater(inv.requests, self.read[name].requests)

    def test_firmware_components_fit_the_contract(self):
        schema = contract.schema()["$defs"]["firmware"]
        keys = set(schema["properties"])
        import jsonschema

        for name in layouts.LAYOUTS:
            with self.subTest(layout=name):
                for acc in self.read[name].accelerators:
                    self.assertIn(acc["type"], contract.schema()["$defs"]["device"][
                        "properties"]["type"]["enum"])
                    for fw in acc["firmware"]:
                        jsonschema.validate({k: fw[k] for k in keys if k in fw}, schema)
                        if not fw["updatable"]:
                            self.assertTrue(fw["not_updatable_reason"])

    def test_traits_of_each_layout(self):
        for name, layout in layouts.LAYOUTS.items():
            with self.subTest(layout=name):
                accs = self.read[name].accelerators
                self.assertEqual(set(BmcPlan(accs, []).traits), set(layout.traits))

    def test_updates_target_the_right_inventory_entry(self):
        cases = {
            "supermicro": ("GPU3", "/redfish/v1/UpdateService/FirmwareInventory/"
                                   "HGX_FW_GPU_SXM_3"),
            "dell": ("NIC.Slot.5", "/redfish/v1/UpdateService/FirmwareInventory/"
                                   "Installed-0-24.40.10.00__NIC.Slot.5-1"),
            "lenovo": ("slot-15", "/redfish/v1/UpdateService/FirmwareInventory/Slot_15.Bundle"),
            "nvidia_dpu": ("Bluefield", "/redfish/v1/UpdateService/FirmwareInventory/DPU_OS"),
        }
        for name, (device, target) in cases.items():
            with self.subTest(layout=name):
                _acc, fw = client.find_component(self.read[name].accelerators, device)
                self.assertEqual(fw["update_target"], target)

    def test_a_device_with_only_its_own_version_is_not_updatable_with_the_reason(self):
        accs = self.read["public-rackmount1"].accelerators
        with self.assertRaisesRegex(errors.NotUpdatable,
                                    r"FPGA1 has no updateable firmware \(fpga_firmware: not "
                                    r"updatable: the BMC shows this version only in "
                                    r"Processor.FPGA.FirmwareVersion"):
            client.find_component(accs, "FPGA1")

    def test_no_update_service_still_reads_and_refuses_updates_with_the_reason(self):
        root = self.serve(layouts.LAYOUTS["public-cxl-multiswitch"])
        inv = client.read_inventory(root, "Host1")  # an Id does as well as a URI
        self.assertEqual(set(found(inv.accelerators)), {"FPGA", "GPU"})
        self.assertIn("no UpdateService", inv.no_update_reason)
        with self.assertRaisesRegex(errors.NoUpdateService, "has no UpdateService"):
            client.update_service(root._conn, root)

    def test_several_systems_and_none_named_is_an_error_naming_them(self):
        layout = layouts.LAYOUTS["public-cxl-multiswitch"]
        with self.assertRaisesRegex(errors.SystemNotFound,
                                    r"serves 3 systems \(Host1, Host2, Host5\).*"
                                    r"redfish_system_id"):
            client.read_inventory(self.serve(layout), None)
        with self.assertRaisesRegex(errors.SystemNotFound,
                                    r"no system Host9 \(it has: Host1, Host2, Host5\)"):
            client.read_inventory(self.serve(layout), "Host9")

    def test_the_only_system_is_used_when_none_is_named(self):
        self.assertEqual(self.read["lenovo"].system, "/redfish/v1/Systems/1")
