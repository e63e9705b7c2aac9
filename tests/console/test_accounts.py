"""Sign up, log in, log out (console/views.py and Django's auth views), without a browser."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_login_and_signup_pages_are_open_to_anonymous_visitors(client: Client) -> None:
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/accounts/signup/").status_code == 200


def test_signing_up_creates_the_account_and_signs_in(client: Client) -> None:
    response = client.post("/accounts/signup/", {"username": "dora", "password1": PASSWORD, "password2": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert User.objects.filter(username="dora").exists()
    assert client.get("/").status_code == 200


def test_signing_up_with_a_taken_name_is_refused(client: Client, alice: Any) -> None:
    response = client.post("/accounts/signup/", {"username": "alice", "password1": PASSWORD, "password2": PASSWORD})

    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_a_signed_in_user_visiting_signup_goes_home(client: Client, alice: Any) -> None:
    client.force_login(alice)

    assert client.get("/accounts/signup/")["Location"] == "/"


def test_logging_in_goes_to_next(client: Client, alice: Any) -> None:
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD, "next": "/topologies/1/"})

    assert response.status_code == 302
    assert response["Location"] == "/topologies/1/"


def test_logging_out_takes_a_post_only(client: Client, alice: Any) -> None:
    client.force_login(alice)

    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")

    assert response["Location"] == "/accounts/login/"
    assert client.get("/")["Location"] == "/accounts/login/?next=/"


def test_logging_in_needs_the_csrf_token(alice: Any) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_the_csrf_cookie_is_readable_by_scripts(client: Client) -> None:
    client.get("/accounts/login/")

    assert not client.cookies["csrftoken"]["httponly"]
