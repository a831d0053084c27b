"""The compiled (jsonschema-rs) path of the ARQ bodies agrees with jsonschema."""

import uuid

from accel_api import errors
from accel_api.api import accelerator_requests as ar
from accel_api.api import util
from tests.unit import base

ARQ = str(uuid.uuid4())
GOOD_PATCH = {ARQ: [{"path": "/hostname", "op": "add", "value": "h"},
                    {"path": "/device_rp_uuid", "op": "add", "value": str(uuid.uuid4())},
                    {"path": "/instance_uuid", "op": "add", "value": str(uuid.uuid4())}]}
CASES = [
    (ar.CREATE_SCHEMA, {"device_profile_name": "dp"}),
    (ar.CREATE_SCHEMA, {"device_profile_name": "dp", "image_uuid": str(uuid.uuid4()),
                        "device_profile_group_id": 3}),
    (ar.CREATE_SCHEMA, {"device_profile_name": "dp", "image_uuid": "not-a-uuid"}),
    (ar.CREATE_SCHEMA, {"device_profile_name": ""}),
    (ar.CREATE_SCHEMA, {"device_profile_name": "dp", "device_profile_group_id": True}),
    (ar.CREATE_SCHEMA, {"device_profile_name": "dp", "device_profile_group_id": 16}),
    (ar.CREATE_SCHEMA, {"device_profile_name": "dp", "device_profile_group_id": 1.0}),
    # python-cyborgclient: null when not given, the CLI's --group-id as a string.
    (ar.CREATE_SCHEMA, {"device_profile_name": "dp", "device_profile_group_id": None,
                        "image_uuid": None}),
    (ar.CREATE_SCHEMA, {"device_profile_name": "dp", "device_profile_group_id": "15"}),
    (ar.CREATE_SCHEMA, {"device_profile_name": "dp", "device_profile_group_id": "16"}),
    (ar.CREATE_SCHEMA, {"device_profile_name": "dp", "device_profile_group_id": "01"}),
    (ar.CREATE_SCHEMA, {"device_profile_name": "dp", "extra": 1}),
    (ar.CREATE_SCHEMA, {}),
    (ar.CREATE_SCHEMA, []),
    (ar.CREATE_SCHEMA, None),
    (ar.PATCH_SCHEMA, GOOD_PATCH),
    (ar.PATCH_SCHEMA, {ARQ: []}),
    (ar.PATCH_SCHEMA, {}),
    (ar.PATCH_SCHEMA, {"zz": GOOD_PATCH[ARQ]}),
    (ar.PATCH_SCHEMA, {ARQ: [{"path": "/x", "op": "add"}]}),
    (ar.PATCH_SCHEMA, {ARQ: [{"path": "/hostname", "op": "add", "value": 1}]}),
    (ar.PATCH_SCHEMA, {ARQ: [{"path": "/hostname", "op": "add", "value": ""}]}),
    (ar.PATCH_SCHEMA, {ARQ: [{"path": "/hostname", "op": "move", "value": "h"}]}),
    (ar.PATCH_SCHEMA, {ARQ: [dict(GOOD_PATCH[ARQ][0], extra=1)]}),
    (ar.PATCH_SCHEMA, {ARQ: GOOD_PATCH[ARQ] * 2}),
    (ar.PATCH_SCHEMA, {str(uuid.uuid4()): GOOD_PATCH[ARQ] for _ in range(65)}),
]


def _verdict(doc, schema, fast):
    try:
        util.validate(doc, schema, fast=fast)
    except errors.BadRequest as exc:
        return str(exc)
    return "valid"


class TestFastValidation(base.TestCase):
    def test_fast_path_gives_the_same_verdict_and_message(self):
        for schema, doc in CASES:
            with self.subTest(schema=schema, doc=doc):
                self.assertEqual(_verdict(doc, schema, True), _verdict(doc, schema, False))

    def test_good_and_bad_bodies_are_told_apart(self):
        self.assertEqual(_verdict(GOOD_PATCH, ar.PATCH_SCHEMA, True), "valid")
        self.assertIn("is not a 'uuid'", _verdict(
            {"device_profile_name": "dp", "image_uuid": "x"}, ar.CREATE_SCHEMA, True))
