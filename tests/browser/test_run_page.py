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
from tests.live import Daphne, wait_until
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
    # At x10 the poison orders keep the run going ~30 s: time to watch it however slow the machine.
    start_from_the_run_page(page, live_console, topology, poison_workload(), speed="10")

    page.wait_for_function("window.wiretapRun.status === 'running'")
    page.wait_for_function("window.wiretapRun.tokensDrawn > 0")
    page.wait_for_function("window.wiretapRun.badges.some((badge) => badge.id === 'Inbox')")
    page.wait_for_function("window.wiretapRun.traces >= 20")
    expect(page.locator(".trace-row").first).to_be_visible()
    expect(page.locator("#trace-count")).not_to_have_text("0")

    page.get_by_role("button", name="×100").click()  # noqa: RUF001 (the button's label)
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
    run_id = start_from_the_run_page(page, live_console, topology, poison_workload(duration_s=10), speed="10")
    page.wait_for_function("window.wiretapRun.traces >= 20")
    # Paused, so that however slow the machine, the reload lands mid-run.
    page.get_by_role("button", name="Pause").click()
    page.wait_for_function("window.wiretapRun.paused === true && window.wiretapRun.status === 'running'")
    wait_until(lambda: Run.objects.filter(pk=run_id, paused=True).exists(), 10, "the run paused")

    page.reload()
    page.wait_for_function("window.wiretapRun.lastSeq > 0 && window.wiretapRun.paused === true")
    expect(page.locator("#run-status")).to_have_text("paused")  # the reload came back mid-run
    page.get_by_role("button", name="×100").click()  # noqa: RUF001 (the button's label)
    page.get_by_role("button", name="Resume").click()
    page.wait_for_function("window.wiretapRun.status === 'finished'", timeout=RUN_TIMEOUT_MS)

    run = Run.objects.get(pk=run_id)
    stream = page.evaluate("window.wiretapRun.stream")
    assert page.evaluate("window.wiretapRun.lastSeq") == run.last_seq
    assert stream["applied"] == run.last_seq  # 1..last_seq, each applied once
    assert page.evaluate("window.wiretapRun.traces") == 200


def test_a_finished_run_scrubs_to_any_second_and_back_to_the_end(console_page: Page, live_console: Daphne,
                                                                   topology: Topology) -> None:
    page = console_page
    start_from_the_run_page(page, live_console, topology, poison_workload(), speed="max")
    page.wait_for_function("window.wiretapRun.ended", timeout=RUN_TIMEOUT_MS)
    scrubber = page.get_by_label("Virtual time")
    expect(scrubber).to_be_enabled()
    at_the_end = page.evaluate("window.wiretapRun.counts")

    scrubber.fill("3")  # 20 calls a second: the first 3 s of 5, long before any poison order is dead-lettered
    expect(page.locator("#scrub-time")).to_have_text("3.0 s")
    expect(page.locator("#run-clock")).to_have_text("3.0 s")
    early = page.evaluate("window.wiretapRun.counts")
    assert 0 < page.evaluate("window.wiretapRun.traces") <= 60
    assert early["dead_lettered"] == 0 and early["in_flight"] > 0
    assert any(badge["id"] == "Inbox" for badge in page.evaluate("window.wiretapRun.badges"))

    end = page.evaluate("Number(document.getElementById('scrubber').max)")
    scrubber.fill(str(end))
    page.wait_for_function("window.wiretapRun.traces === 100")
    assert page.evaluate("window.wiretapRun.counts") == at_the_end
    assert at_the_end["dead_lettered"] > 0


def test_a_finished_run_replays_from_the_start_at_the_chosen_speed(console_page: Page, live_console: Daphne,
                                                                   topology: Topology) -> None:
    page = console_page
    run_id = start_from_the_run_page(page, live_console, topology, poison_workload(), speed="max")
    page.wait_for_function("window.wiretapRun.ended", timeout=RUN_TIMEOUT_MS)

    page.get_by_role("button", name="×100").click()  # noqa: RUF001 (the button's label)
    page.get_by_role("button", name="Replay").click()
    page.wait_for_url(re.compile(r"\?replay=100$"))
    # About 305 virtual seconds at x100: three wall seconds to watch the calls come in again, and
    # the poison orders reach the DLQ only at the end (~300 s). (tests/tracer/test_replay.py checks
    # the pace itself, on a fake clock.)
    page.wait_for_function("window.wiretapRun.replay === 'playing' && window.wiretapRun.traces > 0 "
                           "&& window.wiretapRun.counts.dead_lettered === 0")
    expect(page.locator("#run-status")).to_have_text("replaying ×100")  # noqa: RUF001

    page.wait_for_function("window.wiretapRun.ended", timeout=RUN_TIMEOUT_MS)
    expect(page.locator("#run-status")).to_have_text("finished")
    run = Run.objects.get(pk=run_id)
    assert page.evaluate("window.wiretapRun.stream")["applied"] == run.last_seq
    assert page.evaluate("window.wiretapRun.traces") == 100


def test_the_toolbar_stays_on_one_line_at_1280_px_while_a_run_of_a_long_name_is_queued(
        console_page: Page, live_console: Daphne, topology: Topology, user: User) -> None:
    from tracer import services

    designer.rename_topology(topology, "Scalable Webhook for the partners of the north-eastern region", user)
    # Started here, the run is enqueued on this test process's own memory broker: no worker takes it.
    queued = services.start_run(user, Topology.objects.get(pk=topology.pk), poison_workload(), speed=10)
    page = console_page
    page.goto(f"{live_console.url}/runs/{queued.pk}/")
    expect(page.locator("#run-status")).to_have_text("queued")
    page.wait_for_function("document.getElementById('run-view').dataset.stream === 'open'")
    # The longest text the stream's state takes (a lost connection, the next try in 8 s).
    page.evaluate("document.getElementById('stream-state').textContent = 'reconnecting in 8 s…'")

    middles = page.evaluate("""[...document.querySelector('.run-toolbar').children]
        .filter((element) => element.offsetParent !== null && element.getBoundingClientRect().width > 0)
        .map((element) => {
          const box = element.getBoundingClientRect();
          return Math.round(box.top + box.height / 2);
        })""")
    assert len(set(middles)) == 1, middles
    title = page.locator(".run-title").bounding_box()
    assert title is not None and title["width"] <= 22 * 16  # the name gave way (ellipsis), the buttons did not
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()


def test_the_trace_filters_fit_the_side_panel(console_page: Page, live_console: Daphne, topology: Topology,
                                              user: User) -> None:
    from tracer import services

    queued = services.start_run(user, topology, poison_workload(), speed=10)
    page = console_page
    page.goto(f"{live_console.url}/runs/{queued.pk}/")
    expect(page.locator("#run-status")).to_have_text("queued")
    panel = page.locator(".traces-panel").bounding_box()
    assert panel is not None
    for control in ("#filter-component", "#filter-min", "#filter-max", "#filter-sort"):
        box = page.locator(control).bounding_box()
        assert box is not None and box["x"] + box["width"] <= panel["x"] + panel["width"], control
