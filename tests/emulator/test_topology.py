"""Loading topology documents: every problem at once, with JSON pointers and what is valid."""

from __future__ import annotations

import pytest

from emulator.findings import validate
from emulator.problems import InvalidDocument
from emulator.topology import check_topology, load_topology
from tests.emulator.scenario import topology


def messages(document: dict) -> list[str]:
    return [str(problem) for problem in check_topology(document)]


def test_omitted_properties_take_the_aws_defaults() -> None:
    loaded = load_topology(topology([{"id": "Worker", "kind": "lambda"}]))
    properties = loaded.components["Worker"].properties
    assert properties["Timeout"] == 3
    assert properties["MemorySize"] == 128
    assert properties["MaximumRetryAttempts"] == 2


def test_every_problem_is_reported_at_once_with_its_pointer() -> None:
    document = topology(
        [{"id": "Worker", "kind": "lambda", "properties": {"Timeout": 901, "Memory": 128}},
         {"id": "9bad", "kind": "lambda"},
         {"id": "Thing", "kind": "mainframe"}],
        [{"source": "Worker", "target": "Nowhere", "role": "request"}],
    )
    found = messages(document)
    assert any(m.startswith("error /components/0/properties/Timeout (Worker): Timeout must be between 1 and 900")
               for m in found)
    assert any("/components/0/properties/Memory" in m and "valid: Timeout, MemorySize" in m for m in found)
    assert any("/components/1/id" in m for m in found)
    assert any("/components/2/kind" in m and "valid kinds:" in m for m in found)
    assert any("/connections/0/target" in m for m in found)
    assert len(found) == 5


def test_a_role_invalid_for_the_pair_names_the_valid_roles() -> None:
    document = topology([{"id": "Queue", "kind": "sqs"}, {"id": "Worker", "kind": "lambda"}],
                        [{"source": "Queue", "target": "Worker", "role": "subscription"}])
    (found,) = messages(document)
    assert "a subscription connection cannot go from sqs to lambda" in found
    assert "valid roles from sqs to lambda: event_source" in found


def test_an_ill_typed_property_is_an_error_naming_the_type() -> None:
    document = topology([{"id": "Worker", "kind": "lambda", "properties": {"Timeout": "thirty"}}])
    (found,) = messages(document)
    assert "Timeout must be an integer, got the string 'thirty'" in found


def test_a_property_only_valid_for_other_pairs_is_refused() -> None:
    document = topology([{"id": "Queue", "kind": "sqs"}, {"id": "Worker", "kind": "lambda"}],
                        [{"source": "Queue", "target": "Worker", "role": "event_source",
                          "properties": {"BisectBatchOnFunctionError": True}}])
    (found,) = messages(document)
    assert "/connections/0/properties/BisectBatchOnFunctionError" in found


def test_a_queue_redrive_needs_max_receive_count() -> None:
    document = topology([{"id": "Queue", "kind": "sqs"}, {"id": "Dlq", "kind": "sqs"}],
                        [{"source": "Queue", "target": "Dlq", "role": "dead_letter", "properties": {}}])
    (found,) = messages(document)
    assert found.startswith("error /connections/0/properties/maxReceiveCount ")
    # Without properties at all, the problem is where they would be (found by the property tests: it
    # pointed into properties the connection did not have).
    del document["connections"][0]["properties"]
    (found,) = messages(document)
    assert found.startswith("error /connections/0/properties ") and "maxReceiveCount" in found


def test_an_invalid_when_pattern_is_reported_with_aws_reason() -> None:
    document = topology([{"id": "Router", "kind": "lambda"}, {"id": "Worker", "kind": "lambda"}],
                        [{"source": "Router", "target": "Worker", "role": "request",
                          "properties": {"when": {"type": []}}}])
    (found,) = messages(document)
    assert "/connections/0/properties/when" in found and "Empty arrays are not allowed" in found


def test_durations_accept_a_number_or_median_and_p99() -> None:
    good = topology([{"id": "Worker", "kind": "lambda", "behavior": {"duration_ms": {"median": 20, "p99": 90}}}])
    assert messages(good) == []
    bad = topology([{"id": "Worker", "kind": "lambda", "behavior": {"duration_ms": {"median": 90, "p99": 20}}}])
    assert "must not be below the median" in messages(bad)[0]


