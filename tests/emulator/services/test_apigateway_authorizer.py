"""API Gateway's Lambda authorizer: identity sources, the policy cache and its TTL, allow, deny, failures.

The rules are the apigateway package docstring's (emulator/services/apigateway/__init__.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from emulator.topology import check_topology
from tests.emulator.scenario import Run, balanced, run, seconds, topology


def gatekeeper(ttl: int | None = None, *, deny_when: dict[str, Any] | None = None,
               identity_source: str | None = None, authorizer: dict[str, Any] | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    if ttl is not None:
        properties["AuthorizerResultTtlInSeconds"] = ttl
    if deny_when is not None:
        properties["deny_when"] = deny_when
    if identity_source is not None:
        properties["IdentitySource"] = identity_source
    return topology(
        [{"id": "Api", "kind": "apigateway", "behavior": {"overhead_ms": 2}},
         {"id": "Authz", "kind": "lambda", "behavior": {"duration_ms": 30, "cold_start_ms": 0, **(authorizer or {})}},
         {"id": "Backend", "kind": "lambda", "behavior": {"duration_ms": 50, "cold_start_ms": 0}}],
        [{"source": "Api", "target": "Authz", "role": "authorizer", "properties": properties},
         {"source": "Api", "target": "Backend", "role": "request"}],
    )


def requests(count: int, per_second: float = 1, token: Any = "token-alice", **extra: Any) -> list[dict[str, Any]]:
    attributes = {"Authorization": token} if token is not None else {}
    return [{"target": "Api", "rate": {"per_second": per_second}, "count": count, "payload": {"n": "$seq"},
             "attributes": attributes, **extra}]


def api_segments(result: Run) -> list[Any]:
    return sorted(result.named("Api"), key=lambda s: s.start_time)


def test_the_authorizer_runs_once_per_identity_within_the_default_300_second_ttl() -> None:
    result = run(gatekeeper(), requests(10, per_second=1))
    assert result.component("Authz")["Invocations"] == 1
    assert result.component("Api")["AuthorizerInvocations"] == 1
    assert result.component("Api")["AuthorizerCacheHits"] == 9
    assert result.component("Backend")["Invocations"] == 10
    assert [s.annotations["authorizer"] for s in api_segments(result)] == ["invoked"] + ["cached"] * 9


def test_the_policy_is_asked_again_once_the_ttl_has_passed() -> None:
    # One request every 20 s with a 60 s TTL counted from the policy's return (30 ms after the ask): the
    # request at 60 s still finds it cached, the one at 80 s asks again, and so on.
    result = run(gatekeeper(60), requests(10, per_second=0.05), duration_s=200)
    invoked = [seconds(s.start_time) for s in api_segments(result) if s.annotations["authorizer"] == "invoked"]
    assert invoked == pytest.approx([0, 80, 160], abs=0.01)


def test_a_ttl_of_zero_disables_the_cache_so_every_request_runs_the_authorizer() -> None:
    result = run(gatekeeper(0), requests(5, per_second=1))
    assert result.component("Authz")["Invocations"] == 5
    assert result.component("Api")["AuthorizerCacheHits"] == 0


def test_each_identity_has_its_own_cached_policy() -> None:
    result = run(gatekeeper(), requests(12, per_second=2, token={"$choice": ["a", "b", "c"]}))
    identities = {s.metadata["message"]["attributes"]["Authorization"]  # type: ignore[index]
                  for s in result.named("Api")}
    assert result.component("Authz")["Invocations"] == len(identities) == 3


def test_a_denied_request_is_answered_403_and_never_reaches_the_backend() -> None:
    result = run(gatekeeper(deny_when={"identity": ["token-mallory"]}),
                 requests(6, per_second=1, token={"$choice": ["token-alice", "token-mallory"]}))
    denied = [s for s in result.named("Api") if s.http["response"]["status"] == 403]  # type: ignore[index]
    allowed = [s for s in result.named("Api") if s.http["response"]["status"] == 200]  # type: ignore[index]
    assert denied and allowed
    assert all(s.cause["exceptions"][0]["type"] == "AccessDeniedException" for s in denied)  # type: ignore[index]
    assert all(not any(sub.name == "Backend" for sub in s.subsegments or []) for s in denied)
    assert result.component("Backend")["Invocations"] == len(allowed)
    assert result.component("Api")["AuthorizerDenied"] == len(denied)
    assert result.component("Api")["4XXError"] == len(denied)
    assert result.summary["messages"]["rejected"] == len(denied) and balanced(result.summary)


def test_a_request_without_the_identity_source_gets_401_without_calling_the_authorizer() -> None:
    result = run(gatekeeper(), requests(3, token=None))
    assert result.component("Authz")["Invocations"] == 0
    assert {s.http["response"]["status"] for s in result.named("Api")} == {401}  # type: ignore[index]
    assert result.component("Api")["AuthorizerUnauthorized"] == 3


def test_the_identity_may_come_from_a_query_string_parameter() -> None:
    sources = [{"target": "Api", "rate": {"per_second": 1}, "count": 2, "payload": {"token": "t-1"}}]
    result = run(gatekeeper(identity_source="method.request.querystring.token"), sources)
    assert result.component("Authz")["Invocations"] == 1 and result.component("Backend")["Invocations"] == 2


def test_the_authorizer_is_invoked_with_the_token_and_its_call_is_a_subsegment_before_the_integration() -> None:
    result = run(gatekeeper(), requests(1))
    (api,) = result.named("Api")
    authz_call, backend_call = api.subsegments or []
    assert (authz_call.name, backend_call.name) == ("Authz", "Backend")
    assert authz_call.end_time <= backend_call.start_time  # type: ignore[operator]
    (authz,) = result.named("Authz")
    assert authz.parent_id == authz_call.id
    assert authz.metadata["message"]["payload"]["authorizationToken"] == "token-alice"  # type: ignore[index]
    assert authz.metadata["message"]["payload"]["type"] == "TOKEN"  # type: ignore[index]


def test_a_failing_authorizer_answers_500_and_caches_nothing() -> None:
    result = run(gatekeeper(authorizer={"error_rate": 1.0}), requests(3))
    assert {s.http["response"]["status"] for s in result.named("Api")} == {500}  # type: ignore[index]
    assert result.component("Authz")["Invocations"] == 3
    assert result.component("Backend")["Invocations"] == 0
    assert result.component("Api")["AuthorizerErrors"] == 3


def test_an_api_without_an_authorizer_reports_no_authorizer_metrics() -> None:
    document = gatekeeper()
    document["connections"] = document["connections"][1:]
    result = run(document, requests(1))
    assert "AuthorizerInvocations" not in result.component("Api")
    assert "authorizer" not in result.named("Api")[0].annotations


@pytest.mark.parametrize(("properties", "field"), [
    ({"AuthorizerResultTtlInSeconds": 3601}, "AuthorizerResultTtlInSeconds"),
    ({"AuthorizerResultTtlInSeconds": -1}, "AuthorizerResultTtlInSeconds"),
    ({"IdentitySource": "Authorization"}, "IdentitySource"),
    ({"deny_when": {"identity": "x"}}, "deny_when"),
])
def test_an_invalid_authorizer_property_is_a_problem_at_its_pointer(properties: dict[str, Any], field: str) -> None:
    document = gatekeeper()
    document["connections"][0]["properties"] = properties
    (problem,) = check_topology(document)
    assert problem.pointer == f"/connections/0/properties/{field}"


def test_a_second_authorizer_on_one_api_is_a_problem() -> None:
    document = gatekeeper()
    document["components"].append({"id": "Other", "kind": "lambda"})
    document["connections"].append({"source": "Api", "target": "Other", "role": "authorizer"})
    (problem,) = check_topology(document)
    assert problem.pointer == "/connections/2/role" and "one authorizer" in problem.message
