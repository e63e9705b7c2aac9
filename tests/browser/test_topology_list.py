"""The list of topologies in a real browser: create, start from a template, rename, delete."""

from __future__ import annotations

from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from designer import services
from designer.models import Topology


def test_a_new_topology_opens_in_the_designer(signed_in_page: Page, live_server: object) -> None:
    page = signed_in_page
    page.get_by_placeholder("Name of the new topology").fill("Order intake")
    page.get_by_role("button", name="New topology").click()

    topology = Topology.objects.get()
    expect(page).to_have_url(f"{live_server}/topologies/{topology.pk}/")
    assert topology.name == "Order intake"


def test_a_template_card_starts_a_topology_from_it(signed_in_page: Page, live_server: object) -> None:
    page = signed_in_page
    card = page.locator(".template-card").filter(has_text="Scalable Webhook, naive variant")
    expect(card).to_contain_text("During the spike Lambda scales out")

    card.get_by_role("button").click()

    topology = Topology.objects.get()
    expect(page).to_have_url(f"{live_server}/topologies/{topology.pk}/")
    assert topology.name == "Scalable Webhook, naive variant"
    page.goto(f"{live_server}/")
    expect(page.get_by_role("link", name="Scalable Webhook, naive variant")).to_be_visible()


def test_renaming_in_place(signed_in_page: Page, live_server: object, user: User) -> None:
    services.create_topology(user, name="Orders")
    page = signed_in_page
    page.reload()

    page.get_by_text("Rename").click()
    page.get_by_label("New name").fill("Order intake")
    page.get_by_role("button", name="Save name").click()

    expect(page.get_by_role("status")).to_contain_text("Renamed to Order intake")
    expect(page.get_by_role("link", name="Order intake")).to_be_visible()


def test_deleting_asks_first(signed_in_page: Page, live_server: object, user: User) -> None:
    services.create_topology(user, name="Orders")
    page = signed_in_page
    page.reload()

    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete “Orders”?")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("link", name="Orders")).to_be_visible()

    page.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete").click()

    expect(page.get_by_role("status")).to_contain_text("Deleted Orders")
    expect(page.get_by_text("No topologies yet")).to_be_visible()
    assert not Topology.objects.exists()
