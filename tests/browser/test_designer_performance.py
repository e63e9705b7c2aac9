"""The designer works with 300 components (issue 3): open, drag, undo, auto-layout.

The test asserts what happens, never how fast: speed lives in `make bench`, which runs this file
alone and reads the timings it writes to test-artifacts/designer-performance.json, for 300
components beside a 12-component baseline measured in the same run (wall-clock from Python, so
Playwright's round trips are included). docs/designer.md records the figures.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page

from designer import services
from tests.browser.helpers import PASSWORD, log_in

SAVED = "document.getElementById('designer').dataset.saveState === 'saved'"
CHAIN = ("apigateway", "sqs", "lambda", "dynamodb")
ROLES = ("request", "event_source", "request")


def big_design(chains: int = 75) -> dict[str, Any]:
    """300 components: 75 chains API -> queue -> function -> table, on a grid."""
    components: list[dict[str, Any]] = []
    connections: list[dict[str, Any]] = []
    for chain in range(chains):
        ids = [f"{kind.capitalize()}{chain}" for kind in CHAIN]
        for step, (component_id, kind) in enumerate(zip(ids, CHAIN, strict=True)):
            column = (chain % 5) * 4 + step
            components.append({"id": component_id, "kind": kind,
                               "position": {"x": column * 140, "y": (chain // 5) * 120}})
        for source, target, role in zip(ids, ids[1:], ROLES, strict=False):
            connections.append({"source": source, "target": target, "role": role})
    return {"format": "wiretap.topology/1", "name": "Three hundred", "components": components,
            "connections": connections, "groups": []}


def position(page: Page, component_id: str) -> dict[str, float]:
    result: dict[str, float] = page.evaluate(
        "id => window.wiretapDesigner.document.components.find(c => c.id === id).position", component_id)
    return result


FIGURES = Path("test-artifacts/designer-performance.json")


@pytest.mark.parametrize("chains", [3, 75], ids=["12-components", "300-components"])
def test_a_large_design_opens_drags_undoes_and_lays_out(page: Page, live_server: object, user: User,
                                                        chains: int) -> None:
    version = services.create_topology(user, name="Three hundred", document=big_design(chains))
    log_in(page, str(live_server), user.username, PASSWORD)

    started = time.perf_counter()
    page.goto(f"{live_server}/topologies/{version.topology_id}/")
    page.wait_for_function(SAVED)
    page_ready_ms = (time.perf_counter() - started) * 1000
    render_ms = page.evaluate("window.wiretapDesigner.timings.render")
    assert page.evaluate("window.wiretapDesigner.document.components.length") == 4 * chains

    page.locator("#cy").focus()
    page.keyboard.press("Escape")
    box = page.evaluate("window.wiretapDesigner.screenBox('Lambda0')")
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    before = position(page, "Lambda0")
    page.mouse.move(x, y)
    started = time.perf_counter()
    page.mouse.down()
    page.mouse.move(x + 60, y + 80, steps=10)
    moved = time.perf_counter()
    page.mouse.up()
    page.wait_for_function(
        "([x, y]) => { const p = window.wiretapDesigner.document.components.find(c => c.id === 'Lambda0').position;"
        " return p.x !== x || p.y !== y; }", arg=[before["x"], before["y"]])
    drag_ms = (time.perf_counter() - started) * 1000
    # From releasing the button to the move being in the document (one undoable step).
    drop_ms = (time.perf_counter() - moved) * 1000

    started = time.perf_counter()
    page.keyboard.press("Control+z")
    page.wait_for_function(
        "([x, y]) => { const p = window.wiretapDesigner.document.components.find(c => c.id === 'Lambda0').position;"
        " return p.x === x && p.y === y; }", arg=[before["x"], before["y"]])
    undo_ms = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    page.get_by_role("button", name="Auto-layout").click()
    page.wait_for_function(
        "([x, y]) => { const p = window.wiretapDesigner.document.components.find(c => c.id === 'Lambda0').position;"
        " return p.x !== x || p.y !== y; }", arg=[before["x"], before["y"]])
    layout_ms = (time.perf_counter() - started) * 1000
    page.wait_for_function(SAVED)

    figures = {"components": 4 * chains, "connections": 3 * chains, "page_ready_ms": round(page_ready_ms),
               "render_ms": round(render_ms), "drag_ms": round(drag_ms), "drop_ms": round(drop_ms),
               "undo_ms": round(undo_ms), "auto_layout_ms": round(layout_ms)}
    FIGURES.parent.mkdir(exist_ok=True)
    recorded = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    recorded[str(4 * chains)] = figures
    FIGURES.write_text(json.dumps(recorded, indent=2) + "\n")
