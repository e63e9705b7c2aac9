"""designer/services.py: creating, saving (optimistically), restoring, renaming, deleting."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from designer import services
from designer.models import Topology, TopologyVersion
from emulator.topology import FORMAT

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def webhook() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / "scalable-webhook" / "topology.json").read_text())
    return document


def test_a_new_topology_starts_empty_at_version_1(alice: Any) -> None:
    version = services.create_topology(alice, name="Orders")

    assert version.number == 1
    assert version.topology.name == "Orders"
    assert version.topology.owner == alice
    assert version.author == alice
    assert version.document == {"format": FORMAT, "name": "Orders", "components": [], "connections": [],
                                "groups": []}


def test_a_topology_from_a_template_copies_its_topology_and_takes_its_name(alice: Any) -> None:
    version = services.create_topology(alice, template_id="sqs-lambda-dlq")

    assert version.topology.name == "SQS -> Lambda with a dead-letter queue"
    expected = json.loads((EXAMPLES / "sqs-lambda-dlq" / "topology.json").read_text())
    assert version.document == {**expected, "name": "SQS -> Lambda with a dead-letter queue"}


def test_a_topology_from_a_document_keeps_it_under_the_name_given(alice: Any) -> None:
    document = webhook()
    version = services.create_topology(alice, name="Mine", document=document)

    assert version.document == {**document, "name": "Mine"}
    assert version.topology.name == "Mine"


def test_a_topology_from_a_document_without_a_name_takes_the_documents(alice: Any) -> None:
    assert services.create_topology(alice, document=webhook()).topology.name == "Scalable Webhook"


def test_an_unknown_template_is_invalid(alice: Any) -> None:
    with pytest.raises(services.InvalidInput) as raised:
        services.create_topology(alice, template_id="no-such-pattern")

    assert [p.pointer for p in raised.value.problems] == ["/template"]
    assert not Topology.objects.exists()


@pytest.mark.parametrize("name, message", [("   ", "must not be blank"), (42, "must be a string"),
                                           ("x" * 201, "at most 200 characters")])
def test_a_bad_name_is_invalid(alice: Any, name: Any, message: str) -> None:
    with pytest.raises(services.InvalidInput) as raised:
        services.create_topology(alice, name=name)

    assert raised.value.problems[0].pointer == "/name"
    assert message in raised.value.problems[0].message


def test_saving_adds_the_next_version_and_keeps_the_old_one(alice: Any, bob: Any) -> None:
    first = services.create_topology(alice, name="Orders")
    changed = webhook()

    second = services.save_topology(first.topology, 1, changed, bob, name="Webhook")

    assert second.number == 2
    assert second.author == bob
    first.topology.refresh_from_db()
    assert (first.topology.version, first.topology.name) == (2, "Webhook")
    assert services.get_version(first.topology, 1).document["components"] == []
    assert services.latest_version(first.topology).document == {**changed, "name": "Webhook"}


def test_a_save_without_a_name_takes_the_documents_name(alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology

    services.save_topology(topology, 1, webhook(), alice)

    topology.refresh_from_db()
    assert topology.name == "Scalable Webhook"


def test_a_save_of_a_nameless_document_keeps_the_topologys_name(alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology
    nameless = {"format": FORMAT, "components": []}

    saved = services.save_topology(topology, 1, nameless, alice)

    assert saved.document == {**nameless, "name": "Orders"}
    assert saved.topology.name == "Orders"


def test_saving_from_a_stale_version_conflicts_and_writes_nothing(alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology
    services.save_topology(topology, 1, webhook(), alice, name="Orders")
    mine = services.latest_version(topology).document

    with pytest.raises(services.Conflict) as raised:
        services.save_topology(topology, 1, services.empty_document("Other"), alice, name="Other")

    assert raised.value.topology.version == 2
    assert "version 2, not 1" in str(raised.value)
    topology.refresh_from_db()
    assert (topology.version, topology.name) == (2, "Orders")
    assert topology.versions.count() == 2
    assert services.latest_version(topology).document == mine


def test_a_version_number_taken_by_a_concurrent_save_conflicts_and_writes_nothing(alice: Any) -> None:
    # As if another save had inserted version 2 between this save's claim and its insert: the
    # unique constraint refuses the second version 2 and the claim is rolled back with it.
    topology = services.create_topology(alice, name="Orders").topology
    TopologyVersion.objects.create(topology=topology, number=2, document=webhook(), author=alice)

    with pytest.raises(services.Conflict):
        services.save_topology(topology, 1, services.empty_document("Lost?"), alice)

    topology.refresh_from_db()
    assert (topology.version, topology.name) == (1, "Orders")
    assert services.get_version(topology, 2).document == webhook()


@pytest.mark.parametrize("base_version", [0, -1, "1", None, True, 1.5])
def test_a_base_version_that_is_not_a_version_number_is_invalid(alice: Any, base_version: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology

    with pytest.raises(services.InvalidInput) as raised:
        services.save_topology(topology, base_version, webhook(), alice)

    assert [p.pointer for p in raised.value.problems] == ["/version"]


def test_saving_accepts_an_unfinished_design(alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology
    unfinished = {"format": FORMAT, "components": [{"id": "Worker", "kind": "lambda",
                                                    "properties": {"Timeout": "soon"}},
                                                   {"id": "Mystery", "kind": "quantum"}],
                  "connections": [{"source": "Worker", "target": "Nowhere", "role": "request"}]}

    saved = services.save_topology(topology, 1, unfinished, alice)

    assert saved.document == {**unfinished, "name": "Orders"}
    assert {p.pointer for p in services.validate_document(unfinished)} >= {
        "/components/0/properties/Timeout", "/components/1/kind", "/connections/0/target"}


@pytest.mark.parametrize("document, pointers", [
    ([], ["/document"]),
    ("topology", ["/document"]),
    ({"components": []}, ["/document/format"]),
    ({"format": "wiretap.workload/1", "components": []}, ["/document/format"]),
    ({"format": FORMAT}, ["/document/components"]),
    ({"format": FORMAT, "components": {}, "connections": "none", "groups": 3},
     ["/document/components", "/document/connections", "/document/groups"]),
])
def test_a_document_that_is_not_a_topology_is_refused(alice: Any, document: Any, pointers: list[str]) -> None:
    topology = services.create_topology(alice, name="Orders").topology

    with pytest.raises(services.InvalidInput) as raised:
        services.save_topology(topology, 1, document, alice)

    assert [p.pointer for p in raised.value.problems] == pointers
    assert topology.versions.count() == 1


def test_restoring_saves_an_old_document_as_a_new_version_with_its_name(alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology
    services.save_topology(topology, 1, webhook(), alice)

    restored = services.restore_version(topology, 1, 2, alice)

    assert restored.number == 3
    assert restored.document == services.get_version(topology, 1).document
    assert restored.topology.name == "Orders"
    assert [v.number for v in services.list_versions(topology)] == [3, 2, 1]


def test_restoring_from_a_stale_version_conflicts(alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology
    services.save_topology(topology, 1, webhook(), alice)

    with pytest.raises(services.Conflict):
        services.restore_version(topology, 1, 1, alice)

    assert topology.versions.count() == 2


def test_restoring_a_missing_version_raises_does_not_exist(alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology

    with pytest.raises(TopologyVersion.DoesNotExist):
        services.restore_version(topology, 7, 1, alice)


def test_renaming_saves_a_version_under_the_new_name(alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders", document=webhook()).topology

    renamed = services.rename_topology(topology, "  Order   intake ", alice)

    topology.refresh_from_db()
    assert (topology.name, topology.version) == ("Order intake", 2)
    assert renamed.document == {**webhook(), "name": "Order intake"}


def test_renaming_to_the_same_name_adds_no_version(alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology

    services.rename_topology(topology, " Orders ", alice)

    assert topology.versions.count() == 1


def test_a_designer_open_before_a_rename_conflicts_instead_of_undoing_it(alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology
    services.rename_topology(topology, "Order intake", alice)

    with pytest.raises(services.Conflict):
        services.save_topology(topology, 1, services.empty_document("Orders"), alice, name="Orders")

    topology.refresh_from_db()
    assert topology.name == "Order intake"


def test_each_user_lists_only_their_own_topologies_newest_first(alice: Any, charlie: Any) -> None:
    older = services.create_topology(alice, name="Older").topology
    newer = services.create_topology(alice, name="Newer").topology
    services.create_topology(charlie, name="Charlie's")

    listed = list(services.topologies_of(alice))

    assert [t.pk for t in listed] == [newer.pk, older.pk]
    assert listed[0].updated_by == "alice"
    with pytest.raises(Topology.DoesNotExist):
        services.topology_of(charlie, older.pk)


def test_deleting_removes_every_version(alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology
    services.save_topology(topology, 1, webhook(), alice)

    services.delete_topology(topology)

    assert not Topology.objects.exists()
    assert not TopologyVersion.objects.exists()


def test_the_author_of_a_version_outlives_their_account(alice: Any, bob: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology
    services.save_topology(topology, 1, copy.deepcopy(webhook()), bob)

    bob.delete()

    assert services.latest_version(topology).author_name is None


# Quota --------------------------------------------------------------------------------------------

@pytest.fixture
def kilobyte_quota(settings: Any, monkeypatch: pytest.MonkeyPatch) -> int:
    """A quota of versions of 20 "MB" that are kilobytes: 20,000 bytes."""
    monkeypatch.setattr(services, "MB", 1_000)
    settings.WIRETAP_QUOTA_TOPOLOGIES_MB = 20
    return 20_000


def test_every_version_measures_its_document(alice: Any) -> None:
    version = services.save_topology(services.create_topology(alice, name="Orders").topology, 1, webhook(), alice)

    assert version.size_bytes == len(json.dumps(version.document)) > 1_000
    assert services.versions_bytes(alice.pk) == sum(TopologyVersion.objects.values_list("size_bytes", flat=True))


def test_a_version_past_the_owners_quota_is_refused_and_nothing_is_written(alice: Any, kilobyte_quota: int) -> None:
    topology = services.create_topology(alice, name="Orders").topology
    while services.versions_bytes(alice.pk) + len(json.dumps({**webhook(), "name": "Orders"})) <= kilobyte_quota:
        services.save_topology(topology, topology.version, webhook(), alice, name="Orders")
        topology.refresh_from_db()
    versions = topology.version

    with pytest.raises(services.QuotaExceeded) as full:
        services.save_topology(topology, versions, webhook(), alice, name="Orders")

    assert (full.value.quota, full.value.setting, full.value.limit_bytes) == (
        "topologies", "WIRETAP_QUOTA_TOPOLOGIES_MB", kilobyte_quota)
    assert "quota of 20 MB" in str(full.value) and "nothing was saved" in str(full.value)
    topology.refresh_from_db()
    assert topology.version == versions == TopologyVersion.objects.filter(topology=topology).count()
    for write in (lambda: services.create_topology(alice, template_id="scalable-webhook"),
                  lambda: services.restore_version(topology, 2, versions, alice),
                  lambda: services.rename_topology(topology, "Invoices", alice)):
        with pytest.raises(services.QuotaExceeded):
            write()
    assert TopologyVersion.objects.count() == versions


def test_the_quota_counts_only_the_owners_versions(alice: Any, charlie: Any, kilobyte_quota: int) -> None:
    topology = services.create_topology(alice, name="Orders").topology
    services.save_topology(topology, 1, {**webhook(), "padding": "x" * (kilobyte_quota - 3_000)}, alice)

    assert services.create_topology(charlie, template_id="scalable-webhook").number == 1
