"""Schemathesis against a live accel-api (noauth, admin): no input yields a server error,
on each database (SQLite, PostgreSQL, MariaDB: their claim paths differ).

Bounded: a few examples per operation, so each database's run stays under a minute and
a half on a 2-core machine. The host and profile it can hit are seeded first."""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from accel_api.api import openapi
from tests.accel_api_helpers import DATABASE_KINDS, inventory, running_server, scratch_database

pytestmark = pytest.mark.functional
schema = schemathesis.openapi.from_path(openapi.PATH)


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def live_url(request):
    with scratch_database(request.param) as db_url, running_server(database=db_url) as url:
        assert requests.put(f"{url}/v2/hosts/host-1/inventory",
                            json=inventory("host-1")).status_code == 200
        assert requests.post(f"{url}/v2/device_profiles", json=[
            {"name": "dp", "groups": [{"resources:FPGA": "1"}]}]).status_code == 201
        yield url


@schema.parametrize()
@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, live_url):
    case.call_and_validate(base_url=live_url, checks=[not_a_server_error], timeout=90)
