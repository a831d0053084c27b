"""The inspection push names the host after the Ironic node, never after the ramdisk."""

import types
import uuid

from oslo_config import cfg

from accel_contract import inventory as contract
from ironic_fpga.conf import inspection as conf_inspection
from ironic_fpga.inspection import push
from tests.accel_api_helpers import inventory
from tests.unit import base


class PushIdentityTest(base.TestCase):
    def setUp(self):
        super().setUp()
        self.conf = cfg.ConfigOpts()
        conf_inspection.register_opts(self.conf)
        self.conf([], default_config_files=[])

    def node(self, name):
        return types.SimpleNamespace(uuid=str(uuid.uuid4()), name=name)

    def test_the_node_name_else_its_uuid(self):
        named, unnamed = self.node("rack7-node3"), self.node(None)
        self.assertEqual(push.node_hostname(self.conf, named), "rack7-node3")
        self.assertEqual(push.node_hostname(self.conf, unnamed), unnamed.uuid)
        self.conf.set_override("host_identity", "uuid", conf_inspection.API_GROUP)
        self.assertEqual(push.node_hostname(self.conf, named), named.uuid)

    def test_a_node_named_like_loopback_is_refused_clearly(self):
        with self.assertRaisesRegex(push.PushError, "host_identity = uuid"):
            push.node_hostname(self.conf, self.node("localhost"))

    def test_the_pushed_document_is_the_nodes_and_standalone(self):
        doc = inventory("localhost")
        doc["host"]["nodename"] = "localhost"
        out = push.node_document(doc, "rack7-node3")
        contract.validate(out)
        self.assertEqual(out["host"]["hostname"], "rack7-node3")
        self.assertIs(out["host"]["nova_compute"], False)
        self.assertNotIn("nodename", out["host"])
        self.assertEqual(doc["host"]["hostname"], "localhost")  # the input is untouched
        self.assertEqual(out["devices"], doc["devices"])
