"""Every template, run on the live console, with every panel of its run page opened: no page error
and no console error anywhere (the pass that would have caught the service map's missing nodes).

Each template runs its own workload (the one its Run form offers first), shortened (arrivals
for at most ``ARRIVALS_S`` virtual seconds and ``MAX_MESSAGES`` messages) at max speed; every
wait is on the page's own state (``window.wiretapRun``) or on an element, never a sleep.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from designer import catalog
from designer import services as designer
from tests.live import Daphne
from tracer.models import Run

ARRIVALS_S = 15
MAX_MESSAGES = 600
# A whole template's run, replay included, on a loaded 2-core machine.
RUN_TIMEOUT_MS = 90_000
PANEL_TIMEOUT_MS = 20_000


def shortened(workload: dict[str, Any]) -> dict[str, Any]:
    """The template's workload with its arrivals cut to ARRIVALS_S seconds and MAX_MESSAGES messages."""
    short = json.loads(json.dumps(workload))
    rate = sum(float((source.get("rate") or {}).get("per_second", 0)) for source in short["sources"]
               if source.get("count") is None)
    duration = min(float(short.get("duration_s", 60)), ARRIVALS_S)
    if rate > 0:
        duration = min(duration, max(1.0, MAX_MESSAGES / rate))
    short["duration_s"] = duration
    return short


def errors_in(messages: list[str]) -> list[str]:
    return [message for message in messages if message.startswith(("error:", "pageerror:"))]


def run_the_templates_workload(page: Page, console: Daphne, topology_id: int, template: catalog.Template) -> None:
    """The Run form offers the template's workload first, chosen, its seed in the seed field and
    its lesson in view; it runs shortened, at max speed, to its end."""
    page.goto(f"{console.url}/topologies/{topology_id}/run/")
    first = page.locator("#preset-list .preset").first
    expect(first).to_contain_text(template.name)
    expect(first.locator("input")).to_be_checked()
    expect(page.get_by_role("textbox", name="Seed")).to_have_value(str(template.workload["seed"]))
    expect(page.get_by_role("complementary", name="What the run shows")).to_contain_text(template.lesson[:60])
    editor = page.get_by_label("Workload document")
    offered = json.loads(editor.input_value())
    assert offered["sources"] == template.workload["sources"]
    editor.fill(json.dumps(shortened(offered)))
    page.get_by_label("Speed").select_option("max")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    expect(page.locator("#run-seed")).to_have_text(str(template.workload["seed"]))
    expect(page.locator(".run-brief .lesson")).to_be_visible()
    page.wait_for_function("window.wiretapRun.shown", timeout=RUN_TIMEOUT_MS)


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=re.compile(f"^{name}")).click()
    expect(page.get_by_role("tab", name=re.compile(f"^{name}"))).to_have_attribute("aria-selected", "true")


def open_traces(page: Page) -> None:
    open_tab(page, "Traces")
    first = page.locator(".trace-row:not([hidden])").first
    expect(first).to_be_visible()
    first.click()
    expect(page.locator("#timeline .tl-row").first).to_be_visible(timeout=PANEL_TIMEOUT_MS)
    # A failed message's waterfall, when the run has one.
    counts = page.evaluate("window.wiretapRun.counts")
    failing = next((outcome for outcome in ("failed", "dead_lettered", "throttled", "lost", "rejected")
                    if counts.get(outcome)), None)
    if failing is not None:
        page.locator(f"#outcome-filters [data-outcome='{failing}']").click()
        row = page.locator(f".trace-row[data-outcome='{failing}']").first
        expect(row).to_be_visible()
        row.click()
        expect(page.locator("#timeline .tl-row").first).to_be_visible(timeout=PANEL_TIMEOUT_MS)
        page.locator(f"#outcome-filters [data-outcome='{failing}']").click()
    page.get_by_role("button", name="Close the timeline").click()


def open_service_map(page: Page) -> None:
    open_tab(page, "Service map")
    page.wait_for_function("window.wiretapRun.mapNodes.length > 0", timeout=PANEL_TIMEOUT_MS)


def open_charts(page: Page) -> None:
    open_tab(page, "Metrics")
    expect(page.locator("#charts figure.chart").first).to_be_visible(timeout=PANEL_TIMEOUT_MS)


def open_summary(page: Page) -> None:
    open_tab(page, "Summary")
    expect(page.locator("#summary .summary-block").first).to_be_visible(timeout=PANEL_TIMEOUT_MS)


def fetch_exports(page: Page) -> None:
    """Each export link answers 200 with the format it says (what a download would save)."""
    for link, check in (("#export-xray", "jsonl"), ("#export-otlp", "otlp"), ("#export-summary", "summary")):
        answer = page.evaluate("""async (selector) => {
            const response = await fetch(document.querySelector(selector).href);
            return {status: response.status, text: await response.text(),
                    disposition: response.headers.get('content-disposition')};
        }""", link)
        assert answer["status"] == 200, (link, answer["text"][:300])
        assert answer["disposition"] and "attachment" in answer["disposition"], link
        if check == "jsonl":
            assert all(json.loads(line)["trace_id"] for line in answer["text"].splitlines())
        elif check == "otlp":
            assert isinstance(json.loads(answer["text"])["resourceSpans"], list)
        else:
            assert json.loads(answer["text"])["format"] == "wiretap.summary/1"


