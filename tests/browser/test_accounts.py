"""Accounts in a real browser: sign up, log in, log out, and what an anonymous visitor sees."""

from __future__ import annotations

from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from tests.browser.helpers import PASSWORD, log_in, sign_up


def test_a_new_visitor_signs_up_and_lands_on_an_empty_list(page: Page, live_server: object) -> None:
    sign_up(page, str(live_server), "dora")

    expect(page.get_by_role("heading", name="Your topologies")).to_be_visible()
    expect(page.locator(".account .user")).to_have_text("dora")
    expect(page.get_by_text("No topologies yet")).to_be_visible()
    assert User.objects.filter(username="dora").exists()


def test_sign_up_with_mismatched_passwords_says_so(page: Page, live_server: object) -> None:
    page.goto(f"{live_server}/accounts/signup/")
    page.get_by_label("Username").fill("dora")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD + "x")
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_role("alert")).to_contain_text("match")
    assert not User.objects.filter(username="dora").exists()


def test_log_in_then_log_out(page: Page, live_server: object, user: User) -> None:
    log_in(page, str(live_server), user.username, PASSWORD)
    expect(page.locator(".account .user")).to_have_text(user.username)

    page.get_by_role("button", name="Log out").click()

    expect(page).to_have_url(f"{live_server}/accounts/login/")
    expect(page.locator(".account")).to_have_count(0)
    page.goto(f"{live_server}/")
    expect(page).to_have_url(f"{live_server}/accounts/login/?next=/")


def test_a_wrong_password_is_refused(page: Page, live_server: object, user: User) -> None:
    page.goto(f"{live_server}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_contain_text("enter a correct username and password")


def test_an_anonymous_visitor_is_sent_to_the_login_page_and_back(page: Page, live_server: object,
                                                                  user: User) -> None:
    page.goto(f"{live_server}/topologies/1/")
    expect(page).to_have_url(f"{live_server}/accounts/login/?next=/topologies/1/")
    expect(page.locator(".account")).to_have_count(0)

    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # Topology 1 does not exist (or is not theirs): the redirect still goes there, and 404s.
    expect(page).to_have_url(f"{live_server}/topologies/1/")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()


def test_the_signed_in_page_fixture_opens_the_list(signed_in_page: Page) -> None:
    expect(signed_in_page.get_by_role("heading", name="Your topologies")).to_be_visible()
    expect(signed_in_page.get_by_role("heading", name="New from a template")).to_be_visible()
