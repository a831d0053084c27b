"""The real Ironic launcher itself works: a node can be enrolled and driven through states."""

import pytest

from tests.realprocs.ironic import Ironic

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def ironic(tmp_path_factory):
    service = Ironic(tmp_path_factory.mktemp("ironic")).start()
    yield service
    service.stop()


def test_enroll_and_manage_a_fake_node(ironic):
    conn = ironic.conn
    node = conn.baremetal.create_node(driver="fake-hardware", name="harness-node")
    node = conn.baremetal.set_node_provision_state(node, "manage", wait=True, timeout=60)
    assert node.provision_state == "manageable"
    conn.baremetal.delete_node(node)
