"""The API and /api/openapi.json agree: schemathesis sends alice's console what the document
allows and what it does not, and every answer is one the document describes.

Every operation is fuzzed in positive mode (data the document allows) and in negative mode (data
it refuses), ``WIRETAP_SCHEMATHESIS_EXAMPLES`` examples each (CONTRIBUTING.md), derandomized: every
run sends the same requests. Positive cases name alice's own topology, version, run and trace, so
they reach what lies behind the 404; negative cases do too when they have a query or a body to
spoil. Requests go in-process to the WSGI application (console/wsgi.py) on the test's database;
runs they start are never handed to a worker.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from designer import openapi
from designer import services as designer
from tests.tracer.conftest import workload
from tracer import services as runs
from tracer.models import Run

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("WIRETAP_SCHEMATHESIS_EXAMPLES", "20"))
OPERATIONS = [(path, method) for path, methods in openapi.document()["paths"].items() for method in methods]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection, positive_data_acceptance, ignored_auth]
# A run's workload is described as any object, and almost none is one that can run: the document
# cannot say more without the workload's own schema, so valid data there is not expected to start a run.
CHECKS_WITHOUT_ACCEPTANCE = [check for check in CHECKS if check is not positive_data_acceptance]
CSRF_TOKEN = "wiretap-schemathesis-csrf-token-0123"


@contextmanager
def connection_kept_open() -> Iterator[None]:
    """Django's test client keeps a request from closing the test's database connection (the
    test's transaction); calling the WSGI application directly needs the same."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def alices(alice: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The ids positive cases name: alice's topology (at version 2), a finished run of it with its
    traces, and a topology to delete."""
    monkeypatch.setattr(runs, "enqueue", lambda run_id: None)
    topology = designer.create_topology(alice, template_id="scalable-webhook").topology
    designer.rename_topology(topology, "Webhook", alice)
    run = runs.start_run(alice, topology, workload(per_second=5, duration_s=2))
    runs.execute_run(run.pk)
    trace = Run.objects.get(pk=run.pk).traces.order_by("id").first()
    assert trace is not None
    doomed = designer.create_topology(alice, name="Doomed").topology
    return {"topology_id": topology.pk, "number": 1, "run_id": run.pk, "trace_id": trace.trace_id,
            "doomed": doomed.pk}


@pytest.fixture
def schema(alice: Any) -> Any:
    """/api/openapi.json as the console serves it to alice, whose session the cases carry."""
    client = Client()
    client.force_login(alice)
    served = client.get("/api/openapi.json")
    assert served.status_code == 200
    # The document says in words that no string may hold a NUL (JSON Schema cannot say it of every
    # string in a free-form document), so the cases hold none; test_strict_json.py tests the refusal.
    config = schemathesis.Config.from_dict({"generation": {"allow-x00": False}, "auth": {"openapi": {"session": {
        "api_key": client.cookies["sessionid"].value}}}})
    loaded = schemathesis.openapi.from_dict(served.json(), config=config)
    from console.wsgi import application

    loaded.app = application
    return loaded


def _pinned(operation: Any, mode: schemathesis.GenerationMode, path: str, method: str,
            ids: dict[str, Any]) -> dict[str, Any] | None:
    """The path parameters a case keeps fixed to alice's ids (None: generated)."""
    names = [parameter.name for parameter in operation.path_parameters]
    spoilable = bool(operation.query) or operation.body
    if not names or (mode == schemathesis.GenerationMode.NEGATIVE and not spoilable):
        return None
    pinned = {name: ids[name] for name in names}
    if (path, method) == ("/api/topologies/{topology_id}/", "delete"):
        pinned["topology_id"] = ids["doomed"]
    return pinned


def _query(path: str, mode: schemathesis.GenerationMode, ids: dict[str, Any]) -> dict[str, Any] | None:
    if path == "/api/workload-presets/" and mode == schemathesis.GenerationMode.POSITIVE:
        return {"topology": ids["topology_id"]}
    return None


def fuzz(strategy: Any, checks: list[Any]) -> None:
    """Send ``EXAMPLES`` cases drawn from ``strategy`` (the same ones every run) and check each answer."""

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    def exchange(case: Any) -> None:
        case.call_and_validate(checks=checks, cookies={"csrftoken": CSRF_TOKEN}, headers={"X-CSRFToken": CSRF_TOKEN})

    with connection_kept_open():
        exchange()


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=str)
def test_every_operation_answers_as_its_openapi_document_says(schema: Any, alices: dict[str, Any],
                                                              mode: schemathesis.GenerationMode,
                                                              subtests: Any) -> None:
    for path, method in OPERATIONS:
        operation = schema[path][method.upper()]
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=_pinned(operation, mode, path, method,
                                         alices), query=_query(path, mode, alices))
        with subtests.test(msg=f"{method.upper()} {path}"):
            fuzz(strategy, CHECKS_WITHOUT_ACCEPTANCE if path.endswith("/runs/") else CHECKS)
