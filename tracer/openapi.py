"""The runs' part of /api/openapi.json (merged by designer/openapi.py's ``document``)."""

from __future__ import annotations

from typing import Any

from designer.openapi import _ID, _INVALID, _NOT_FOUND, _QUOTA, _TOO_LARGE, _TOPOLOGY_ID, MAX_ID, _body, _json, _ref
from emulator.workload import MAX_SEED

_RUN_ID = {"name": "run_id", "in": "path", "required": True, "schema": _ID}
_TRACE_ID = {"name": "trace_id", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "An X-Ray trace id (1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx)."}
_SPEED = {"type": ["number", "null"], "exclusiveMinimum": 0,
          "description": "Virtual seconds per wall second (1, 10, 100...); null: as fast as possible."}
_OUTCOMES = ["completed", "failed", "dead_lettered", "throttled", "lost", "rejected", "in_flight"]


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


_NDJSON = {"description": "Streamed, one JSON document a line.", "content": {"application/x-ndjson": {}}}

OPERATIONS: list[tuple[str, str, str, list[dict[str, Any]], dict[str, Any] | None, dict[str, Any]]] = [
    ("/api/topologies/{topology_id}/runs/", "post", "Start a run of the topology's latest version under a "
     "workload; it is queued, then a worker runs it. The stream is at /ws/runs/{id}/.", [_TOPOLOGY_ID],
     _body({"type": "object", "additionalProperties": False, "required": ["workload"], "properties": {
         "workload": {"type": "object", "description": "A wiretap.workload/1 document (formats.md section 2)."},
         "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED, "description": "Default: the "
                  "workload's seed, else a random one (the run's `seed` says which)."},
         "speed": _SPEED}}),
     {"201": _json(_ref("Run"), "Queued."), "400": _INVALID, "403": _QUOTA, "404": _NOT_FOUND, "413": _TOO_LARGE}),
    ("/api/runs/{run_id}/", "get", "A run's status and counts.", [_RUN_ID], None,
     {"200": _json(_ref("Run"), "The run."), "404": _NOT_FOUND}),
    ("/api/runs/{run_id}/", "delete", "Delete a run that is over, with its replay log and traces (room under the "
     "quota of runs).", [_RUN_ID], None,
     {"204": {"description": "Deleted."}, "404": _NOT_FOUND,
      "409": _json(_ref("Error"), "The run is queued or running: cancel it first.")}),
    ("/api/runs/{run_id}/cancel/", "post", "Cancel: a queued run at once, a running one within a quarter "
     "second (what it produced is kept).", [_RUN_ID], None,
     {"200": _json(_ref("Run"), "The run."), "404": _NOT_FOUND}),
    ("/api/runs/{run_id}/control/", "post", "Set the speed and pause of a run.", [_RUN_ID],
     _body({"type": "object", "additionalProperties": False, "required": ["speed", "paused"],
            "properties": {"speed": _SPEED, "paused": {"type": "boolean"}}}),
     {"200": _json(_ref("Run"), "The run."), "400": _INVALID, "404": _NOT_FOUND, "413": _TOO_LARGE}),
    ("/api/runs/{run_id}/summary/", "get", "The wiretap.summary/1 of a finished or cancelled run.", [_RUN_ID], None,
     {"200": _json({"type": "object"}, "The summary."), "404": _NOT_FOUND,
      "409": _json(_ref("Error"), "The run has not ended yet.")}),
    ("/api/runs/{run_id}/traces/", "get", "A page of the run's stored traces (one per message), in id order.",
     [_RUN_ID, _query("outcome", {"enum": _OUTCOMES}, "Only this outcome."),
      _query("component", {"type": "string"}, "Only traces that touched this component."),
      _query("min_duration_ms", {"type": "number", "minimum": 0}, "At least this end-to-end duration."),
      _query("max_duration_ms", {"type": "number", "minimum": 0}, "At most this end-to-end duration."),
      _query("after", {"type": "integer", "minimum": 0, "maximum": MAX_ID},
             "The previous page's `next` (keyset pagination); absent or 0: the first page."),
      _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "Page size, default 100.")], None,
     {"200": _json({"type": "object", "required": ["traces", "next"], "properties": {
         "traces": {"type": "array", "items": _ref("TraceSummary")},
         "next": {"type": ["integer", "null"], "description": "`after` for the next page; null on the last."}}},
         "The page."), "400": _INVALID, "404": _NOT_FOUND}),
    ("/api/runs/{run_id}/traces/{trace_id}/", "get", "One trace with its X-Ray segment documents.",
     [_RUN_ID, _TRACE_ID], None,
     {"200": _json({"allOf": [_ref("TraceSummary"), {"type": "object", "required": ["segments"], "properties": {
         "segments": {"type": "array", "items": {"type": "object"}}}}]}, "The trace."), "404": _NOT_FOUND}),
    ("/api/runs/{run_id}/export/xray.jsonl", "get", "Every stored segment as X-Ray JSON Lines.", [_RUN_ID], None,
     {"200": _NDJSON, "404": _NOT_FOUND}),
    ("/api/runs/{run_id}/export/otlp.json", "get", "The stored traces as one OTLP/JSON document (an "
     "ExportTraceServiceRequest), streamed; a component has one ResourceSpans per 500 traces.", [_RUN_ID], None,
     {"200": _json({"type": "object", "required": ["resourceSpans"]}, "The OTLP/JSON document."),
      "404": _NOT_FOUND}),
    ("/api/runs/{run_id}/export/summary.json", "get", "The wiretap.summary/1 of a finished or cancelled run, as a "
     "file named after the run.", [_RUN_ID], None,
     {"200": _json({"type": "object"}, "The summary."), "404": _NOT_FOUND,
      "409": _json(_ref("Error"), "The run has not ended yet.")}),
    ("/api/workload-presets/", "get", "Ready-made workloads for a topology's entry points: the workload of the "
     "template it was made from first (id `template`), when it still fits, then steady, spike, ramp, poison "
     "messages, a dependency outage.",
     [{**_query("topology", _ID, "The topology id."), "required": True}], None,
     {"200": _json({"type": "object", "required": ["presets"], "properties": {"presets": {"type": "array", "items": {
         "type": "object", "required": ["id", "workload"],
         "properties": {"id": {"type": "string"}, "workload": {"type": "object"}}}}}}, "The presets."),
      "400": _INVALID, "404": _NOT_FOUND}),
]

