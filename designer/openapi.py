"""The OpenAPI 3.1 description of the designer's JSON API, served at /api/openapi.json.

Written by hand from one table (``OPERATIONS``) so that it reads like the API; a test checks
that every URL under /api/ is described, with the methods its view accepts.
"""

from __future__ import annotations

from typing import Any

from designer.catalog import templates
from designer.services import NAME_MAX_LENGTH, WHITESPACE_CLASS
from designer.strict_json import MAX_DEPTH, MAX_INTEGER_DIGITS
from emulator.topology import FORMAT

MAX_ID = 2**63 - 1  # ids are signed 64-bit integers


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str, schema: str = "Error") -> dict[str, Any]:
    return _json(_ref(schema), description)


_UNAUTHENTICATED = _error("Not signed in (the API uses the console's session cookie).")
_NOT_FOUND = _error("No such topology or version among the caller's (another user's is never revealed).")
_INVALID = _error("The body cannot be used: each problem names what is wrong and its JSON pointer in the body.",
                  "Invalid")
_CONFLICT = _error("`version` is not the latest: nothing was written; `current` is the topology as it is now.",
                   "Conflict")
_QUOTA = _error("Storing this would take the caller past a quota of stored bytes (WIRETAP_QUOTA_TOPOLOGIES_MB "
                "for topologies' versions, WIRETAP_QUOTA_RUNS_MB for runs): nothing was written; deleting "
                "topologies or runs makes room. 403: the request is valid, but this user may not store more.",
                "QuotaExceeded")
_CSRF = _error("The X-CSRFToken header (the csrftoken cookie's value) is missing or wrong.")
_TOO_LARGE = _error("The body is larger than the console accepts (DATA_UPLOAD_MAX_MEMORY_SIZE); nothing was saved.")

_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_TOPOLOGY_ID = {"name": "topology_id", "in": "path", "required": True, "schema": _ID}
_NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1},
           "description": "A version number."}
# What clean_name accepts: not blank (some character that is not whitespace), at most 200 long as sent.
_NAME = {"type": "string", "maxLength": NAME_MAX_LENGTH, "pattern": f"[^{WHITESPACE_CLASS}]"}


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


# (path, method, summary, parameters, request body, {status: response}); the order of the document.
OPERATIONS: list[tuple[str, str, str, list[dict[str, Any]], dict[str, Any] | None, dict[str, Any]]] = [
    ("/api/catalog/", "get", "Every kind (with property and behavior JSON Schemas and an icon), every connection "
     "role (with the pairs of kinds it may join) and every template.", [], None,
     {"200": _json(_ref("Catalog"), "The catalog.")}),
    ("/api/topologies/", "get", "The caller's topologies, most recently changed first.", [], None,
     {"200": _json({"type": "object", "required": ["topologies"],
                    "properties": {"topologies": {"type": "array", "items": _ref("TopologySummary")}}},
                   "The list.")}),
    ("/api/topologies/", "post", "Create a topology (version 1): from a document, a template, or empty.", [],
     _body({"type": "object", "additionalProperties": False, "not": {"required": ["document", "template"]},
            "properties": {
                "name": {**_NAME, "description": "Written into the document too. Default: the template's name, "
                                                 "else the document's, else 'Untitled topology'."},
                "document": _ref("TopologyDocument"),
                "template": {**_ref("TemplateId"), "description": "A template from the catalog (not with "
                                                                  "document)."},
            }}, required=False),
     {"201": _json(_ref("Topology"), "Created."), "400": _INVALID, "403": _QUOTA, "413": _TOO_LARGE}),
    ("/api/topologies/{topology_id}/", "get", "The latest version of a topology, with its findings.",
     [_TOPOLOGY_ID], None, {"200": _json(_ref("Topology"), "The topology."), "404": _NOT_FOUND}),
    ("/api/topologies/{topology_id}/", "put", "Save a new version. Incomplete designs are accepted (their "
     "findings say what is wrong); only a body that is not a topology at all is refused.", [_TOPOLOGY_ID],
     _body({"type": "object", "additionalProperties": False, "required": ["version", "document"], "properties": {
         "version": {"type": "integer", "minimum": 1, "description": "The version the client started from."},
         "document": _ref("TopologyDocument"),
         "name": {**_NAME, "description": "The topology's name, written into the document too. Default: the "
                                          "document's own name, else the current one."},
     }}), {"200": _json(_ref("Topology"), "Saved as version + 1."), "400": _INVALID, "403": _QUOTA, "404": _NOT_FOUND,
           "409": _CONFLICT, "413": _TOO_LARGE}),
    ("/api/topologies/{topology_id}/", "delete", "Delete a topology and all its versions.", [_TOPOLOGY_ID], None,
     {"204": {"description": "Deleted."}, "404": _NOT_FOUND}),
    ("/api/topologies/{topology_id}/versions/", "get", "The version history, newest first.", [_TOPOLOGY_ID], None,
     {"200": _json({"type": "object", "required": ["versions"],
                    "properties": {"versions": {"type": "array", "items": _ref("VersionSummary")}}}, "The history."),
      "404": _NOT_FOUND}),
    ("/api/topologies/{topology_id}/versions/{number}/", "get", "One version's document.",
     [_TOPOLOGY_ID, _NUMBER], None, {"200": _json(_ref("Version"), "The version."), "404": _NOT_FOUND}),
    ("/api/topologies/{topology_id}/versions/{number}/restore/", "post", "Save version `number`'s document as a "
     "new version.", [_TOPOLOGY_ID, _NUMBER],
     _body({"type": "object", "additionalProperties": False, "required": ["version"], "properties": {
         "version": {"type": "integer", "minimum": 1, "description": "The latest version, as the client knows it."},
     }}), {"200": _json(_ref("Topology"), "Restored as a new version."), "400": _INVALID, "403": _QUOTA,
           "404": _NOT_FOUND, "409": _CONFLICT, "413": _TOO_LARGE}),
    ("/api/topologies/{topology_id}/validate/", "post", "Errors (the emulator would refuse to run) or else "
     "best-practice warnings of a draft, or of the latest saved version when the body has no document: the "
     "findings of `python -m emulator validate`.", [_TOPOLOGY_ID],
     _body({"type": "object", "additionalProperties": False, "properties": {"document": {
         "description": "A draft: any JSON value; what is wrong with it comes back as problems."}}}, required=False),
     {"200": _json({"type": "object", "required": ["problems"],
                    "properties": {"problems": {"type": "array", "items": _ref("Problem")}}}, "The findings."),
      "400": _INVALID, "404": _NOT_FOUND, "413": _TOO_LARGE}),
    ("/api/openapi.json", "get", "This document.", [], None,
     {"200": _json({"type": "object"}, "OpenAPI 3.1.")}),
]

