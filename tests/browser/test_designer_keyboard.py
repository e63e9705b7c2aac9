"""The designer by keyboard alone (issue 11): add, go from component to component, move, connect
with a role, edit in the side panel and come back, delete and undo, with no mouse event at all.

What the page says to a screen reader is read from its live region (#canvas-announcer); the
saved design is read back from the JSON API, as another client would see it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from designer import services
from tests.browser.helpers import PASSWORD

SAVED = "document.getElementById('designer').dataset.saveState === 'saved'"

# Counts every pointer event the page receives: the test fails if any happened.
COUNT_POINTER_EVENTS = """
window.pointerEvents = 0;
for (const type of ["pointerdown", "pointerup", "mousedown", "mouseup", "mousemove", "wheel", "dragstart"]) {
  window.addEventListener(type, () => { window.pointerEvents += 1; }, true);
}
"""


def log_in_by_keyboard(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/")


def tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus in {limit} presses of Tab")


def announced(page: Page) -> Any:
    return expect(page.locator("#canvas-announcer"))


def add_from_search(page: Page, words: str) -> None:
    """From the canvas, / to the palette's search box, type, Enter: the first match is added."""
    page.keyboard.press("/")
    expect(page.locator("#palette-search")).to_be_focused()
    page.keyboard.press("Control+a")
    page.keyboard.type(words)
    page.keyboard.press("Enter")


def centre(page: Page, component_id: str) -> tuple[float, float]:
    box = page.evaluate("id => window.wiretapDesigner.screenBox(id)", component_id)
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def document(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("window.wiretapDesigner.document")
    return result


def position(page: Page, component_id: str) -> dict[str, int]:
    component = next(c for c in document(page)["components"] if c["id"] == component_id)
    result: dict[str, int] = component["position"]
    return result


def test_build_a_design_by_keyboard_alone(page: Page, live_server: object, user: User) -> None:
    version = services.create_topology(user, name="By keyboard")
    page.add_init_script(COUNT_POINTER_EVENTS)
    log_in_by_keyboard(page, str(live_server), user.username)
    page.goto(f"{live_server}/topologies/{version.topology_id}/")
    page.wait_for_function(SAVED)

    # The palette is one tab stop after its search box; Enter there adds the first match and
    # puts the keyboard on the new component.
    tab_to(page, "#palette-search")
    page.keyboard.type("lambda")
    page.keyboard.press("Enter")
    canvas = page.locator("#cy")
    expect(canvas).to_be_focused()
    announced(page).to_contain_text("Added Function1, Lambda function.")
    add_from_search(page, "sqs")
    announced(page).to_contain_text("Added Queue1, SQS queue.")
    add_from_search(page, "dynamodb")
    announced(page).to_contain_text("Added Table1, DynamoDB table.")
    assert [c["id"] for c in document(page)["components"]] == ["Function1", "Queue1", "Table1"]

    # M moves the selection: arrows by 10 px, Shift+arrows by 50, Enter drops, Escape puts back.
    before = position(page, "Table1")
    page.keyboard.press("m")
    announced(page).to_contain_text("Moving Table1")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    announced(page).to_contain_text(f"Table1 at {before['x'] + 30}, {before['y'] + 50}")
    page.keyboard.press("Enter")
    announced(page).to_contain_text("Moved Table1.")
    assert position(page, "Table1") == {"x": before["x"] + 30, "y": before["y"] + 50}
    page.keyboard.press("m")
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Escape")
    announced(page).to_contain_text("Table1 put back.")
    assert position(page, "Table1") == {"x": before["x"] + 30, "y": before["y"] + 50}

    # Home: the first component in reading order, selected.
    page.keyboard.press("Home")
    announced(page).to_have_text("Function1 selected, Lambda function")

    # C connects: the target is chosen by keyboard, then the same role menu the mouse gets.
    page.keyboard.press("c")
    announced(page).to_contain_text("Connecting from Function1")
    announced(page).to_contain_text(
        "To Queue1, SQS queue: Enter asks which of request, dead_letter, on_success or on_failure.")
    page.keyboard.press("Enter")
    menu = page.locator("#role-menu")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("menuitem", name="request")).to_be_focused()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitem", name="on_failure")).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_be_hidden()
    announced(page).to_contain_text("Connected Function1 to Queue1 as on_failure")
    expect(canvas).to_be_focused()

    # Tab goes through the targets too; a single valid role is taken at once.
    page.keyboard.press("c")
    page.keyboard.press("Tab")
    announced(page).to_contain_text("To Table1, DynamoDB table: Enter connects as request.")
    page.keyboard.press("Enter")
    announced(page).to_contain_text("Connected Function1 to Table1 as request")
    assert document(page)["connections"] == [
        {"source": "Function1", "target": "Queue1", "role": "on_failure"},
        {"source": "Function1", "target": "Table1", "role": "request"},
    ]

    # Enter opens the side panel on the selection (the new connection), Escape comes back.
    page.keyboard.press("Enter")
    expect(page.locator("#field-role")).to_be_focused()
    page.keyboard.press("Escape")
    expect(canvas).to_be_focused()
    page.keyboard.press("Home")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Id", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Label", exact=True)).to_be_focused()
    page.keyboard.type("order writer")
    page.keyboard.press("Enter")
    # The component's connections are listed after its label: the keyboard's way to each one.
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="to Queue1 · on_failure")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#field-role")).to_be_focused()
    expect(page.locator(".inspector-head .title")).to_have_text("Function1 → Queue1")
    page.keyboard.press("Escape")
    expect(canvas).to_be_focused()
    announced(page).to_have_text("Function1, Lambda function, labelled order writer, 2 connections")

    # Delete deletes the selection and its connections; the keyboard goes on to the next one.
    page.keyboard.press("End")
    announced(page).to_contain_text("Table1 selected, DynamoDB table")
    page.keyboard.press("Delete")
    announced(page).to_contain_text("Deleted Table1. Ctrl+Z brings it back. Now on")
    assert [c["id"] for c in document(page)["components"]] == ["Function1", "Queue1"]
    assert len(document(page)["connections"]) == 1
    page.keyboard.press("Control+z")
    announced(page).to_contain_text("Undid delete.")
    assert [c["id"] for c in document(page)["components"]] == ["Function1", "Queue1", "Table1"]

    page.keyboard.press("Control+s")
    page.wait_for_function(SAVED)
    saved = page.evaluate(
        "async url => (await (await fetch(url)).json()).document", f"/api/topologies/{version.topology_id}/")
    assert saved == document(page)
    assert saved["components"][0] == {"id": "Function1", "kind": "lambda", "label": "order writer",
                                      "position": saved["components"][0]["position"]}
    assert saved["components"][2]["position"] == {"x": before["x"] + 30, "y": before["y"] + 50}
    assert [c["role"] for c in saved["connections"]] == ["on_failure", "request"]
    assert page.evaluate("window.pointerEvents") == 0


