"""A run's limits (tracer/limits.py): what is refused at start, naming the field, the limit and its setting."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from designer.models import Topology
from designer.services import InvalidInput
from tests.tracer.conftest import workload
from tracer import services
from tracer.models import Run

pytestmark = pytest.mark.django_db


def refusal(alice: Any, topology: Topology, body: dict[str, Any]) -> dict[str, str]:
    """The problems of starting ``body``: their messages by pointer, one line each."""
    with pytest.raises(InvalidInput) as refused:
        services.start_run(alice, topology, body)
    assert not Run.objects.exists()
    problems: dict[str, str] = {}
    for problem in refused.value.problems:
        problems[problem.pointer] = "\n".join(filter(None, [problems.get(problem.pointer), problem.message]))
    return problems


def test_a_billion_messages_a_second_is_refused_at_the_rate_field_by_the_documents_own_range(
        alice: Any, topology: Topology) -> None:
    problems = refusal(alice, topology, workload(per_second=1_000_000_000))

    assert list(problems) == ["/workload/sources/0/rate/per_second"]
    assert "at most 1000000 messages/s, got 1000000000" in problems["/workload/sources/0/rate/per_second"]


def test_a_million_messages_a_second_is_refused_at_the_rate_field_for_its_rate_and_its_messages(
        alice: Any, topology: Topology) -> None:
    problems = refusal(alice, topology, workload(per_second=1_000_000))

    assert list(problems) == ["/workload/sources/0/rate/per_second"]
    rate, messages = problems["/workload/sources/0/rate/per_second"].split("\n")
    assert "1,000,000 messages a second" in rate and "at most 5,000 a second (WIRETAP_MAX_RATE" in rate
    assert "about 3,000,000 messages" in messages and "at most 50,000 (WIRETAP_MAX_MESSAGES" in messages


def test_too_many_messages_point_at_the_field_behind_most_of_them(alice: Any, topology: Topology,
                                                                   settings: Any) -> None:
    settings.WIRETAP_MAX_MESSAGES = 1_000
    body = workload(per_second=10, duration_s=300, ramp=[{"at_s": 100, "per_second": 5}])

    problems = refusal(alice, topology, body)

    assert list(problems) == ["/workload/sources/0/rate/per_second"]
    assert "about 2,000 messages" in problems["/workload/sources/0/rate/per_second"]
    assert "at most 1,000 (WIRETAP_MAX_MESSAGES" in problems["/workload/sources/0/rate/per_second"]


def test_a_count_keeps_a_fast_source_under_the_message_limit_but_not_under_the_rate_limit(
        alice: Any, topology: Topology) -> None:
    problems = refusal(alice, topology, workload(per_second=1_000_000, count=10))

    assert list(problems) == ["/workload/sources/0/rate/per_second"] and "WIRETAP_MAX_RATE" in str(problems)


def test_a_ramp_step_past_the_rate_limit_is_the_field_named(alice: Any, topology: Topology) -> None:
    body = workload(per_second=10, ramp=[{"at_s": 1, "per_second": 20}, {"at_s": 2, "per_second": 9_000}])

    assert list(refusal(alice, topology, body)) == ["/workload/sources/0/ramp/1/per_second"]


def test_sources_that_together_pass_the_rate_limit_say_so(alice: Any, topology: Topology) -> None:
    body = workload(per_second=3_000, count=100)
    body["sources"].append({**body["sources"][0], "rate": {"per_second": 2_500}})

    problems = refusal(alice, topology, body)

    assert "5,500 messages a second (every source together" in problems["/workload/sources/0/rate/per_second"]


@pytest.mark.parametrize("duration_s, drain_s, pointer", [
    (600_000, 30, "/workload/duration_s"),
    (60, 100_000, "/workload/drain_s"),
])
def test_a_run_longer_than_the_virtual_time_limit_is_refused_at_the_field_that_makes_it_so(
        alice: Any, topology: Topology, duration_s: float, drain_s: float, pointer: str) -> None:
    problems = refusal(alice, topology, {**workload(per_second=0.000001, duration_s=duration_s), "drain_s": drain_s})

    assert list(problems) == [pointer] and "at most 21,600 (WIRETAP_MAX_VIRTUAL_S" in problems[pointer]


def test_the_limits_are_settings(alice: Any, topology: Topology, settings: Any,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    settings.WIRETAP_MAX_RATE = 2_000_000

    assert services.start_run(alice, topology, workload(per_second=1_000_000, count=10)).status == "queued"


def test_the_api_answers_400_with_the_problem_at_the_workload_field(client: Client, alice: Any,
                                                                     topology: Topology) -> None:
    client.force_login(alice)
    response = client.post(f"/api/topologies/{topology.pk}/runs/",
                           json.dumps({"workload": workload(per_second=1_000_000)}),
                           content_type="application/json")

    assert response.status_code == 400
    assert response.json()["problems"][0]["pointer"] == "/workload/sources/0/rate/per_second"
    assert "WIRETAP_MAX_RATE" in response.json()["message"]


def test_every_example_workload_and_every_preset_fits_the_default_limits() -> None:
    from django.conf import settings as defaults

    from designer.catalog import templates
    from emulator.workload import load_workload
    from tracer import limits, presets

    assert defaults.WIRETAP_MAX_RATE == 5_000  # the defaults, not a test's settings
    checked = 0
    for template in templates():
        for body in [template.workload, *(preset["workload"] for preset in presets.presets(template.topology))]:
            if body:
                assert limits.start_problems(load_workload(body)) == [], (template.id, body.get("name"))
                checked += 1
    assert checked > 100


# The quota of runs --------------------------------------------------------------------------------

def test_starting_a_run_when_the_owners_runs_fill_their_quota_answers_403_and_starts_nothing(
        client: Client, alice: Any, topology: Topology, queued_run: Run, settings: Any) -> None:
    settings.WIRETAP_QUOTA_RUNS_MB = 1
    Run.objects.filter(pk=queued_run.pk).update(status="finished", stored_bytes=1_000_000)
    client.force_login(alice)

    response = client.post(f"/api/topologies/{topology.pk}/runs/", json.dumps({"workload": workload()}),
                           content_type="application/json")

    assert response.status_code == 403
    body = response.json()
    assert (body["error"], body["quota"], body["setting"], body["used_bytes"], body["limit_bytes"]) == (
        "quota_exceeded", "runs", "WIRETAP_QUOTA_RUNS_MB", 1_000_000, 1_000_000)
    assert "delete runs" in body["message"] and list(Run.objects.values_list("pk", flat=True)) == [queued_run.pk]


def test_deleting_a_run_that_is_over_makes_room_and_a_running_one_must_be_cancelled_first(
        client: Client, alice: Any, topology: Topology, queued_run: Run, settings: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings.WIRETAP_QUOTA_RUNS_MB = 1
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    client.force_login(alice)
    Run.objects.filter(pk=queued_run.pk).update(status="running", stored_bytes=1_000_000)

    assert client.delete(f"/api/runs/{queued_run.pk}/").status_code == 409
    Run.objects.filter(pk=queued_run.pk).update(status="cancelled")
    assert client.delete(f"/api/runs/{queued_run.pk}/").status_code == 204

    assert not Run.objects.filter(pk=queued_run.pk).exists()
    assert services.start_run(alice, topology, workload()).status == "queued"


def test_someone_elses_run_cannot_be_deleted(client: Client, charlie: Any, queued_run: Run) -> None:
    client.force_login(charlie)

    assert client.delete(f"/api/runs/{queued_run.pk}/").status_code == 404
    assert Run.objects.filter(pk=queued_run.pk).exists()


def test_a_message_too_large_is_refused_at_its_payload(alice: Any, topology: Topology) -> None:
    problems = refusal(alice, topology, workload(payload={"blob": "x" * 100_000}))

    assert list(problems) == ["/workload/sources/0/payload"]
    assert "100.0 KB" in problems["/workload/sources/0/payload"] and "WIRETAP_MAX_MESSAGE_KB" in str(problems)
