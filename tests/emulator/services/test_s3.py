"""S3 buckets: objects put and deleted; event notifications by type and key filter, at least once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.scenario import balanced, run, topology


def bucket_with(notification: dict[str, Any] | None = None, target_kind: str = "lambda",
                operations: tuple[str, ...] = ("PutObject",), **behavior: Any) -> dict[str, Any]:
    """Writer0 performs the first operation on the bucket, then calls Writer1 for the next, and so on."""
    writers = [{"id": f"Writer{n}", "kind": "lambda", "behavior": {"duration_ms": 1, "cold_start_ms": 0}}
               for n in range(len(operations))]
    connections: list[dict[str, Any]] = []
    for n, operation in enumerate(operations):
        connections.append({"source": f"Writer{n}", "target": "Bucket", "role": "request",
                            "properties": {"Operation": operation}})
        if n + 1 < len(operations):
            connections.append({"source": f"Writer{n}", "target": f"Writer{n + 1}", "role": "request"})
    target = {"id": "Target", "kind": target_kind}
    if target_kind == "lambda":
        target["behavior"] = {"duration_ms": 5, "cold_start_ms": 0}
    connections.append({"source": "Bucket", "target": "Target", "role": "notification",
                        "properties": notification or {}})
    return topology([*writers, {"id": "Bucket", "kind": "s3", "behavior": {"latency_ms": 20, **behavior}}, target],
                    connections)


def objects(keys: list[str]) -> list[dict[str, Any]]:
    return [{"target": "Writer0", "rate": {"per_second": 10}, "count": len(keys),
             "payload": {"key": {"$choice": keys}}}]


def test_put_object_stores_the_object_under_its_key() -> None:
    result = run(bucket_with(), [{"target": "Writer0", "rate": {"per_second": 10}, "count": 3,
                                  "payload": {"key": "a.json"}}])
    metrics = result.component("Bucket")
    assert (metrics["PutRequests"], metrics["NumberOfObjects"]) == (3, 1)
    assert result.named("Bucket")[0].aws == {"operation": "PutObject", "bucket_name": "Bucket", "key": "a.json"}


def test_an_object_created_event_invokes_the_function_asynchronously() -> None:
    result = run(bucket_with(), objects(["a.json"]))
    target = result.component("Target")
    assert target["AsyncEventsReceived"] == 1 and target["Invocations"] == 1
    notification = next(s for s in result.named("Bucket") if s.aws and s.aws["operation"] == "Notification")
    assert notification.annotations["event_name"] == "ObjectCreated:Put"
    invocation = result.named("Target")[0]
    assert invocation.trace_id == notification.trace_id
    assert balanced(result.summary)


@pytest.mark.parametrize(("rules", "key", "notified"), [
    ([{"Name": "prefix", "Value": "images/"}], "images/cat.jpg", True),
    ([{"Name": "prefix", "Value": "images/"}], "docs/cat.jpg", False),
    ([{"Name": "suffix", "Value": ".jpg"}], "images/cat.png", False),
    ([{"Name": "prefix", "Value": "images/"}, {"Name": "suffix", "Value": ".jpg"}], "images/cat.jpg", True),
])
def test_the_key_filter_decides_which_objects_notify(rules: list[dict[str, str]], key: str, notified: bool) -> None:
    result = run(bucket_with({"Filter": {"S3Key": {"Rules": rules}}}), objects([key]))
    assert (result.component("Bucket")["NotificationsSent"] == 1) is notified


def test_only_the_configured_event_types_notify() -> None:
    created = run(bucket_with({"Events": ["s3:ObjectRemoved:*"]}, operations=("PutObject", "DeleteObject")),
                  objects(["a.json"]))
    assert created.component("Bucket")["NotificationsSent"] == 1
    names = [s.annotations["event_name"] for s in created.named("Bucket") if s.aws["operation"] == "Notification"]
    assert names == ["ObjectRemoved:Delete"]


def test_deleting_a_missing_object_notifies_no_one() -> None:
    result = run(bucket_with({"Events": ["s3:ObjectRemoved:*"]}, operations=("DeleteObject",)), objects(["a.json"]))
    assert result.component("Bucket")["DeleteRequests"] == 1
    assert result.component("Bucket")["NotificationsSent"] == 0


def test_notifications_reach_queues_and_topics() -> None:
    queue = run(bucket_with(target_kind="sqs"), objects(["a.json"]))
    assert queue.component("Target")["NumberOfMessagesSent"] == 1
    topic = run(bucket_with(target_kind="sns"), objects(["a.json"]))
    assert topic.component("Target")["NumberOfMessagesPublished"] == 1


def test_notifications_are_at_least_once() -> None:
    result = run(bucket_with(duplicate_notification_rate=1.0), objects(["a.json", "b.json"]))
    assert result.component("Target")["AsyncEventsReceived"] == 4
    assert result.summary["messages"]["duplicate_deliveries"] == 2
    assert balanced(result.summary)


def test_the_event_message_has_s3_s_structure() -> None:
    result = run(bucket_with(target_kind="sqs"), objects(["a.json"]))
    notification = next(s for s in result.named("Bucket") if s.aws["operation"] == "Notification")
    assert notification.subsegments is not None
    queue = result.sim.components["Target"]
    stored = next(iter(queue._stored.values()))  # type: ignore[attr-defined]
    record = stored.message.payload["Records"][0]
    assert record["eventSource"] == "aws:s3" and record["eventVersion"] == "2.1"
    assert record["s3"]["bucket"]["arn"] == "arn:aws:s3:::Bucket"
    assert record["s3"]["object"]["key"] == "a.json"


def test_bad_filters_and_event_types_are_refused() -> None:
    from emulator.topology import check_topology

    document = bucket_with({"Events": ["s3:ObjectCreated:Copy"], "Filter": {"Prefix": "a"}})
    pointers = sorted(p.pointer for p in check_topology(document))
    assert pointers == ["/connections/1/properties/Events/0", "/connections/1/properties/Filter/Prefix",
                        "/connections/1/properties/Filter/S3Key"]


def test_a_filter_with_two_prefix_rules_is_refused_at_its_rules() -> None:
    from emulator.topology import check_topology

    rules = [{"Name": "prefix", "Value": "a/"}, {"Name": "Prefix", "Value": "b/"}]
    [problem] = check_topology(bucket_with({"Filter": {"S3Key": {"Rules": rules}}}))
    assert problem.pointer == "/connections/1/properties/Filter/S3Key/Rules"
    assert "at most one prefix rule and one suffix rule" in problem.message


def test_a_dynamodb_operation_on_a_bucket_is_refused() -> None:
    from emulator.topology import check_topology

    document = bucket_with()
    document["connections"][0]["properties"]["Operation"] = "PutItem"
    problems = check_topology(document)
    assert [p.pointer for p in problems] == ["/connections/0/properties/Operation"]


def test_an_unavailable_bucket_answers_503_and_stores_nothing() -> None:
    result = run(bucket_with(), objects(["a.json"]), faults=[{"component": "Bucket", "kind": "unavailable",
                                                              "from_s": 0, "to_s": 10}])
    assert result.component("Bucket")["NumberOfObjects"] == 0
    assert result.component("Bucket")["5xxErrors"] >= 1
