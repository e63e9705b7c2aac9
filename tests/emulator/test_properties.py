"""Property-based tests of validation as a whole: every document is either refused with located
problems, or runs to its end without an exception.

Documents come from the catalog's JSON Schema (tests/emulator/documents.py: components of every kind,
connections of every role between the pairs it allows, a small workload) and from mutations of every
example's topology and workload. A valid topology may multiply its messages without end (a
function invoking itself twice, RecursiveLoop Allow): such a run is cut short past MAX_EVENTS, as a
live run is cancelled, and finished there (counted as "cut short").

The budget is a hypothesis settings profile of these tests only (other hypothesis tests keep
theirs): ``wiretap-properties`` in ``make test`` (150 documents a test, derandomized, so every run
tries the same documents), or with ``WIRETAP_PROPERTY_PROFILE=large`` ``wiretap-properties-large``
for a long hunt (``WIRETAP_PROPERTY_EXAMPLES`` documents a test, default 10,000, random). The
terminal summary says how many documents were tried (tests/conftest.py).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings

from emulator.catalog import KINDS, describe
from emulator.findings import validate
from emulator.problems import Problem
from emulator.simulation import Simulation
from emulator.topology import check_topology, load_topology
from emulator.tracing import NullTracer
from emulator.workload import check_workload, load_workload
from tests.emulator.documents import Document, bounded, generated_topology, mutated_example, small_workload

_COMMON = {"deadline": None, "database": None, "print_blob": True,
           # One counter for all the examples of a test is what documents_tried wants.
           "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                                     HealthCheck.function_scoped_fixture]}
settings.register_profile("wiretap-properties", max_examples=150, derandomize=True, **_COMMON)
settings.register_profile("wiretap-properties-large",
                          max_examples=int(os.environ.get("WIRETAP_PROPERTY_EXAMPLES", "10000")), **_COMMON)
BUDGET = settings(settings.get_profile("wiretap-properties-large" if os.environ.get("WIRETAP_PROPERTY_PROFILE") ==
                                       "large" else "wiretap-properties"))

# A run that has not ended after this many wall-clock seconds is a hang (a loop at one instant).
RUN_LIMIT_S = 20
# A valid topology may multiply its messages (a function that invokes itself twice with RecursiveLoop
# Allow): past this many events a run is cut short as a cancelled live run is, and finished there,
# once virtual time has been seen to move on.
MAX_EVENTS = 200_000
SLICES = 1000


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def resolves(document: Any, pointer: str) -> bool:
    """Does ``pointer`` name a part of ``document``, or a missing key of an object in it (where a
    required key would be)?"""
    node = document
    parts = [_unescape(part) for part in pointer.split("/")[1:]]
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if isinstance(node, dict):
            if part not in node:
                return last
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def assert_located(problems: list[Problem], document: Any) -> None:
    """Every problem names where it is; only a document that is not an object is refused as a whole."""
    for problem in problems:
        assert problem.message, problem
        if problem.pointer == "":
            assert not isinstance(document, dict), f"a whole-document problem on an object: {problem}"
        else:
            assert resolves(document, problem.pointer), f"{problem} does not resolve in the document"


class RunDidNotEnd(Exception):
    pass


class CutShort(Exception):
    pass


def run_bounded(simulation: Simulation) -> str:
    """Run to the end ("ran"), or stop past MAX_EVENTS ("cut short") and finish the run there."""
    kernel = simulation.kernel

    def progress(now: float, deadline: float) -> None:
        if kernel.events_processed > MAX_EVENTS:
            raise CutShort

    with time_limit(RUN_LIMIT_S):
        try:
            simulation.run(progress, slices=SLICES)
        except CutShort:
            assert kernel.now > 0, f"{kernel.events_processed} events without virtual time moving on"
            simulation.finish()
            return "cut short"
    return "ran"


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def stop(signum: int, frame: FrameType | None) -> None:
        raise RunDidNotEnd(f"the run had not ended after {seconds} s of wall-clock time")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def documents_tried(request: pytest.FixtureRequest) -> Iterator[Callable[[str], None]]:
    """Count each document the test tried by outcome; the count goes to the terminal summary."""
    counts: dict[str, int] = {}

    def tried(outcome: str) -> None:
        counts[outcome] = counts.get(outcome, 0) + 1

    yield tried
    request.node.user_properties.append(("documents_tried", counts))


def check_or_run(topology: Document, workload: Document, shrink: Callable[[Document], Document] = bounded) -> str:
    """Refused with located problems (by validate and the loader alike), or run to its end."""
    errors = [problem for problem in validate(topology) if problem.severity == "error"]
    assert [str(p) for p in errors] == [str(p) for p in check_topology(topology)]
    if errors:
        assert_located(errors, topology)
        return "refused"
    loaded = load_topology(topology)
    problems = check_workload(workload, loaded)
    if problems:
        assert_located(problems, workload)
        return "refused"
    return run_bounded(Simulation(loaded, load_workload(shrink(workload), loaded), tracer=NullTracer()))


def assert_the_schema_agrees(topology: Document) -> None:
    """Where a component's values break its kind's JSON Schema, the loader refuses them there too."""
    kinds = {kind["name"]: kind for kind in describe()["kinds"]}
    pointers = [problem.pointer for problem in check_topology(topology)]
    components = topology.get("components")
    for index, component in enumerate(components if isinstance(components, list) else []):
        if not isinstance(component, dict) or not isinstance(component.get("kind"), str) \
                or component["kind"] not in KINDS:
            continue
        for section in ("properties", "behavior"):
            values = component.get(section, {})
            if not isinstance(values, dict):
                continue
            # (A null is "not set" for a field without a default; the schema does not say so.)
            values = {k: v for k, v in values.items() if v is not None}
            for error in jsonschema.Draft202012Validator(kinds[component["kind"]][section]).iter_errors(values):
                where = f"/components/{index}/{section}"
                if error.absolute_path:
                    where += "/" + str(error.absolute_path[0]).replace("~", "~0").replace("/", "~1")
                assert any(p == where or p.startswith(where + "/") for p in pointers), \
                    f"the schema refuses {where} ({error.message}) and the loader does not"


@BUDGET
@given(generated_topology().flatmap(lambda topology: small_workload(topology).map(lambda w: (topology, w))))
def test_documents_generated_from_the_catalog_schema_are_refused_with_located_problems_or_run_to_the_end(
        documents_tried: Callable[[str], None], case: tuple[Document, Document]) -> None:
    topology, workload = case
    documents_tried(check_or_run(topology, workload))


@BUDGET
@given(mutated_example())
def test_mutations_of_every_example_are_refused_with_located_problems_or_run_to_the_end(
        documents_tried: Callable[[str], None], case: tuple[str, Document, Document]) -> None:
    _, topology, workload = case
    assert_the_schema_agrees(topology)
    documents_tried(check_or_run(topology, workload))


@pytest.mark.parametrize("pointer, found", [
    ("/components/0/properties/Timeout", True), ("/components/0/properties/Missing", True),
    ("/components/0/properties/Missing/deeper", False), ("/components/9", False), ("/name/x", False)])
def test_a_pointer_resolves_to_a_part_or_to_a_missing_key_of_an_object(pointer: str, found: bool) -> None:
    document = {"name": "n", "components": [{"id": "A", "kind": "lambda", "properties": {"Timeout": 3}}]}
    assert resolves(document, pointer) is found