def open_design(page: Page, base_url: str, user: User, components: list[dict[str, Any]],
                connections: list[dict[str, Any]]) -> None:
    design = {"format": "wiretap.topology/1", "name": "Placed", "groups": [],
              "components": components, "connections": connections}
    version = services.create_topology(user, name="Placed", document=design)
    log_in_by_keyboard(page, base_url, user.username)
    page.goto(f"{base_url}/topologies/{version.topology_id}/")
    page.wait_for_function(SAVED)


def test_the_focus_ring_shows_where_the_keyboard_is_and_only_for_the_keyboard(
        page: Page, live_server: object, user: User) -> None:
    open_design(page, str(live_server), user,
                [{"id": "Inbox", "kind": "sqs", "position": {"x": 100, "y": 100}},
                 {"id": "Worker", "kind": "lambda", "position": {"x": 300, "y": 100}}],
                [{"source": "Inbox", "target": "Worker", "role": "event_source"}])
    area = page.locator(".canvas-area")

    tab_to(page, "#cy")
    expect(area).to_have_class("canvas-area keyboard-focus")
    announced(page).to_have_text("Inbox, SQS queue, 1 warning, 1 connection")
    page.keyboard.press("ArrowRight")
    announced(page).to_have_text("Worker selected, Lambda function, 1 connection")
    assert page.evaluate("window.wiretapDesigner.keyboardFocus") == "Worker"
    assert page.evaluate("getComputedStyle(document.getElementById('cy')).outlineStyle") == "solid"

    # A click takes the rings away; the next key brings them back where the click was.
    x, y = centre(page, "Inbox")
    page.mouse.click(x, y)
    expect(page.locator("#cy")).to_be_focused()
    expect(area).to_have_class("canvas-area")
    assert page.evaluate("window.wiretapDesigner.keyboardFocus") is None
    page.keyboard.press("ArrowRight")
    announced(page).to_have_text("Worker selected, Lambda function, 1 connection")
    assert page.evaluate("window.wiretapDesigner.keyboardFocus") == "Worker"


def test_tab_goes_through_the_components_in_reading_order_then_leaves_the_canvas(
        page: Page, live_server: object, user: User) -> None:
    open_design(page, str(live_server), user,
                [{"id": "Lower", "kind": "sqs", "position": {"x": 100, "y": 300}},
                 {"id": "Right", "kind": "lambda", "position": {"x": 300, "y": 110}},
                 {"id": "Left", "kind": "dynamodb", "position": {"x": 100, "y": 100}}], [])
    tab_to(page, "#cy")
    reached = [page.evaluate("window.wiretapDesigner.keyboardFocus")]
    for _ in range(2):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("window.wiretapDesigner.keyboardFocus"))
    assert reached == ["Left", "Right", "Lower"]
    page.keyboard.press("Tab")
    expect(page.locator("#cy")).not_to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#cy")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("window.wiretapDesigner.keyboardFocus") == "Right"
