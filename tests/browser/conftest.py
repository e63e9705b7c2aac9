"""Browser tests: Playwright driving Debian's chromium against a live console.

Fixtures (each xdist worker has its own live server, database and browser):

- ``live_server`` (pytest-django): the console, static files included, at ``live_server.url``
  (WSGI in a thread: pages and the JSON API, no WebSocket, no worker).
- ``live_console``: the console as `make run` serves it, ``daphne console.asgi:application`` in a
  subprocess with its embedded Celery worker, on this session's test database (tests/live.py):
  runs really run and the page's WebSocket streams them. One per xdist worker.
- ``browser``: one headless chromium per worker, launched from /usr/bin/chromium (never a
  downloaded build; CI installs Debian's package).
- ``page``: a fresh browser context and page per test. When the test fails, a screenshot and the
  page's console messages are saved in ``test-artifacts/``. The Content-Security-Policy is
  bypassed unless the test is marked ``enforce_csp`` (tests/browser/test_content_security_policy.py).
- ``console_messages``: what the page printed to its console ("error: ..." lines included).
- ``user``: a new account (``user.username``, password ``PASSWORD``) in the live server's database.
- ``signed_in_page``: ``page`` signed in as ``user`` (through the login form), on the list page.
- ``console_page``: ``page`` with alice's session cookie for ``live_console`` (the subprocess
  does not know the tests' fast password hasher, so the session is made here, not by a login).

Helpers for the tests, in tests/browser/helpers.py: ``sign_up(page, base_url, username)``,
``log_in(page, base_url, username, password)``, ``PASSWORD``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User

# Playwright's sync API runs an event loop in the test's thread; the ORM calls the tests make
# (creating users) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from tests.browser.helpers import PASSWORD, log_in
from tests.conftest import ARTIFACTS, failed
from tests.live import Daphne, database_url

CHROMIUM = Path(os.environ.get("WIRETAP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 720}
# Milliseconds Playwright waits for an element or a navigation before failing the test.
TIMEOUT_MS = 10_000



def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test in this folder carries the browser marker (`pytest -m "not browser"` skips them).
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does) "
                    "or set WIRETAP_CHROMIUM to a Chromium binary", pytrace=False)
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    yield launched
    launched.close()


@pytest.fixture
def console_messages() -> list[str]:
    return []


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest, console_messages: list[str]) -> Iterator[Page]:
    # Playwright evaluates a string predicate (wait_for_function("window.x")) with eval, which the
    # console's Content-Security-Policy forbids: tests marked enforce_csp keep the policy (and use
    # function predicates, "() => window.x"); the others test behaviour and let Playwright bypass it.
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=request.node.get_closest_marker("enforce_csp") is None)
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()

    def record(message: ConsoleMessage) -> None:
        console_messages.append(f"{message.type}: {message.text}")

    opened.on("console", record)
    opened.on("pageerror", lambda error: console_messages.append(f"pageerror: {error}"))
    yield opened
    if failed(request.node):
        _save_artifacts(request.node, opened, console_messages)
    context.close()


def _save_artifacts(item: pytest.Item, page: Page, console_messages: list[str]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    except Exception as error:  # a crashed page must not hide the test's own failure
        console_messages.append(f"screenshot failed: {error}")
    (ARTIFACTS / f"{name}.log").write_text(f"url: {page.url}\n" + "\n".join(console_messages) + "\n",
                                            encoding="utf-8")


@pytest.fixture
def user(transactional_db: None) -> User:
    return User.objects.create_user(username="alice", password=PASSWORD)


@pytest.fixture
def signed_in_page(page: Page, live_server: object, user: User) -> Page:
    log_in(page, str(live_server), user.username, PASSWORD)
    return page


@pytest.fixture(scope="session")
def live_console(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daphne]:
    from django.conf import settings

    env = {"DATABASE_URL": database_url(settings.DATABASES["default"]), "REDIS_URL": "",
           "CELERY_WORKER_EMBEDDED": "true", "DEBUG": "true", "LOG_LEVEL": "WARNING"}
    server = Daphne(env, tmp_path_factory.mktemp("live-console"))
    yield server
    server.stop()


@pytest.fixture
def console_page(page: Page, live_console: Daphne, user: User) -> Iterator[Page]:
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_console.url}])
    yield page
    _stop_runs(live_console)


def _stop_runs(server: Daphne) -> None:
    """Cancel what a test left running and wait for its worker to stop, before the tables are
    emptied under it (the worker would write into the next test's database)."""
    from tests.live import wait_until
    from tracer.models import Run

    live = Run.objects.filter(status__in=[Run.Status.QUEUED, Run.Status.RUNNING])
    live.update(cancel_requested=True)
    live.filter(status=Run.Status.QUEUED).update(status=Run.Status.CANCELLED)
    wait_until(lambda: not live.exists(), 30, f"the runs of the test stopped (log: {server.log_path})")
