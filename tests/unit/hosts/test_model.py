
import accel_hosts
from accel_hosts import cards
from accel_hosts.cards import HostDescriptionError
from tests.unit import base

BAD_DESCRIPTIONS_ARE_CLEAR_ERRORS_CASES = [
    ({"name": "x", "hostname": "x", "system_uuid": "u"}, "lacks cards"),
    ({"name": "x", "hostname": "x", "system_uuid": "u", "cards": [{"kind": "nope"}]},
     "unknown card kind"),
    ({"name": "x", "hostname": "x", "system_uuid": "u", "cards": [{"kind": "u250"}]},
     "needs 'address'"),
    ({"name": "x", "hostname": "x", "system_uuid": "u",
      "cards": [{"kind": "u250", "address": "0000:17:00.1"}]}, "function 0"),
    ({"name": "x", "hostname": "x", "system_uuid": "u",
      "cards": [{"kind": "l4", "address": "0000:17:00.0"},
                {"kind": "l4", "address": "0000:17:00.0"}]}, "used twice"),
    ({"name": "x", "hostname": "x", "system_uuid": "u",
      "cards": [{"kind": "l4", "address": "zz"}]}, "not a PCI address"),
    ("just text", "must be a mapping"),
]


class TestModel(base.TestCase):
    def test_bundled_names(self):
        self.assertEqual(accel_hosts.names(), [
            "example", "gpu-gvtg", "gpu-mdev", "gpu-mig", "gpu-vfio",
            "host-a", "host-b", "host-c", "host-d", "mixed"])

    def test_host_a_matches_hwfacts_topology(self):
        host = accel_hosts.load("host-a")
        self.assertEqual([c.kind for c in host.cards], ["n3000", "n3000"])
        card = host.card("fpga0")
        fpga = card.primary
        self.assertEqual((fpga.address, fpga.device_id, fpga.class_code, fpga.driver), (
            "0000:3f:00.0", "0x0b30", "0x120000", "dfl-pci"))
        fns = host.functions()
        # OPAE's documented layout: root port 3a -> PLX 3b -> ports 3c:08/09/10/11.
        self.assertEqual(fns["0000:3b:00.0"].parent, "0000:3a:00.0")
        self.assertEqual(
            (fns["0000:3b:00.0"].vendor_id, fns["0000:3b:00.0"].device_id), ("0x10b5", "0x8747"))
        self.assertEqual(fpga.parent, "0000:3c:09.0")
        self.assertEqual(fns["0000:3d:00.0"].parent, "0000:3c:08.0")
        self.assertEqual(fns["0000:41:00.0"].parent, "0000:3c:10.0")
        self.assertEqual(fns["0000:43:00.0"].parent, "0000:3c:11.0")
        self.assertIsNone(fns["0000:43:00.0"].driver)
        self.assertEqual(fns["0000:3d:00.0"].vfs, [f"0000:3d:02.{i}" for i in range(8)])
        self.assertEqual(fns["0000:41:00.0"].vfs, [])
        self.assertTrue(all(fns[v].physfn == "0000:3d:00.0" and fns[v].device_id == "0x154c"
                   and fns[v].driver == "iavf" for v in fns["0000:3d:00.0"].vfs))
        card2 = host.card("fpga1")
        self.assertEqual(card2.primary.address, "0000:b3:00.0")
        self.assertEqual(fns["0000:b1:00.0"].vfs, [f"0000:b1:02.{i}" for i in range(8)])
        self.assertIn("0000:b7:00.0", fns)
        # What a BMC shows: serials and firmware versions.
        self.assertEqual(card.serial, "PVPA2101F0001")
        self.assertEqual({f.component: f.version for f in card.firmware}, {
            "max10_bmc_nios": "D.2.1.24", "max10_bmc_build": "D.2.0.7",
            "fpga_image": "0x2300011001030f"})
        self.assertEqual(card2.firmware[0].lowest_supported_version, "D.2.0.6")
        self.assertEqual(card.dfl.bmcfw_version, "0x44020118")
        self.assertEqual(card.dfl.bmc_version, "0x44020007")
        self.assertEqual((card.dfl.secure_update, card2.dfl.secure_update), (0, 1))
        self.assertEqual((card.dfl.fme_index, card2.dfl.fme_index), (0, 1))

    def test_host_b_and_c_shapes(self):
        b = accel_hosts.load("host-b")
        gpus = [c for c in b.cards if c.kind == "h100_sxm5"]
        self.assertEqual(len(gpus), 8)
        self.assertEqual(len([c for c in b.cards if c.kind == "nvswitch"]), 4)
        self.assertEqual([g.primary.address for g in gpus], [
            "0000:18:00.0", "0000:2a:00.0", "0000:3a:00.0", "0000:5d:00.0",
            "0000:9a:00.0", "0000:ab:00.0", "0000:ba:00.0", "0000:db:00.0"])
        self.assertEqual({g.primary.max_link_speed for g in gpus}, {"32.0 GT/s PCIe"})
        self.assertEqual([g.nvidia.minor for g in gpus], list(range(8)))
        self.assertEqual(len({g.nvidia.uuid for g in gpus}), 8)
        c = accel_hosts.load("host-c")
        u250 = [x for x in c.cards if x.kind == "u250"]
        self.assertEqual([(x.functions[0].driver, x.functions[1].driver) for x in u250], [
            ("xclmgmt", "xocl")] * 4)
        qat = [x for x in c.cards if x.kind == "qat_4xxx"]
        pf = qat[0].primary
        self.assertEqual(pf.vfs[0], "0000:6b:00.1")
        self.assertEqual(pf.vfs[-1], "0000:6b:02.0")
        self.assertEqual(len(pf.vfs), 16)
        self.assertEqual(qat[1].qat.cfg_services, "dc")

    def test_large_host_is_parametric_and_big(self):
        big = accel_hosts.large_host(1000)
        fns = big.functions()
        self.assertGreaterEqual(len(fns), 1000)
        self.assertGreaterEqual(sum(1 for f in fns.values() if f.physfn), 300)
        half = accel_hosts.large_host(500)
        self.assertTrue(500 <= len(half.functions()) < len(fns))
        # deterministic: the half host is the first cards of the big one
        self.assertEqual([c.primary.address for c in half.cards], [
            c.primary.address for c in big.cards[: len(half.cards)]])

    def test_vf_addresses_follow_offset_and_stride(self):
        self.assertEqual(
            cards.vf_addresses("0000:6b:00.0", 9, 1, 1)[-2:], ["0000:6b:01.0", "0000:6b:01.1"])
        self.assertEqual(
            cards.vf_addresses("0000:3d:00.0", 2, 16, 1), ["0000:3d:02.0", "0000:3d:02.1"])
        with self.assertRaises(HostDescriptionError):
            cards.vf_addresses("0000:ff:1f.7", 2, 1, 1)

    def test_m10_version_encoding(self):
        self.assertEqual(cards.m10_version("D.2.1.24"), "0x44020118")
        with self.assertRaises(HostDescriptionError):
            cards.m10_version("2.1")

    def test_bad_descriptions_are_clear_errors(self):
        for data, message in BAD_DESCRIPTIONS_ARE_CLEAR_ERRORS_CASES:
            with self.subTest(data=data, message=message):
                with self.assertRaisesRegex(HostDescriptionError, message):
                    accel_hosts.from_dict(data)

    def test_load_errors(self):
        tmp_path = self.tmp_dir()
        with self.assertRaisesRegex(HostDescriptionError, "not a bundled name"):
            accel_hosts.load("no-such-host")
        bad = tmp_path / "bad.yaml"
        bad.write_text("cards: [unclosed")
        with self.assertRaisesRegex(HostDescriptionError, "not valid YAML"):
            accel_hosts.load(str(bad))

    def test_load_from_path(self):
        tmp_path = self.tmp_dir()
        desc = tmp_path / "one.yaml"
        desc.write_text(
            "name: one\nhostname: one.example\nsystem_uuid: 1\n"
            "cards: [{kind: qat_4xxx, address: '0000:6b:00.0', vfs: 2}]\n")
        host = accel_hosts.load(str(desc))
        self.assertEqual(list(host.functions()), ["0000:6b:00.0", "0000:6b:00.1", "0000:6b:00.2"])
        self.assertEqual(host.to_dict()["cards"][0]["qat"]["cfg_services"], "sym;asym")

    def test_upstream_bridges(self):
        host = accel_hosts.load("host-a")
        self.assertEqual([b.address for b in host.upstream("0000:3f:00.0")], [
            "0000:3a:00.0", "0000:3b:00.0", "0000:3c:09.0"])
        self.assertEqual([b.address for b in host.upstream("0000:3d:02.0")], [
            "0000:3a:00.0", "0000:3b:00.0", "0000:3c:08.0"])
        self.assertEqual(accel_hosts.load("host-c").upstream("0000:6b:00.0"), [])
