"""The DMTF Redfish-Service-Validator, offline with the DMTF schemas, finds zero FAIL.

Schemas: ``<repo>/../shared/redfish/csdl`` (CI) or ``$ACCEL_SHARED_DIR/redfish/csdl``.
The emulator runs as the real ``accel-redfish-mock`` process with the ``mixed`` host
(every card family), after one firmware update so that a Task is validated too.
"""

import os
import re
import subprocess

import pytest

from tests.realprocs import base
from tests.redfish_helpers import ImageServer, MockProcess, shared_dir

pytestmark = pytest.mark.functional

SHARED = shared_dir()
CSDL = os.path.join(SHARED, "redfish", "csdl") if SHARED else None
needs_shared = pytest.mark.skipif(
    not (CSDL and os.path.isdir(CSDL)),
    reason="the DMTF schemas are not here: neither <repo>/../shared/redfish/csdl nor "
           "$ACCEL_SHARED_DIR/redfish/csdl exists")


def _validate(url, logdir):
    proc = subprocess.run(
        [base.venv_bin("rf_service_validator"), "-r", url, "-u", "admin", "-p", "password",
         "--authtype", "Basic", "--skipschema", "--schema_directory", CSDL,
         "--logdir", str(logdir)],
        capture_output=True, text=True, timeout=300, cwd=str(logdir))
    out = proc.stdout + proc.stderr
    table = re.search(r"PASS\s*\|\s*WARN\s*\|\s*FAIL\s*\|\s*NOT TESTED\s*\|\s*\n[+\-]+\n"
                      r"\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|", out)
    assert table, f"no summary in the validator's output:\n{out[-3000:]}"
    passed, _warn, failed = (int(g) for g in table.groups())
    failures = [line for line in out.splitlines() if "Fail: " in line
                and not line.strip().endswith("Fail: 0") and "Fail: 0," not in line]
    return passed, failed, out, failures


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
        passed, failed, out, failures = _validate(mock.url, tmp_path)
    finally:
        images.stop()
        mock.stop()
    assert failed == 0, "\n".join(failures) + "\n" + out[-4000:]
    assert passed > 1000  # it really walked the tree (processors, PCIe, inventory, task)
    assert "/redfish/v1/TaskService/Tasks/1" in out
    assert "/redfish/v1/Systems/mixed/Processors/fpga0/AccelerationFunctions" in out