def replay_at_max_speed(page: Page) -> None:
    page.get_by_role("button", name="Max").click()
    page.get_by_role("button", name="Replay").click()
    page.wait_for_url(re.compile(r"\?replay=max$"))
    page.wait_for_function("window.wiretapRun.shown", timeout=RUN_TIMEOUT_MS)
    expect(page.locator("#run-status")).to_have_text("finished")


def scrub_to_the_middle_and_back(page: Page) -> None:
    scrubber = page.get_by_label("Virtual time")
    expect(scrubber).to_be_enabled()
    end = page.evaluate("Number(document.getElementById('scrubber').max)")
    middle = f"{round(end / 2, 1):.1f}"
    scrubber.fill(middle)
    expect(page.locator("#scrub-time")).to_have_text(f"{middle} s")
    scrubber.fill(str(end))
    page.wait_for_function("document.getElementById('run-view').dataset.scrubbed === ''")


@pytest.mark.parametrize("template_id", [template.id for template in catalog.templates()])
def test_every_panel_of_a_templates_run_opens_without_an_error(
        template_id: str, console_page: Page, live_console: Daphne, user: User, console_messages: list[str]) -> None:
    page = console_page
    template = catalog.template(template_id)
    assert template is not None
    topology = designer.create_topology(user, template_id=template_id).topology
    run_the_templates_workload(page, live_console, topology.pk, template)
    expect(page.locator("#run-status")).to_have_text("finished")

    open_traces(page)
    open_service_map(page)
    open_charts(page)
    open_summary(page)
    fetch_exports(page)
    scrub_to_the_middle_and_back(page)
    replay_at_max_speed(page)
    open_service_map(page)
    open_summary(page)

    assert errors_in(console_messages) == []


def test_a_new_users_scalable_webhook_run_shows_orders_on_its_service_map(
        console_page: Page, live_console: Daphne, console_messages: list[str]) -> None:
    """From the list page's template card through the designer's Run button, as a new user goes:
    the database the writer calls (an RDS instance, reached only through subsegments) is a node."""
    page = console_page
    page.goto(f"{live_console.url}/")
    page.get_by_role("button", name="Start from Scalable Webhook", exact=True).click()
    page.get_by_role("link", name="Run").click()
    page.wait_for_url(re.compile(r"/run/$"))
    workload = shortened(json.loads(page.get_by_label("Workload document").input_value()))
    page.get_by_label("Workload document").fill(json.dumps(workload))
    page.get_by_label("Speed").select_option("max")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    page.wait_for_function("window.wiretapRun.shown", timeout=RUN_TIMEOUT_MS)

    open_service_map(page)
    nodes = set(page.evaluate("window.wiretapRun.mapNodes"))
    assert {"Partner", "Webhook", "Inbox", "Writer", "Orders"} <= nodes
    assert errors_in(console_messages) == []


def test_an_empty_seed_runs_with_a_random_one_that_run_again_fills_in_exactly(
        console_page: Page, live_console: Daphne, user: User, console_messages: list[str]) -> None:
    page = console_page
    topology = designer.create_topology(user, template_id="sqs-lambda-dlq").topology
    page.goto(f"{live_console.url}/topologies/{topology.pk}/run/")
    page.get_by_role("radio", name=re.compile("^Steady")).check()
    expect(page.get_by_role("textbox", name="Seed")).to_have_value("")
    editor = page.get_by_label("Workload document")
    editor.fill(json.dumps({**json.loads(editor.input_value()), "duration_s": 2}))
    workload = json.loads(editor.input_value())
    page.get_by_label("Speed").select_option("max")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    run_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    page.wait_for_function("window.wiretapRun.shown", timeout=RUN_TIMEOUT_MS)

    run = Run.objects.get(pk=run_id)
    expect(page.locator("#run-seed")).to_have_text(str(run.seed))
    page.get_by_role("link", name="Run again").click()
    page.wait_for_url(re.compile(rf"/run/\?again={run_id}$"))
    expect(page.get_by_role("radio", name=re.compile(f"^As run {run_id}"))).to_be_checked()
    expect(page.get_by_role("textbox", name="Seed")).to_have_value(str(run.seed))
    description = f"The workload of run {run_id}, with its seed {run.seed}."
    assert json.loads(editor.input_value()) == {**workload, "name": f"As run {run_id}", "description": description}
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    again = Run.objects.exclude(pk=run_id).get()
    assert again.seed == run.seed  # exactly, though a seed above 2**53 is past what a JavaScript number holds
    assert errors_in(console_messages) == []


def test_the_service_map_opened_during_a_live_run_leaves_the_clock_and_the_trace_count_running(
        console_page: Page, live_console: Daphne, user: User, console_messages: list[str]) -> None:
    page = console_page
    topology = designer.create_topology(user, template_id="scalable-webhook").topology
    page.goto(f"{live_console.url}/topologies/{topology.pk}/run/")
    editor = page.get_by_label("Workload document")
    editor.fill(json.dumps({**json.loads(editor.input_value()), "duration_s": 30}))
    page.get_by_label("Speed").select_option("10")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    page.wait_for_function("window.wiretapRun.status === 'running' && window.wiretapRun.traces > 0")

    open_service_map(page)
    page.wait_for_function("window.wiretapRun.mapNodes.includes('Orders')", timeout=PANEL_TIMEOUT_MS)
    clock = page.locator("#run-clock").inner_text()
    traces = page.evaluate("window.wiretapRun.traces")
    page.wait_for_function("([clock, traces]) => document.getElementById('run-clock').textContent !== clock "
                           "&& window.wiretapRun.traces > traces", arg=[clock, traces], timeout=PANEL_TIMEOUT_MS)
    assert errors_in(console_messages) == []