def test_wrong_format_and_unknown_top_level_fields_are_errors() -> None:
    with pytest.raises(InvalidDocument) as error:
        load_topology({"format": "wiretap.topology/2", "components": [], "extra": 1})
    text = str(error.value)
    assert '/format: must be "wiretap.topology/1"' in text and "/extra: unknown field" in text


def test_duplicate_ids_are_refused() -> None:
    document = topology([{"id": "Worker", "kind": "lambda"}, {"id": "Worker", "kind": "lambda"}])
    assert "duplicate id 'Worker'" in messages(document)[0]


# Shapes of object- and array-valued properties ---------------------------------------------------------------------
STREAM = [{"id": "Clicks", "kind": "kinesis"}, {"id": "Worker", "kind": "lambda"}, {"id": "Skipped", "kind": "sqs"}]


def stream_mapping(**properties: object) -> dict:
    return topology(STREAM, [{"source": "Clicks", "target": "Worker", "role": "event_source",
                              "properties": properties}])


def test_an_on_failure_destination_given_as_a_string_is_refused_at_on_failure() -> None:
    # It passed validate and then crashed the run: 'str' object has no attribute 'get'.
    document = stream_mapping(DestinationConfig={"OnFailure": "Skipped"})
    (found,) = check_topology(document)
    assert found.pointer == "/connections/0/properties/DestinationConfig/OnFailure"
    assert found.message == "OnFailure must be an object, got the string 'Skipped'"
    assert found.subject == "Clicks -> Worker (event_source)"
    assert [p.pointer for p in validate(document) if p.severity == "error"] == [found.pointer]


def test_every_part_of_an_ill_shaped_object_is_reported_at_once_at_its_own_pointer() -> None:
    document = topology([{"id": "Bus", "kind": "eventbridge"}, {"id": "Queue", "kind": "sqs"}],
                        [{"source": "Bus", "target": "Queue", "role": "rule", "properties": {"RetryPolicy": {
                            "MaximumRetryAttempts": "3", "MaximumEventAgeInSeconds": 10, "Tries": 1}}}])
    where = "/connections/0/properties/RetryPolicy"
    assert {p.pointer: p.message for p in check_topology(document)} == {
        f"{where}/Tries": "unknown RetryPolicy key 'Tries'; valid: MaximumRetryAttempts, MaximumEventAgeInSeconds",
        f"{where}/MaximumRetryAttempts": "MaximumRetryAttempts must be an integer, got the string '3'",
        f"{where}/MaximumEventAgeInSeconds": "MaximumEventAgeInSeconds must be between 60 and 86400 seconds, got 10",
    }


def test_a_missing_required_key_is_reported_where_it_would_be() -> None:
    document = topology([{"id": "Topic", "kind": "sns"}, {"id": "Queue", "kind": "sqs"}],
                        [{"source": "Topic", "target": "Queue", "role": "subscription",
                          "properties": {"RedrivePolicy": {}}}])
    (found,) = check_topology(document)
    assert found.pointer == "/connections/0/properties/RedrivePolicy/deadLetterTargetArn"
    assert found.message.startswith("RedrivePolicy needs deadLetterTargetArn: ")


def test_a_reference_inside_an_object_must_name_a_component_that_exists() -> None:
    (found,) = check_topology(stream_mapping(DestinationConfig={"OnFailure": {"Destination": "Nowhere"}}))
    assert found.pointer == "/connections/0/properties/DestinationConfig/OnFailure/Destination"
    assert "must name a component id, got \"Nowhere\"; components: Clicks, Worker, Skipped" in found.message


@pytest.mark.parametrize(("value", "says"), [
    ([], "must not be empty (at least 1 items)"),
    (["s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete", "x"],
     "must have at most 4 items, got 5"),
])
def test_lists_are_refused_empty_or_too_long(value: list[str], says: str) -> None:
    document = topology([{"id": "Bucket", "kind": "s3"}, {"id": "Worker", "kind": "lambda"}],
                        [{"source": "Bucket", "target": "Worker", "role": "notification",
                          "properties": {"Events": value}}])
    assert any(p.pointer == "/connections/0/properties/Events" and says in p.message for p in check_topology(document))


