"""The designer's pages: the list of topologies with its forms, and the designer page."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from designer import services
from designer.catalog import templates
from designer.models import Topology

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_alice(client: Client, alice: Any) -> Client:
    client.force_login(alice)
    return client


def test_the_list_shows_the_users_topologies_and_every_template(as_alice: Client, alice: Any,
                                                                charlie: Any) -> None:
    mine = services.create_topology(alice, name="Order intake").topology
    services.create_topology(charlie, name="Charlie's secret")

    page = as_alice.get("/").content.decode()

    assert "Order intake" in page
    assert f'href="/topologies/{mine.pk}/"' in page
    assert "Charlie" not in page
    for template in templates():
        assert escape(template.name) in page
        assert escape(template.summary) in page


def test_an_empty_list_invites_to_create(as_alice: Client) -> None:
    assert "No topologies yet" in as_alice.get("/").content.decode()


def test_creating_an_empty_topology_opens_the_designer(as_alice: Client) -> None:
    response = as_alice.post("/topologies/new/", {"name": "Orders"})

    topology = Topology.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/topologies/{topology.pk}/"
    assert topology.name == "Orders"


def test_creating_from_a_template_takes_its_name_and_design(as_alice: Client) -> None:
    as_alice.post("/topologies/new/", {"template": "fifo-ordering"})

    topology = Topology.objects.get()
    assert topology.name == "FIFO ordering"
    assert services.latest_version(topology).document["components"]


def test_a_blank_name_is_refused_with_a_message(as_alice: Client) -> None:
    response = as_alice.post("/topologies/new/", {"name": "  "}, follow=True)

    assert not Topology.objects.exists()
    assert "must not be blank" in response.content.decode()


def test_renaming_from_the_list(as_alice: Client, alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology

    response = as_alice.post(f"/topologies/{topology.pk}/rename/", {"name": "Order intake"}, follow=True)

    topology.refresh_from_db()
    assert topology.name == "Order intake"
    assert "Renamed to Order intake" in response.content.decode()


def test_a_name_with_a_nul_character_is_refused_from_the_list_forms(as_alice: Client, alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology

    renamed = as_alice.post(f"/topologies/{topology.pk}/rename/", {"name": "Or\x00ders"}, follow=True)
    created = as_alice.post("/topologies/new/", {"name": "New\x00"}, follow=True)

    assert "the name must not hold a NUL character" in renamed.content.decode()
    assert "Could not create the topology: must not hold a NUL character" in created.content.decode()
    assert list(Topology.objects.values_list("name", "version")) == [("Orders", 1)]


def test_deleting_asks_first_then_deletes_on_post(as_alice: Client, alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology

    confirm = as_alice.get(f"/topologies/{topology.pk}/delete/")
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.content.decode()
    assert Topology.objects.exists()

    response = as_alice.post(f"/topologies/{topology.pk}/delete/")
    assert response.status_code == 302
    assert not Topology.objects.exists()


def test_the_designer_page_passes_its_configuration_as_json(as_alice: Client, alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology

    response = as_alice.get(f"/topologies/{topology.pk}/")

    assert response.status_code == 200
    found = re.search(r'<script id="designer-config" type="application/json">(.*?)</script>',
                      response.content.decode(), re.DOTALL)
    assert found, "the page has no #designer-config json_script"
    assert json.loads(found.group(1)) == {
        "topology_id": topology.pk, "user": "alice", "csrf_header": "X-CSRFToken", "template": None,
        "urls": {"catalog": "/api/catalog/", "topology": f"/api/topologies/{topology.pk}/",
                 "validate": f"/api/topologies/{topology.pk}/validate/",
                 "versions": f"/api/topologies/{topology.pk}/versions/", "topologies": "/api/topologies/",
                 "home": "/", "history": f"/topologies/{topology.pk}/history/"},
    }


def test_the_designer_page_names_the_template_a_topology_started_from(as_alice: Client, alice: Any) -> None:
    topology = services.create_topology(alice, template_id="fifo-ordering").topology

    page = as_alice.get(f"/topologies/{topology.pk}/").content.decode()

    assert '"template": "fifo-ordering"' in page


def test_the_history_lists_every_version_newest_first(as_alice: Client, alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology
    services.rename_topology(topology, "Order intake", alice)

    page = as_alice.get(f"/topologies/{topology.pk}/history/").content.decode()

    assert re.findall(r'data-version="(\d+)"', page) == ["2", "1"]
    assert f'action="/topologies/{topology.pk}/history/1/restore/"' in page
    assert f'action="/topologies/{topology.pk}/history/2/restore/"' not in page  # the latest


def test_restoring_from_the_history_saves_the_old_version_as_the_newest(as_alice: Client, alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology
    services.rename_topology(topology, "Order intake", alice)

    response = as_alice.post(f"/topologies/{topology.pk}/history/1/restore/")

    assert response["Location"] == f"/topologies/{topology.pk}/"
    topology.refresh_from_db()
    assert (topology.version, topology.name) == (3, "Orders")
    assert as_alice.post(f"/topologies/{topology.pk}/history/9/restore/").status_code == 404


def test_charlie_gets_404_from_every_page_of_alices_topology(alice: Any, charlie: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology
    client = Client()
    client.force_login(charlie)

    assert client.get(f"/topologies/{topology.pk}/").status_code == 404
    assert client.get(f"/topologies/{topology.pk}/delete/").status_code == 404
    assert client.post(f"/topologies/{topology.pk}/delete/").status_code == 404
    assert client.post(f"/topologies/{topology.pk}/rename/", {"name": "Mine"}).status_code == 404
    assert client.get(f"/topologies/{topology.pk}/history/").status_code == 404
    assert client.post(f"/topologies/{topology.pk}/history/1/restore/").status_code == 404
    topology.refresh_from_db()
    assert topology.name == "Orders"


@pytest.mark.parametrize("url", ["/", "/topologies/1/", "/topologies/1/delete/"])
def test_an_anonymous_visitor_is_sent_to_log_in(client: Client, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_the_list_forms_carry_the_csrf_token(alice: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    assert client.post("/topologies/new/", {"name": "Orders"}).status_code == 403
    assert not Topology.objects.exists()
    page = client.get("/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    assert client.post("/topologies/new/", {"name": "Orders", "csrfmiddlewaretoken": token.group(1)}).status_code == 302


def test_creating_past_the_quota_is_refused_with_a_message(as_alice: Client, settings: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "MB", 1)
    settings.WIRETAP_QUOTA_TOPOLOGIES_MB = 100  # 100 bytes: not even the template fits

    response = as_alice.post("/topologies/new/", {"template": "scalable-webhook"}, follow=True)

    assert not Topology.objects.exists()
    assert escape("Could not create the topology: your topologies' versions store 0.0 MB") in response.content.decode()
