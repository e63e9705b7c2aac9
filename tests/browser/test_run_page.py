"""The run page against a console that really runs (``live_console``: Daphne, the embedded worker,
the WebSocket stream): Run from a template, watch it live, open a dead-lettered message, reload.

Runs go at x100 so that each lasts a few seconds; every wait is on a condition of the page
(``window.wiretapRun``, the read-only hook run.js exposes for these tests) or of the database.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from designer import services as designer
from designer.models import Topology
from tests.live import Daphne
from tracer.models import Run

# A run of the whole page lasts up to ~10 s on a loaded machine: wait for its end that long.
RUN_TIMEOUT_MS = 60_000


def poison_workload(duration_s: float = 5, per_second: int = 20) -> dict[str, Any]:
    """Partner calls with 20% poison orders: each is received maxReceiveCount (5) times, 60 s of
    visibility timeout apart, then moved to the DLQ, about 300 virtual seconds after it arrived."""
    return {"format": "wiretap.workload/1", "seed": 11, "duration_s": duration_s, "drain_s": 400,
            "sources": [{"target": "Partner", "rate": {"per_second": per_second}, "poison_rate": 0.2,
                         "payload": {"n": "$seq"}}]}


@pytest.fixture
def topology(user: User) -> Topology:
    created: Topology = designer.create_topology(user, template_id="scalable-webhook").topology
    return created


def start_from_the_run_page(page: Page, console: Daphne, topology: Topology, workload: dict[str, Any],
                            speed: str = "100") -> int:
    page.goto(f"{console.url}/topologies/{topology.pk}/run/")
    page.get_by_label("Workload document").fill(json.dumps(workload))
    page.get_by_label("Speed").select_option(speed)
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def test_pressing_run_moves_tokens_and_badges_and_fills_the_trace_list(console_page: Page, live_console: Daphne,
                                                                         topology: Topology) -> None:
    page = console_page
    start_from_the_run_page(page, live_console, topology, poison_workload())

    page.wait_for_function("window.wiretapRun.status === 'running'")
    page.wait_for_function("window.wiretapRun.tokensDrawn > 0")
    page.wait_for_function("window.wiretapRun.badges.some((badge) => badge.id === 'Inbox')")
    page.wait_for_function("window.wiretapRun.traces >= 20")
    expect(page.locator(".trace-row").first).to_be_visible()
    expect(page.locator("#trace-count")).not_to_have_text("0")

    page.wait_for_function("window.wiretapRun.status === 'finished'", timeout=RUN_TIMEOUT_MS)
    expect(page.locator("#run-status")).to_have_text("finished")
    assert page.evaluate("window.wiretapRun.traces") == 100  # 20 a second for 5 s, each one trace


def test_a_dead_lettered_message_opens_its_timeline_and_lights_its_path(console_page: Page, live_console: Daphne,
                                                                        topology: Topology) -> None:
    page = console_page
    start_from_the_run_page(page, live_console, topology, poison_workload())
    page.wait_for_function("window.wiretapRun.status === 'finished'", timeout=RUN_TIMEOUT_MS)
    page.wait_for_function("window.wiretapRun.counts.dead_lettered > 0")

    page.locator("#outcome-filters [data-outcome='dead_lettered']").click()
    first = page.locator(".trace-row").first
    expect(first.locator(".outcome")).to_have_text(re.compile("^Dead-lettered"))
    first.click()

    expect(page.locator("#timeline-panel")).to_be_visible()
    expect(page.locator("#timeline-meta")).to_contain_text("Dead-lettered")
    # Five receives of the poison message in the waterfall, then the move to the DLQ.
    expect(page.locator("#timeline")).to_contain_text("Inbox")
    expect(page.locator("#timeline")).to_contain_text("InboxDLQ")
    on_path = set(page.evaluate("window.wiretapRun.onPath()"))
    assert {"Partner", "Webhook", "Inbox", "Writer", "InboxDLQ"} <= on_path
    assert "Orders" not in on_path  # a poison order is never written


def test_reloading_mid_run_continues_the_run_with_every_event_once(console_page: Page, live_console: Daphne,
                                                                     topology: Topology) -> None:
    page = console_page
    run_id = start_from_the_run_page(page, live_console, topology, poison_workload(duration_s=10))
    page.wait_for_function("window.wiretapRun.traces >= 20")
    assert page.evaluate("window.wiretapRun.status") == "running"

    page.reload()
    page.wait_for_function("window.wiretapRun.lastSeq > 0")
    assert page.evaluate("window.wiretapRun.status") == "running"  # the reload came back mid-run
    page.wait_for_function("window.wiretapRun.status === 'finished'", timeout=RUN_TIMEOUT_MS)

    run = Run.objects.get(pk=run_id)
    stream = page.evaluate("window.wiretapRun.stream")
    assert page.evaluate("window.wiretapRun.lastSeq") == run.last_seq
    assert stream["applied"] == run.last_seq  # 1..last_seq, each applied once
    assert page.evaluate("window.wiretapRun.traces") == 200