_TIME = {"type": ["string", "null"], "format": "date-time"}
SCHEMAS: dict[str, Any] = {
    "Run": {"type": "object", "required": ["id", "topology", "topology_version", "status", "seed", "speed", "paused",
                                           "last_seq", "stream"],
            "properties": {
                "id": {"type": "integer"}, "topology": {"type": "integer"}, "topology_version": {"type": "integer"},
                "status": {"enum": ["queued", "running", "finished", "failed", "cancelled"]},
                "seed": {"type": "integer"}, "speed": _SPEED, "paused": {"type": "boolean"},
                "cancel_requested": {"type": "boolean"}, "created_at": {"type": "string", "format": "date-time"},
                "started_at": _TIME, "finished_at": _TIME, "heartbeat_at": _TIME,
                "worker": {"type": "string"}, "error": {"type": "string"}, "virtual_seconds": {"type": "number"},
                "last_seq": {"type": "integer", "description": "The last event number of the stream."},
                "segments": {"type": "integer"}, "traces_seen": {"type": "integer"},
                "traces_stored": {"type": "integer", "description": "Below traces_seen when the cap sampled."},
                "stored_bytes": {"type": "integer", "description": "The JSON text the run stores (its snapshot, "
                                 "replay log and traces): what the owner's quota counts."},
                "limit": {"enum": ["", "messages", "stored_traces", "events", "bytes", "quota"],
                          "description": "The limit that stopped the run while it ran (then it is cancelled "
                                         "and `error` says more), else empty."},
                "workload": {"type": "object"}, "stream": {"type": "string"}}},
    "TraceSummary": {"type": "object", "required": ["id", "trace_id", "outcome", "duration_ms", "components"],
                     "properties": {
                         "id": {"type": "integer"}, "trace_id": {"type": "string"}, "message_id": {"type": "string"},
                         "outcome": {"enum": _OUTCOMES}, "entry": {"type": "string"},
                         "start_s": {"type": "number"}, "end_s": {"type": ["number", "null"]},
                         "duration_ms": {"type": "number"},
                         "components": {"type": "array", "items": {"type": "string"}},
                         "has_error": {"type": "boolean"}, "has_fault": {"type": "boolean"},
                         "has_throttle": {"type": "boolean"}, "segment_count": {"type": "integer"}}},
}
