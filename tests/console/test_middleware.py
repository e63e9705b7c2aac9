"""Under /api/, every answer is JSON with DEBUG on or off: 404, 405, 500, CSRF failures, refused hosts."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client, override_settings

from designer import services

pytestmark = [pytest.mark.django_db, pytest.mark.parametrize("debug", [True, False], ids=["DEBUG", "no DEBUG"])]


@pytest.fixture
def as_alice(alice: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    return client


def answer(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body: dict[str, Any] = json.loads(response.content)
    assert body["error"] == error and body["message"]
    return body


def test_a_url_nothing_matches_answers_404_in_json_without_listing_the_urls(as_alice: Client, debug: bool) -> None:
    with override_settings(DEBUG=debug):
        for url in ["/api/nothing-here/", "/api/topologies/not-a-number/", "/api/runs/1/traces/x/y/"]:
            body = answer(as_alice.get(url), 404, "not_found")
            assert body["message"] == f"nothing at {url}"


def test_a_method_the_url_does_not_take_answers_405_in_json(as_alice: Client, debug: bool) -> None:
    with override_settings(DEBUG=debug):
        response = as_alice.patch("/api/topologies/")

    answer(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, POST"


def test_an_unexpected_exception_is_logged_and_answered_500_in_json(
        as_alice: Client, debug: bool, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken(user: Any) -> Any:
        raise RuntimeError("the database vanished")

    monkeypatch.setattr(services, "topologies_of", broken)
    with override_settings(DEBUG=debug), caplog.at_level(logging.ERROR, logger="django.request"):
        response = as_alice.get("/api/topologies/")

    body = answer(response, 500, "server_error")
    assert "vanished" not in body["message"] and "Traceback" not in response.content.decode()
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is not None and str(record.exc_info[1]) == "the database vanished"


def test_a_write_without_the_csrf_token_answers_403_in_json(alice: Any, debug: bool) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    with override_settings(DEBUG=debug):
        response = client.post("/api/topologies/", "{}", content_type="application/json")

    answer(response, 403, "csrf")


def test_a_host_outside_allowed_hosts_answers_400_in_json(as_alice: Client, debug: bool) -> None:
    with override_settings(DEBUG=debug):
        response = as_alice.get("/api/topologies/", headers={"host": "evil.example"})

    answer(response, 400, "bad_request")


def test_pages_outside_the_api_keep_answering_html(as_alice: Client, debug: bool) -> None:
    with override_settings(DEBUG=debug):
        response = as_alice.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
