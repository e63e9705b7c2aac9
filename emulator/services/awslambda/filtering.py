"""Event filtering on event source mappings: FilterCriteria, validated and compiled once per mapping.

Rules (Lambda developer guide: "Control which events Lambda sends to your function",
https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html, with its pages for
SQS, Kinesis and DynamoDB; the Filter and FilterCriteria API reference):

- FilterCriteria is {"Filters": [{"Pattern": "<JSON text>"}, ...]}: at most 5 filters, each
  Pattern a string of at most 4,096 characters holding an EventBridge-style event pattern.
- A record goes to the function when ANY filter matches it; the others never reach it.
- A pattern matches the record as Lambda sees it. SQS: ``body`` (the parsed JSON object when the
  body is one, else the plain text, so a pattern on body fields never matches a plain body),
  ``attributes``, ``messageAttributes``. Kinesis: ``data`` (likewise the payload's JSON object, or
  its text), ``partitionKey``, ``sequenceNumber``, ``approximateArrivalTimestamp``,
  ``kinesisSchemaVersion``. DynamoDB streams: the stream record (``eventName``, ``dynamodb`` with
  ``Keys``, ``NewImage``, ``OldImage`` as the record carries them).
- SQS deletes a message that matches no filter without invoking the function; a stream mapping
  moves its checkpoint past such a record. Both count it in FilteredOutEventCount, and every
  record read in PolledEventCount (the event source mapping's EventCount metrics).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from emulator.definitions import Field
from emulator.matching import InvalidPatternError, compile_event_pattern
from emulator.tracing import EPOCH

if TYPE_CHECKING:
    from emulator.messages import Message
    from emulator.services.shards import StreamRecord
    from emulator.services.sqs import Delivery

MAXIMUM_FILTERS: Final = 5
MAXIMUM_PATTERN_LENGTH: Final = 4096

Filters = Callable[[Mapping[str, Any]], bool]


def _pattern_problem(text: str) -> str | None:
    try:
        pattern = json.loads(text)
    except ValueError as error:
        return f"is not JSON ({error})"
    except RecursionError:
        return "nests too deeply to be an event pattern"
    try:
        compile_event_pattern(pattern)
    except InvalidPatternError as error:
        return f"is not a valid filter pattern: {error}"
    return None


FILTER_CRITERIA = Field(
    "FilterCriteria", "object", None,
    '{"Filters": [{"Pattern": "<event pattern JSON>"}]}, at most 5: a record invokes the function when '
    "any pattern matches it (SQS: body, attributes, messageAttributes; Kinesis: data, partitionKey; "
    "DynamoDB: eventName, dynamodb.Keys/NewImage/OldImage). Others are deleted (SQS) or skipped "
    '(streams) unseen (Lambda guide: "Control which events Lambda sends to your function").',
    fields=(Field("Filters", "array", [], "The filters; an empty list removes filtering.", max_size=MAXIMUM_FILTERS,
                  items=Field("filter", "object", None, 'One filter: {"Pattern": "<event pattern JSON>"}.', fields=(
                      Field("Pattern", "string", None, 'The event pattern as JSON text, e.g. '
                            '"{\\"body\\": {\\"type\\": [\\"order\\"]}}".', required=True,
                            max_size=MAXIMUM_PATTERN_LENGTH, check=_pattern_problem),
                  ))),),
)


def compile_filters(criteria: Mapping[str, Any] | None) -> Filters | None:
    """``record document -> bool``: whether any filter matches (None when there is no filter: every
    record goes to the function). ``criteria`` has FILTER_CRITERIA's shape (the loader checked it)."""
    if criteria is None:
        return None
    matchers = [compile_event_pattern(json.loads(item["Pattern"])) for item in criteria.get("Filters", [])]
    if not matchers:
        return None  # an empty FilterCriteria is how a mapping's filters are removed: every record goes
    if len(matchers) == 1:
        return matchers[0]

    def any_filter(document: Mapping[str, Any]) -> bool:
        return any(match(document) for match in matchers)

    return any_filter


def _content(message: Message) -> Any:
    """A payload as filters see it: its JSON object when it is one, else its text."""
    payload = message.payload
    if isinstance(payload, dict):
        return payload
    text = message.body.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return parsed if isinstance(parsed, dict) else text


def _attribute(value: Any) -> dict[str, str]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"stringValue": json.dumps(value), "dataType": "Number"}
    return {"stringValue": value if isinstance(value, str) else json.dumps(value), "dataType": "String"}


def sqs_document(delivery: Delivery) -> dict[str, Any]:
    """An SQS message as Lambda's filters see it (the fields of the record in the function's event)."""
    message = delivery.message
    attributes = {"ApproximateReceiveCount": str(delivery.receive_count),
                  "SentTimestamp": str(int((EPOCH + message.sent_at) * 1000))}
    if message.group_id is not None:
        attributes["MessageGroupId"] = message.group_id
    return {"body": _content(message), "attributes": attributes,
            "messageAttributes": {name: _attribute(value) for name, value in message.attributes.items()}}


def kinesis_document(record: StreamRecord) -> dict[str, Any]:
    """A Kinesis record as Lambda's filters see it: the record's ``kinesis`` fields, ``data`` decoded."""
    return {"kinesisSchemaVersion": "1.0", "partitionKey": record.partition_key,
            "sequenceNumber": record.sequence_number, "approximateArrivalTimestamp": EPOCH + record.arrival,
            "data": _content(record.message)}


def dynamodb_document(record: StreamRecord) -> dict[str, Any]:
    """A DynamoDB stream record as Lambda's filters see it: the record itself."""
    payload = record.message.payload
    return payload if isinstance(payload, dict) else {}
