"""The designer in a real browser: palette drag and drop, connecting, the property panel,
findings appearing and disappearing, undo, reload, templates, conflicts.

Mouse gestures are real (Playwright's mouse and drag_to). The page's read-only hook
`window.wiretapDesigner` (static/designer/main.js) tells where a component is drawn and what the
design holds; every wait is on a state (the `data-save-state` attribute, the document, the DOM).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from designer import services
from tests.browser.helpers import PASSWORD, log_in, sign_up

SAVED = "document.getElementById('designer').dataset.saveState === 'saved'"


# --- Steps ------------------------------------------------------------------------------------

def open_new_topology(page: Page, base_url: str, name: str) -> None:
    page.locator("#new-name").fill(name)
    page.get_by_role("button", name="New topology").click()
    page.wait_for_url(re.compile(r".*/topologies/\d+/$"))
    wait_saved(page)


def wait_saved(page: Page) -> None:
    page.wait_for_function(SAVED)


def document(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("window.wiretapDesigner.document")
    return result


def component_ids(page: Page) -> list[str]:
    return [component["id"] for component in document(page)["components"]]


def wait_for_ids(page: Page, ids: list[str]) -> None:
    page.wait_for_function(
        "ids => JSON.stringify(window.wiretapDesigner.document.components.map(c => c.id)) === JSON.stringify(ids)",
        arg=ids,
    )


def centre(page: Page, component_id: str) -> tuple[float, float]:
    box = page.evaluate("id => window.wiretapDesigner.screenBox(id)", component_id)
    assert box is not None, f"{component_id} is not on the canvas"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drop_from_palette(page: Page, kind: str, x: float, y: float) -> None:
    page.locator(f'.palette-item[data-kind="{kind}"]').drag_to(page.locator("#cy"), target_position={"x": x, "y": y})


def connect(page: Page, source: str, target: str) -> None:
    """Hover the source, press on its connect handle, drag to the target, release."""
    x, y = centre(page, source)
    page.mouse.move(x, y)
    handle = page.locator("#connect-handle")
    expect(handle).to_be_visible()
    expect(handle).to_have_attribute("data-component", source)
    box = handle.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    target_x, target_y = centre(page, target)
    page.mouse.move(target_x, target_y, steps=12)
    page.mouse.up()


def click_component(page: Page, component_id: str) -> None:
    x, y = centre(page, component_id)
    page.mouse.click(x, y)
    expect(page.locator(".inspector-head .title")).to_have_text(component_id)


def set_field(page: Page, name: str, value: str) -> None:
    field = page.locator(f'.form-field[data-field="{name}"]').locator("input, select, textarea")
    field.fill(value)
    field.press("Tab")


def findings_text(page: Page) -> str:
    return page.locator("#findings-list").inner_text()


# --- Flows ------------------------------------------------------------------------------------

def test_build_connect_configure_see_a_warning_fix_it_undo_and_reload(page: Page, live_server: object) -> None:
    base_url = str(live_server)
    sign_up(page, base_url, "erin")
    open_new_topology(page, base_url, "Orders pipeline")
    expect(page.locator("#empty-hint")).to_be_visible()

    drop_from_palette(page, "sqs", 260, 260)
    drop_from_palette(page, "lambda", 520, 260)
    wait_for_ids(page, ["Queue1", "Function1"])
    expect(page.locator("#empty-hint")).to_be_hidden()

    # The only role between a queue and a function is chosen without a question.
    connect(page, "Queue1", "Function1")
    page.wait_for_function("window.wiretapDesigner.document.connections.length === 1")
    assert document(page)["connections"] == [{"source": "Queue1", "target": "Function1", "role": "event_source"}]
    wait_saved(page)

    # 6 x a 10 s function Timeout is more than the queue's default 30 s VisibilityTimeout.
    click_component(page, "Function1")
    set_field(page, "Timeout", "10")
    wait_saved(page)
    page.get_by_role("tab", name=re.compile("Findings")).click()
    expect(page.locator("#findings-list")).to_contain_text("VisibilityTimeout is 30 s, under 6 x Function1's Timeout")
    expect(page.locator('.badge[data-component="Queue1"]')).to_be_visible()

    click_component(page, "Queue1")
    expect(page.locator('.form-field[data-field="VisibilityTimeout"] .field-finding')).to_contain_text("under 6 x")
    set_field(page, "VisibilityTimeout", "60")
    wait_saved(page)
    page.get_by_role("tab", name=re.compile("Findings")).click()
    expect(page.locator("#findings-list")).not_to_contain_text("VisibilityTimeout")

    # Undo brings the short visibility timeout back, and with it the warning.
    page.get_by_role("button", name="Undo").click()
    wait_saved(page)
    assert "properties" not in document(page)["components"][0]
    expect(page.locator("#findings-list")).to_contain_text("VisibilityTimeout is 30 s")

    before = document(page)
    page.reload()
    wait_saved(page)
    assert document(page) == before
    assert before["components"][1]["properties"] == {"Timeout": 10}


def test_a_pair_with_several_roles_asks_which_and_an_invalid_pair_is_refused(
    page: Page, live_server: object
) -> None:
    base_url = str(live_server)
    sign_up(page, base_url, "finn")
    open_new_topology(page, base_url, "Roles")
    drop_from_palette(page, "lambda", 240, 200)
    drop_from_palette(page, "sqs", 520, 200)
    drop_from_palette(page, "rds", 520, 420)
    wait_for_ids(page, ["Function1", "Queue1", "Database1"])

    connect(page, "Function1", "Queue1")
    menu = page.locator("#role-menu")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("menuitem")).to_have_count(4)
    menu.get_by_role("menuitem", name=re.compile("^dead_letter")).click()
    page.wait_for_function("window.wiretapDesigner.document.connections.length === 1")
    assert document(page)["connections"][0]["role"] == "dead_letter"

    connect(page, "Database1", "Queue1")
    expect(page.locator("#toast")).to_have_text(
        "An RDS database cannot connect to an SQS queue: nothing starts from an RDS database; it only receives."
    )
    assert len(document(page)["connections"]) == 1


def test_keyboard_delete_copy_paste_group_and_redo(page: Page, live_server: object) -> None:
    base_url = str(live_server)
    sign_up(page, base_url, "gale")
    open_new_topology(page, base_url, "Keys")
    drop_from_palette(page, "sqs", 240, 200)
    drop_from_palette(page, "lambda", 480, 200)
    wait_for_ids(page, ["Queue1", "Function1"])
    connect(page, "Queue1", "Function1")
    page.wait_for_function("window.wiretapDesigner.document.connections.length === 1")

    page.locator("#cy").focus()
    page.keyboard.press("Control+a")
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    wait_for_ids(page, ["Queue1", "Function1", "Queue2", "Function2"])
    assert document(page)["connections"][1] == {"source": "Queue2", "target": "Function2", "role": "event_source"}

    page.keyboard.press("g")
    page.wait_for_function("window.wiretapDesigner.document.groups.length === 1")
    assert document(page)["groups"][0]["members"] == ["Queue2", "Function2"]

    page.keyboard.press("Delete")  # the selected group goes, its members stay
    page.wait_for_function("window.wiretapDesigner.document.groups.length === 0")
    click_component(page, "Queue2")
    page.keyboard.press("Delete")
    wait_for_ids(page, ["Queue1", "Function1", "Function2"])
    assert len(document(page)["connections"]) == 1

    page.keyboard.press("Control+z")
    wait_for_ids(page, ["Queue1", "Function1", "Queue2", "Function2"])
    page.keyboard.press("Control+Shift+z")
    wait_for_ids(page, ["Queue1", "Function1", "Function2"])
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+y")
    wait_for_ids(page, ["Queue1", "Function1", "Function2"])

    # Typing in a field never deletes components.
    click_component(page, "Function2")
    id_field = page.locator(".form-field input").first
    id_field.press("End")
    id_field.press("Backspace")
    id_field.press("Delete")
    assert component_ids(page) == ["Queue1", "Function1", "Function2"]


def test_rename_a_component_and_its_connections_follow(page: Page, live_server: object) -> None:
    base_url = str(live_server)
    sign_up(page, base_url, "hana")
    open_new_topology(page, base_url, "Rename")
    drop_from_palette(page, "sqs", 240, 200)
    drop_from_palette(page, "lambda", 480, 200)
    wait_for_ids(page, ["Queue1", "Function1"])
    connect(page, "Queue1", "Function1")
    page.wait_for_function("window.wiretapDesigner.document.connections.length === 1")

    click_component(page, "Queue1")
    id_field = page.get_by_label("Id", exact=True)
    id_field.fill("Function1")
    expect(page.locator(".form-field.invalid .error")).to_have_text("Function1 is already used in this design.")
    id_field.fill("Inbox")
    id_field.press("Enter")
    wait_for_ids(page, ["Inbox", "Function1"])
    assert document(page)["connections"] == [{"source": "Inbox", "target": "Function1", "role": "event_source"}]
    expect(page.locator(".inspector-head .title")).to_have_text("Inbox")


def test_start_from_the_scalable_webhook_template(page: Page, live_server: object) -> None:
    base_url = str(live_server)
    sign_up(page, base_url, "ivan")
    page.get_by_role("button", name="Start from Scalable Webhook", exact=True).click()
    page.wait_for_url(re.compile(r".*/topologies/\d+/$"))
    wait_saved(page)

    assert component_ids(page) == ["Partner", "Webhook", "Inbox", "InboxDLQ", "Writer", "Orders"]
    for component_id in component_ids(page):
        assert page.evaluate("id => window.wiretapDesigner.screenBox(id)", component_id) is not None
    page.get_by_role("tab", name="Template").click()
    expect(page.locator("#template-info")).to_contain_text("the queue absorbs the burst")


def test_start_from_the_saga_template_and_its_state_machine_is_drawn(page: Page, live_server: object) -> None:
    base_url = str(live_server)
    sign_up(page, base_url, "judy")
    page.get_by_role("button", name="Start from Saga Step Function", exact=True).click()
    page.wait_for_url(re.compile(r".*/topologies/\d+/$"))
    wait_saved(page)

    assert component_ids(page) == ["Traveller", "BookTrip", "BookHotelFn", "BookFlightFn", "BookCarFn",
                                   "CancelFlightFn", "CancelHotelFn"]
    for component_id in component_ids(page):
        assert page.evaluate("id => window.wiretapDesigner.screenBox(id)", component_id) is not None
    page.get_by_role("tab", name="Template").click()
    expect(page.locator("#template-info")).to_contain_text("compensations run newest first")


def test_a_stale_save_offers_to_keep_mine_as_a_copy(page: Page, live_server: object, user: User) -> None:
    version = services.create_topology(user, name="Shared")
    log_in(page, str(live_server), user.username, PASSWORD)
    page.goto(f"{live_server}/topologies/{version.topology_id}/")
    wait_saved(page)
    # Someone else saves version 2 meanwhile (another tab of the same user).
    theirs = {"format": "wiretap.topology/1", "name": "Shared", "components": [{"id": "Theirs", "kind": "sqs"}],
              "connections": [], "groups": []}
    url = f"/api/topologies/{version.topology_id}/"
    status = page.evaluate(
        """async ([url, design]) => {
             const token = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
             const answer = await fetch(url, {method: 'PUT', body: JSON.stringify({version: 1, document: design}),
                                              headers: {'Content-Type': 'application/json', 'X-CSRFToken': token}});
             return answer.status;
           }""",
        [url, theirs],
    )
    assert status == 200

    drop_from_palette(page, "lambda", 300, 200)
    dialog = page.locator("#conflict-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#designer")).to_have_attribute("data-save-state", "conflict")
    dialog.get_by_role("button", name="Save mine as a copy").click()
    page.wait_for_url(re.compile(r".*/topologies/\d+/$"))
    page.wait_for_function(f"!location.pathname.endsWith('/{version.topology_id}/')")
    wait_saved(page)
    assert component_ids(page) == ["Function1"]
    assert document(page)["name"] == "Shared (my copy)"
    # Theirs is intact in the original topology.
    original = page.evaluate("async url => (await (await fetch(url)).json()).document", url)
    assert original["components"] == theirs["components"]


def test_import_replaces_the_design_undoably_and_export_downloads_it(
    page: Page, live_server: object, tmp_path: Any
) -> None:
    base_url = str(live_server)
    sign_up(page, base_url, "jade")
    open_new_topology(page, base_url, "Files")
    drop_from_palette(page, "sqs", 240, 200)
    wait_for_ids(page, ["Queue1"])

    not_a_topology = tmp_path / "workload.json"
    not_a_topology.write_text('{"format": "wiretap.workload/1"}')
    page.locator("#import-file").set_input_files(str(not_a_topology))
    expect(page.locator("#toast")).to_contain_text('"format" must be "wiretap.topology/1"')
    assert component_ids(page) == ["Queue1"]

    design = {"format": "wiretap.topology/1", "name": "Imported",
              "components": [{"id": "Api", "kind": "apigateway"}, {"id": "Handler", "kind": "lambda"}],
              "connections": [{"source": "Api", "target": "Handler", "role": "request"}]}
    topology_file = tmp_path / "imported.topology.json"
    topology_file.write_text(json.dumps(design))
    page.locator("#import-file").set_input_files(str(topology_file))
    wait_for_ids(page, ["Api", "Handler"])
    assert all("position" in component for component in document(page)["components"])
    wait_saved(page)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export JSON").click()
    exported = json.loads(Path(download_info.value.path()).read_text())
    assert exported == document(page)
    assert download_info.value.suggested_filename == "Imported.topology.json"

    with page.expect_download() as png_info:
        page.get_by_role("button", name="PNG").click()
    assert Path(png_info.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    page.get_by_role("button", name="Undo").click()  # the layout of the imported components
    page.get_by_role("button", name="Undo").click()  # the import
    wait_for_ids(page, ["Queue1"])


def test_the_history_link_lists_every_version_and_restores_an_old_one(
        page: Page, live_server: object, user: User) -> None:
    first = services.create_topology(user, name="Evolving")
    topology = services.topology_of(user, first.topology_id)
    document = dict(first.document, components=[{"id": "Inbox", "kind": "sqs"}])
    services.save_topology(topology, 1, document, user)
    log_in(page, str(live_server), user.username, PASSWORD)
    page.goto(f"{live_server}/topologies/{first.topology_id}/")
    wait_saved(page)
    assert component_ids(page) == ["Inbox"]

    page.get_by_role("link", name="History").click()
    expect(page.locator("tr[data-version]")).to_have_count(2)
    page.get_by_role("button", name="Restore version 1").click()
    # Restoring saves version 1 again as the newest and opens it in the designer.
    expect(page.get_by_text("Restored version 1 as version 3.")).to_be_visible()
    wait_saved(page)
    assert component_ids(page) == []
    page.get_by_role("link", name="History").click()
    expect(page.locator("tr[data-version]")).to_have_count(3)


def test_a_latency_distribution_is_edited_in_fields_checked_as_typed_and_saved_as_the_same_json(
        page: Page, live_server: object) -> None:
    base_url = str(live_server)
    sign_up(page, base_url, "kira")
    open_new_topology(page, base_url, "Latency")
    drop_from_palette(page, "lambda", 300, 220)
    wait_for_ids(page, ["Function1"])
    click_component(page, "Function1")
    duration = page.locator('.form-field[data-field="duration_ms"]')
    shape = duration.get_by_label("duration_ms shape")
    error = duration.locator(".error")
    expect(shape).to_have_value("default")
    expect(shape.locator("option:checked")).to_have_text("Default (median 50, p99 250 ms)")

    def behavior() -> Any:
        return document(page)["components"][0].get("behavior", {}).get("duration_ms")

    # Choosing median and p99 starts from the default's numbers, and saves them.
    shape.select_option("median_p99")
    median = duration.get_by_label("median")
    p99 = duration.get_by_label("p99")
    expect(median).to_have_value("50")
    expect(p99).to_have_value("250")
    page.wait_for_function("window.wiretapDesigner.document.components[0].behavior?.duration_ms?.p99 === 250")
    assert behavior() == {"median": 50, "p99": 250}

    # A p99 under the median is refused as it is typed, with the emulator's words, and not saved.
    p99.fill("40")
    expect(error).to_have_text("duration_ms p99 (40 ms) must not be below the median (50 ms)")
    expect(p99).to_have_attribute("aria-invalid", "true")
    expect(median).to_have_attribute("aria-invalid", "false")
    p99.press("Tab")
    assert behavior() == {"median": 50, "p99": 250}
    p99.fill("800")
    expect(error).to_be_hidden()
    p99.press("Tab")
    page.wait_for_function("window.wiretapDesigner.document.components[0].behavior?.duration_ms?.p99 === 800")
    median.fill("0")
    expect(error).to_have_text("duration_ms median must be between 0.001 and 3600000 ms, got 0")
    median.fill("120")
    median.press("Tab")
    page.wait_for_function("window.wiretapDesigner.document.components[0].behavior?.duration_ms?.median === 120")
    assert behavior() == {"median": 120, "p99": 800}

    # Fixed: one number, the median carried over.
    duration.get_by_label("duration_ms shape").select_option("fixed")
    fixed = duration.get_by_label("fixed")
    expect(fixed).to_have_value("120")
    page.wait_for_function("window.wiretapDesigner.document.components[0].behavior?.duration_ms === 120")
    fixed.fill("-5")
    expect(error).to_have_text("duration_ms must not be negative, got -5")
    fixed.fill("30")
    fixed.press("Tab")
    page.wait_for_function("window.wiretapDesigner.document.components[0].behavior?.duration_ms === 30")
    wait_saved(page)
    saved = page.evaluate("async url => (await (await fetch(url)).json())",
                          page.url.replace("/topologies/", "/api/topologies/"))
    assert saved["document"]["components"][0]["behavior"] == {"duration_ms": 30}
    assert not [problem for problem in saved["findings"] if "duration_ms" in problem["message"]]

    # The default again: the key is gone and the emulator's default applies.
    duration.get_by_label("duration_ms shape").select_option("default")
    page.wait_for_function("!('behavior' in window.wiretapDesigner.document.components[0])")
    expect(duration.locator(".duration-parts")).to_be_hidden()
