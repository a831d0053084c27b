"""``.. accel-openapi::``: accel-api's API reference, rendered from ``openapi.yaml``.

The document is the one accel-api serves and tests check both ways against its routes
(accel_api/api/openapi.yaml); this directive turns it into reStructuredText at build
time: one section per tag, one per operation (summary, parameters, request body,
responses), then the component schemas.
"""

import json

import yaml
from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList
from sphinx.util.nodes import nested_parse_with_titles

METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
LEVELS = "=-~^"


def _title(text, level, lines):
    lines += ["", text, LEVELS[level] * len(text), ""]


def _literal(value, lines, language="json"):
    lines += ["", f".. code-block:: {language}", ""]
    text = json.dumps(value, indent=2, sort_keys=False) if language == "json" else value
    lines += ["   " + line for line in text.splitlines()] + [""]


def _schema_name(schema):
    ref = (schema or {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None


def _one_line(text):
    return " ".join(str(text or "").split())


def _operation(path, method, op, lines):
    _title(f"{method.upper()} {path}", 1, lines)
    if op.get("summary"):
        lines += [_one_line(op["summary"]), ""]
    if op.get("description"):
        lines += [line for line in str(op["description"]).splitlines()] + [""]
    params = op.get("parameters") or []
    if params:
        lines += ["**Parameters**", ""]
        for p in params:
            kind = (p.get("schema") or {}).get("type", "")
            need = "required" if p.get("required") else "optional"
            desc = _one_line(p.get("description"))
            lines.append(f"* ``{p['name']}`` ({p.get('in')}, {need}{', ' + kind if kind else ''})"
                         + (f": {desc}" if desc else ""))
        lines.append("")
    body = op.get("requestBody")
    if body:
        lines += ["**Request body**" + (" (required)" if body.get("required") else ""), ""]
        for ctype, media in (body.get("content") or {}).items():
            schema = media.get("schema") or {}
            name = _schema_name(schema)
            if name:
                lines += [f"* ``{ctype}``: :ref:`{name} <accel-openapi-schema-{name}>`", ""]
            else:
                lines += [f"* ``{ctype}``:", ""]
                _literal(schema, lines)
    responses = op.get("responses") or {}
    if responses:
        lines += ["**Responses**", ""]
        for code, resp in responses.items():
            desc = _one_line(resp.get("description"))
            schemas = [_schema_name(m.get("schema")) for m in (resp.get("content") or {}).values()]
            refs = ", ".join(f":ref:`{n} <accel-openapi-schema-{n}>`" for n in schemas if n)
            lines.append(f"* ``{code}``: {desc}" + (f" ({refs})" if refs else ""))
        lines.append("")


def render(doc):
    """The API reference of an OpenAPI document as reStructuredText lines."""
    lines = []
    info = doc.get("info") or {}
    lines += [f"{_one_line(info.get('description'))} OpenAPI {doc.get('openapi')}, API "
              f"version {info.get('version')}.", ""]
    by_tag = {}
    for path, item in (doc.get("paths") or {}).items():
        for method in METHODS:
            if method in item:
                op = item[method]
                tag = (op.get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append((path, method, op))
    for tag, operations in by_tag.items():
        _title(tag, 0, lines)
        for path, method, op in operations:
            _operation(path, method, op, lines)
    schemas = (doc.get("components") or {}).get("schemas") or {}
    if schemas:
        _title("Schemas", 0, lines)
        for name, schema in schemas.items():
            lines += ["", f".. _accel-openapi-schema-{name}:", ""]
            _title(name, 1, lines)
            _literal(schema, lines)
    return lines


class AccelOpenApi(Directive):
    has_content = False

    def run(self):
        env = self.state.document.settings.env
        path = env.config.accel_openapi_document
        env.note_dependency(path)
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(render(doc), source=path), node)
        return node.children


def setup(app):
    app.add_config_value("accel_openapi_document", None, "env")
    app.add_directive("accel-openapi", AccelOpenApi)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
