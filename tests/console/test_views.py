"""console/views.py's error pages outside /api/: HTML the Content-Security-Policy lets through."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client, override_settings

from designer import services

pytestmark = pytest.mark.django_db


def test_the_server_error_page_has_nothing_inline_for_the_policy_to_block(
        alice: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(user: Any) -> Any:
        raise RuntimeError("the database vanished")

    monkeypatch.setattr(services, "topologies_of", broken)
    client = Client(raise_request_exception=False)
    client.force_login(alice)

    with override_settings(DEBUG=False):
        response = client.get("/")

    assert response.status_code == 500 and response["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert "Something went wrong" in html
    assert not re.search(r"<style|style=|<script|\son\w+=", html)