_TIMESTAMP = {"type": "string", "format": "date-time"}
_JSON_SCHEMA = {"type": "object", "description": "A JSON Schema (draft 2020-12) object."}

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object", "required": ["severity", "rule", "pointer", "subject", "message"],
        "properties": {
            "severity": {"enum": ["error", "warning"]},
            "rule": {"type": "string", "description": "'invalid' for errors; a stable rule name for warnings."},
            "pointer": {"type": "string", "description": "A JSON pointer into the checked document or body."},
            "subject": {"type": "string", "description": "The component id, 'Source -> Target (role)', or ''."},
            "message": {"type": "string"},
            "why": {"type": "string", "description": "Warnings: why it matters."},
            "fix": {"type": "string", "description": "Warnings: how to fix it."},
        },
    },
    "Error": {"type": "object", "required": ["error", "message"],
              "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
    "Invalid": {"allOf": [_ref("Error"), {"type": "object", "required": ["problems"], "properties": {
        "error": {"const": "invalid"}, "problems": {"type": "array", "items": _ref("Problem")}}}]},
    "QuotaExceeded": {"allOf": [_ref("Error"), {"type": "object", "required": [
        "quota", "setting", "used_bytes", "limit_bytes"], "properties": {
        "error": {"const": "quota_exceeded"}, "quota": {"enum": ["topologies", "runs"]},
        "setting": {"type": "string", "description": "The setting that sets the quota."},
        "used_bytes": {"type": "integer", "description": "What the caller stores now."},
        "limit_bytes": {"type": "integer"}}}]},
    "Conflict": {"allOf": [_ref("Error"), {"type": "object", "required": ["current"], "properties": {
        "error": {"const": "conflict"}, "current": _ref("Topology")}}]},
    "TopologyDocument": {
        "type": "object", "required": ["format", "components"],
        "description": "A wiretap.topology/1 document (formats.md section 1). What is inside its components, "
                       "connections and groups is checked by the findings, not by saving: an unfinished design "
                       "is kept as sent.",
        "properties": {"format": {"const": FORMAT},
                       "name": {"type": "string", "maxLength": NAME_MAX_LENGTH,
                                "description": "Blank: the topology's name is used."},
                       "components": {"type": "array", "items": {"type": "object"}},
                       "connections": {"type": "array", "items": {"type": "object"}},
                       "groups": {"type": "array", "items": {"type": "object"}}},
    },
    "Topology": {
        "type": "object", "required": ["id", "name", "version", "document", "author", "created_at", "findings"],
        "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"},
            "version": {"type": "integer", "description": "The latest version's number."},
            "document": _ref("TopologyDocument"),
            "author": {"type": ["string", "null"], "description": "Who saved this version."},
            "created_at": _TIMESTAMP,
            "findings": {"type": "array", "items": _ref("Problem")},
        },
    },
    "TopologySummary": {
        "type": "object", "required": ["id", "name", "version", "updated_at", "updated_by"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "version": {"type": "integer"},
                       "updated_at": _TIMESTAMP, "updated_by": {"type": ["string", "null"]}},
    },
    "VersionSummary": {
        "type": "object", "required": ["version", "author", "created_at"],
        "properties": {"version": {"type": "integer"}, "author": {"type": ["string", "null"]},
                       "created_at": _TIMESTAMP},
    },
    "Version": {"allOf": [_ref("VersionSummary"), {"type": "object", "required": ["document"],
                                                   "properties": {"document": _ref("TopologyDocument")}}]},
    "Kind": {
        "type": "object",
        "required": ["name", "title", "cloudformation_type", "description", "entry_point", "properties",
                     "behavior", "icon"],
        "properties": {"name": {"type": "string"}, "title": {"type": "string"},
                       "cloudformation_type": {"type": ["string", "null"]}, "description": {"type": "string"},
                       "entry_point": {"type": "boolean", "description": "A workload may send to it directly."},
                       "properties": _JSON_SCHEMA, "behavior": _JSON_SCHEMA,
                       "icon": {"type": "string", "description": "The URL of an SVG icon."}},
    },
    "Role": {
        "type": "object", "required": ["name", "description", "pairs", "properties", "property_pairs"],
        "properties": {
            "name": {"type": "string"}, "description": {"type": "string"},
            "pairs": {"type": "array", "description": "[source kind, target kind] pairs the role may join.",
                      "items": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2}},
            "properties": _JSON_SCHEMA,
            "property_pairs": {"type": "object", "description": "Properties valid only between some pairs.",
                               "additionalProperties": {"type": "array", "items": {"type": "array"}}},
        },
    },
    "Template": {
        "type": "object", "required": ["id", "name", "summary", "explanation", "topology", "workload"],
        "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                       "summary": {"type": "string", "description": "One line."},
                       "explanation": {"type": "string", "description": "Markdown: the example's README."},
                       "topology": _ref("TopologyDocument"),
                       "workload": {"type": "object", "description": "A wiretap.workload/1 document."}},
    },
    "Catalog": {
        "type": "object", "required": ["kinds", "roles", "templates"],
        "properties": {"kinds": {"type": "array", "items": _ref("Kind")},
                       "roles": {"type": "array", "items": _ref("Role")},
                       "templates": {"type": "array", "items": _ref("Template")}},
    },
}


