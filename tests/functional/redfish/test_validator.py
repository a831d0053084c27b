"""The DMTF Redfish-Service-Validator, offline with the DMTF schemas, finds zero FAIL.

Schemas: ``<repo>/../shared/redfish/csdl`` (CI) or ``$ACCEL_SHARED_DIR/redfish/csdl``.
The emulator runs as the real ``accel-redfish-mock`` process with the ``mixed`` host
(every card family), after one firmware update so that a Task is validated too.
"""

import os

import pytest

from tests.realprocs import base
from tests.redfish_helpers import ImageServer, MockProcess, run_validator, shared_dir

pytestmark = pytest.mark.functional

SHARED = shared_dir()
CSDL = os.path.join(SHARED, "redfish", "csdl") if SHARED else None
needs_shared = pytest.mark.skipif(
    not (CSDL and os.path.isdir(CSDL)),
    reason="the DMTF schemas are not here: neither <repo>/../shared/redfish/csdl nor "
           "$ACCEL_SHARED_DIR/redfish/csdl exists")


@needs_shared
def test_emulator_passes_the_validator_with_zero_fail(tmp_path):
    mock = MockProcess(tmp_path, "--host", "mixed", "--update-seconds", "0.2")
    images = ImageServer(tmp_path)
    try:
        url, _ = images.add("nios.bin", "max10_bmc_nios", "D.2.1.40")
        import requests

        resp = requests.post(
            f"{mock.url}/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
            json={"ImageURI": url, "TransferProtocol": "HTTP",
                  "Targets": ["/redfish/v1/UpdateService/FirmwareInventory/"
                              "mixed-fpga0-max10_bmc_nios"]},
            auth=("admin", "password"), timeout=10)
        assert resp.status_code == 202
        base.wait_for(lambda: mock.get("/redfish/v1/TaskService/Tasks/1")["TaskState"]
                      == "Completed", 20, what="the update task")
        run = run_validator(mock.url, tmp_path)
    finally:
        images.stop()
        mock.stop()
    assert run.failed == 0, "\n".join(map(str, run.failures)) + "\n" + run.output[-4000:]
    assert run.passed > 1000  # it really walked the tree (processors, PCIe, inventory, task)
    assert "/redfish/v1/TaskService/Tasks/1" in run.output
    assert "/redfish/v1/Systems/mixed/Processors/fpga0/AccelerationFunctions" in run.output
