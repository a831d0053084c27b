"""Every vendor layout of the emulator passes the DMTF Redfish-Service-Validator with zero
FAIL, after one firmware update through the vendor's own update path (so that its Task,
with the vendor's task ids, is validated too)."""

import json
import os

import pytest

import accel_hosts
from redfish_mocks import image as image_mod
from redfish_mocks.httpd import HttpService
from redfish_mocks.service import EmulatorService
from redfish_mocks.state import Emulator
from tests.realprocs import base
from tests.redfish_helpers import run_validator, shared_dir

pytestmark = pytest.mark.functional

SHARED = shared_dir()
needs_shared = pytest.mark.skipif(
    not (SHARED and os.path.isdir(os.path.join(SHARED, "redfish", "csdl"))),
    reason="the DMTF schemas are not here: neither <repo>/../shared/redfish/csdl nor "
           "$ACCEL_SHARED_DIR/redfish/csdl exists")
INV = "/redfish/v1/UpdateService/FirmwareInventory"

#: profile -> (host, multipart path, UpdateParameters, component, version) of the update run
CASES = {
    "hgx": ("host-b", "/redfish/v1/UpdateService/upload",
            {"Targets": [f"{INV}/HGX_FW_GPU_SXM_2"]}, "vbios", "96.00.99.00.01"),
    "bluefield": ("host-d", "/redfish/v1/UpdateService/update-multipart", {}, "dpu_bmc",
                  "BF-25.04-3"),
    "idrac": ("host-d", "/redfish/v1/UpdateService/MultipartUpload", {"Targets": []},
              "nic_firmware", "32.42.1000"),
    "ilo": ("host-c", None, None, None, None),
    "cxl": ("host-d", None, None, None, None),
    "dmtf": ("mixed", None, None, None, None),
}


def _push(url, path, params, component, version):
    import requests

    resp = requests.post(f"{url}{path}", auth=("admin", "password"), timeout=30, files={
        "UpdateParameters": (None, json.dumps(params), "application/json"),
        "UpdateFile": ("fw.bin", image_mod.build(component, version),
                       "application/octet-stream")})
    assert resp.status_code == 202, resp.text
    return resp.json()["Id"]


@needs_shared
@pytest.mark.parametrize("profile", sorted(CASES))
def test_layout_passes_the_validator_with_zero_fail(profile, tmp_path):
    host, path, params, component, version = CASES[profile]
    svc = EmulatorService(Emulator([accel_hosts.load(host)], profile=profile,
                                   update_seconds=0.1))
    srv = HttpService(svc).start()
    try:
        if path:
            task = _push(srv.url, path, params, component, version)
            base.wait_for(lambda: svc.tasks.get(task).finished, 30, what="the update task")
            assert svc.tasks.get(task).state == "Completed"
        run = run_validator(srv.url, tmp_path)
    finally:
        srv.stop()
    print(f"{profile} on {host}: {run}")
    assert run.failed == 0, "\n".join(map(str, run.failures)) + "\n" + run.output[-3000:]
    assert run.passed > 300
    if path:
        assert f"/redfish/v1/TaskService/Tasks/{task}" in run.output