def _either(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """One status that answers either of two errors."""
    schemas = [answer["content"]["application/json"]["schema"] for answer in (first, second)]
    return _json({"anyOf": schemas}, f"{first['description']} Or: {second['description']}")


def document() -> dict[str, Any]:
    from tracer import openapi as runs  # the runs' operations; it borrows this module's helpers

    paths: dict[str, dict[str, Any]] = {}
    for path, method, summary, parameters, body, responses in OPERATIONS + runs.OPERATIONS:
        operation: dict[str, Any] = {"summary": summary, "responses": {**responses, "401": _UNAUTHENTICATED}}
        if parameters:
            operation["parameters"] = parameters
        if body is not None:
            operation["requestBody"] = body
        if method in ("post", "put", "delete"):
            quota = operation["responses"].get("403")
            operation["responses"]["403"] = _CSRF if quota is None else _either(_CSRF, quota)
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Wiretap console API",
            "version": "1",
            "description": "Topologies with numbered versions, validation, the component catalog, runs and "
                           "their traces. Session "
                           "authentication (sign in to the console); requests that change anything send the "
                           "csrftoken cookie's value in the X-CSRFToken header. Every error is JSON: "
                           '{"error": code, "message": one line, ...}. Bodies are RFC 8259 JSON nested at most '
                           f"{MAX_DEPTH} deep, whose numbers are finite doubles (integers of at most "
                           f"{MAX_INTEGER_DIGITS} digits) and whose strings hold no NUL character and no lone "
                           "surrogate; any other body is a 400.",
        },
        "components": {
            "schemas": {**SCHEMAS, **runs.SCHEMAS, "TemplateId": {"enum": [item.id for item in templates()]}},
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "sessionid"}},
        },
        "security": [{"session": []}],
        "paths": paths,
    }
