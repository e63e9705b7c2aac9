"""The Content-Security-Policy (console/settings.py's SECURE_CSP: this site only, nothing inline)
is sent with every page, and every page still works under it: opened in chromium, none reports a
policy violation or a console error.

Predicates are functions ("() => ..."): Playwright evaluates a string one with eval, which the
policy forbids. The pages are served by ``live_console`` (Daphne as `make run` serves it, with its worker), so the
run page streams a real run over its WebSocket under the policy too.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page

from designer import services as designer
from designer.models import Topology
from tests.browser.conftest import TIMEOUT_MS, VIEWPORT
from tests.live import Daphne

# Recorded from the first script on, before the page's own: the event is the browser's word that
# the policy blocked something (its console message may be worded differently).
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ` +
                            `${event.sourceFile}:${event.lineNumber}`);
});
"""
RUN_TIMEOUT_MS = 60_000

pytestmark = pytest.mark.enforce_csp


@pytest.fixture
def topology(user: User) -> Topology:
    created: Topology = designer.create_topology(user, template_id="sqs-lambda-dlq").topology
    return created


def watch(page: Page) -> None:
    page.add_init_script(RECORD_VIOLATIONS)


def open_page(page: Page, url: str, ready: str | None = None) -> Any:
    response = page.goto(url)
    assert response is not None and response.ok, url
    page.wait_for_load_state("networkidle")
    if ready:
        page.wait_for_function(ready)
    return response


def assert_clean(page: Page, console_messages: list[str], url: str) -> None:
    assert page.evaluate("window.cspViolations") == [], url
    assert [line for line in console_messages if line.startswith(("error", "pageerror"))] == [], url


def test_the_policy_is_self_only_and_sent_with_pages_and_the_api(page: Page, live_console: Daphne) -> None:
    for url in ["/accounts/login/", "/api/catalog/"]:
        response = page.request.get(f"{live_console.url}{url}")
        policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
        assert policy["default-src"] == policy["script-src"] == policy["style-src"] == "'self'", url
        assert policy["connect-src"] == "'self'" and policy["img-src"] == "'self' data:", url
        assert policy["object-src"] == policy["frame-ancestors"] == "'none'", url


def test_the_account_pages_work_under_the_policy(browser: Browser, live_console: Daphne) -> None:
    context = browser.new_context(viewport=VIEWPORT)  # the policy kept, as enforce_csp's pages keep it
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    watch(page)
    try:
        for url in ["/accounts/login/", "/accounts/signup/"]:
            open_page(page, f"{live_console.url}{url}")
            assert_clean(page, messages, url)
    finally:
        context.close()


def test_every_signed_in_page_works_under_the_policy(console_page: Page, live_console: Daphne, topology: Topology,
                                                     console_messages: list[str]) -> None:
    page = console_page
    watch(page)
    base = live_console.url
    pages = [
        ("/", None),
        (f"/topologies/{topology.pk}/", "() => window.wiretapDesigner?.saveState === 'saved'"),
        (f"/topologies/{topology.pk}/history/", None),
        (f"/topologies/{topology.pk}/run/", None),
    ]
    for url, ready in pages:
        open_page(page, f"{base}{url}", ready)
        assert_clean(page, console_messages, url)

    workload = {"format": "wiretap.workload/1", "seed": 3, "duration_s": 2, "drain_s": 400,
                "sources": [{"target": "Orders", "rate": {"per_second": 5}, "poison_rate": 0.2}]}
    page.get_by_label("Workload document").fill(json.dumps(workload))
    page.get_by_label("Speed").select_option("max")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    page.wait_for_function("() => window.wiretapRun.status === 'finished'", timeout=RUN_TIMEOUT_MS)
    assert_clean(page, console_messages, "the run page, live")

    finished = page.url.removeprefix(base)
    open_page(page, page.url, "() => window.wiretapRun.status === 'finished' && window.wiretapRun.traces > 0")
    page.get_by_role("tab", name="Service map").click()
    page.get_by_role("tab", name="Metrics").click()
    page.get_by_role("tab", name="Summary").click()
    page.get_by_role("tab", name="Traces").click()
    page.locator(".trace-row").first.click()
    page.wait_for_load_state("networkidle")
    assert_clean(page, console_messages, f"{finished}, finished")
