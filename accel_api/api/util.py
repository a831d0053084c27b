"""Request helpers: JSON bodies checked against schemas, uuids, links, timestamps."""

import itertools
import uuid

import jsonschema
import jsonschema_rs

from accel_api import errors
from accel_api.api import inputs
from accel_contract import limits


def body(req, schema, unwrap=None, fast=False):
    """The request's JSON body (``inputs.json_body``), validated; 4xx with the reason.

    ``unwrap``: a key the body may also come wrapped in (``{"attribute": {...}}``, as
    openstacksdk sends). ``fast``: see ``validate``.
    """
    doc = inputs.json_body(req)
    if unwrap and isinstance(doc, dict) and list(doc) == [unwrap]:
        doc = doc[unwrap]
    validate(doc, schema, fast=fast)
    return doc


_FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER
#: Schema errors looked at to choose the message from.
MAX_ERRORS = 50
#: Validators by schema identity: the schemas are module constants, built once.
_VALIDATORS = {}


def _validator(schema):
    validator = _VALIDATORS.get(id(schema))
    if validator is None or validator.schema is not schema:
        validator = jsonschema.Draft202012Validator(schema, format_checker=_FORMATS)
        _VALIDATORS[id(schema)] = validator
    return validator


#: Compiled validators (jsonschema-rs, as for inventories) of the hot path's schemas.
_COMPILED = {}


def _compiled(schema):
    found = _COMPILED.get(id(schema))
    if found is None or found[0] is not schema:
        # Formats are checked by jsonschema's own checker, so both agree on them.
        formats = {name: (lambda value, name=name: _FORMATS.conforms(value, name))
                   for name in _FORMATS.checkers}
        found = (schema, jsonschema_rs.validator_for(
            schema, formats=formats, validate_formats=True))
        _COMPILED[id(schema)] = found
    return found[1]


def prepare(*schemas, fast=False):
    """Build the validators of these schemas now (at app start) rather than on a request."""
    for schema in schemas:
        _validator(schema)
        if fast:
            _compiled(schema)


def validate(doc, schema, fast=False):
    """400 unless ``doc`` is valid against ``schema`` (JSON Schema 2020-12, jsonschema).

    ``fast``: first ask the compiled validator (jsonschema-rs, far faster than
    jsonschema on a bind's patch). It only ever accepts early: whatever it rejects is
    judged again by jsonschema, which gives the verdict and the message.
    """
    if fast and _compiled(schema).is_valid(doc):
        return
    validator = _validator(schema)
    if validator.is_valid(doc):
        return
    over = limits.over_limits(doc, schema, most=1)
    if over:
        raise errors.BadRequest(f"invalid request {over[0]}")
    # The best of the first errors: a hostile body can hold hundreds of thousands.
    error = jsonschema.exceptions.best_match(
        itertools.islice(validator.iter_errors(doc), MAX_ERRORS))
    if error is not None:
        where = "".join(f"[{p!r}]" for p in error.absolute_path) or "body"
        raise errors.BadRequest(f"invalid request {where}: {limits.shorten(error.message)}")


def check_uuid(value, what="uuid"):
    try:
        return str(uuid.UUID(value)) if len(value) in (32, 36) else _bad(value, what)
    except (ValueError, TypeError, AttributeError):
        return _bad(value, what)


def is_uuid(value):
    try:
        return len(value) in (32, 36) and bool(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        return False


def _bad(value, what):
    raise errors.BadRequest(f"{what} {str(value)[:80]!r} is not a valid UUID")


def links(req, collection, ident):
    base = req.app.conf.api.public_endpoint or req.host_url
    return [{"href": f"{base.rstrip('/')}/v2/{collection}/{ident}", "rel": "self"}]


def ts(value):
    return value.isoformat() + "+00:00" if value is not None else None


def query(req, name, allowed=None):
    """One optional query parameter (last wins); checks its allowed values.

    ``inputs.check_target`` has already refused what is not UTF-8 or not storable."""
    value = req.GET.get(name)
    if value is not None and allowed is not None and value not in allowed:
        raise errors.BadRequest(f"{name} must be one of {', '.join(allowed)}")
    return value