@pytest.mark.parametrize(("section", "name", "value", "says"), [
    ("properties", "Timeout", float("inf"), "Timeout must be a finite number"),
    ("properties", "Timeout", float("nan"), "Timeout must be a finite number"),
    ("properties", "Timeout", 1e300, "Timeout must be between 1 and 900 seconds, got 1e+300"),
    pytest.param("properties", "MemorySize", 10**400, "an integer of 1329 bits", id="an-integer-of-400-digits"),
    ("behavior", "idle_timeout_s", 1e18, "idle_timeout_s must be between 0 and 86400 seconds"),
    ("behavior", "duration_ms", 1e300, "duration_ms must be at most 3600000 ms, got 1e+300"),
    ("behavior", "duration_ms", {"median": 1e-300, "p99": 1},
     "median must be between 0.001 and 3600000 ms, got 1e-300"),
])
def test_extreme_and_non_finite_numbers_are_refused(section: str, name: str, value: object, says: str) -> None:
    (found,) = check_topology(topology([{"id": "Worker", "kind": "lambda", section: {name: value}}]))
    assert found.pointer.startswith(f"/components/0/{section}/{name}") and says in found.message


def test_each_problem_of_a_state_machine_definition_is_reported_at_its_state() -> None:
    definition = {"StartAt": "Nowhere", "States": {"Work": {"Type": "Pass", "Next": "Missing"}}}
    document = topology([{"id": "Flow", "kind": "stepfunctions", "properties": {"Definition": definition}}])
    pointers = [p.pointer for p in check_topology(document)]
    assert "/components/0/properties/Definition/StartAt" in pointers
    assert any(p.startswith("/components/0/properties/Definition/States/Work") for p in pointers)


def test_position_label_name_and_groups_must_have_their_shape() -> None:
    document = topology([{"id": "Worker", "kind": "lambda", "position": {"x": "left", "y": 1e9}, "label": 7}])
    document["name"] = ["not", "a", "name"]
    document["groups"] = [{"id": "G", "members": ["Worker", 3, "Ghost"]}, "group"]
    assert sorted(p.pointer for p in check_topology(document)) == [
        "/components/0/label", "/components/0/position/x", "/components/0/position/y",
        "/groups/0/members/1", "/groups/0/members/2", "/groups/1", "/name"]


def test_the_rules_across_fields_are_checked_on_what_is_well_formed_when_the_shape_is_not() -> None:
    # A shape error and a rule error in one document: both are reported, at once.
    document = topology([{"id": "Worker", "kind": "lambda", "properties": {"Architectures": "arm64"}},
                         {"id": "Inbox", "kind": "sqs", "properties": {"ContentBasedDeduplication": True}}])
    assert sorted(p.pointer for p in check_topology(document)) == [
        "/components/0/properties/Architectures", "/components/1/properties/ContentBasedDeduplication"]
    with pytest.raises(InvalidDocument) as refused:
        load_topology(document)
    assert len(refused.value.problems) == 2


def test_a_rule_about_a_property_of_a_connection_without_properties_points_at_where_they_would_be() -> None:
    # Found by the property tests: /connections/0/properties/SqsParameters named a part of a missing object.
    document = topology([{"id": "Bus", "kind": "eventbridge"},
                         {"id": "Orders", "kind": "sqs", "properties": {"FifoQueue": True}}],
                        [{"source": "Bus", "target": "Orders", "role": "rule"}])
    (found,) = check_topology(document)
    assert found.pointer == "/connections/0/properties" and "SqsParameters" in found.message


@pytest.mark.parametrize("properties", [None, [], "3"])
def test_a_redrive_whose_properties_are_not_an_object_is_refused_at_the_properties(properties: object) -> None:
    document = topology([{"id": "Queue", "kind": "sqs"}, {"id": "Dlq", "kind": "sqs"}],
                        [{"source": "Queue", "target": "Dlq", "role": "dead_letter", "properties": properties}])
    assert {p.pointer for p in check_topology(document)} == {"/connections/0/properties"}
