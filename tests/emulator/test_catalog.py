"""The catalog, as the designer will read it: kinds with JSON Schemas and roles with their pairs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema

from emulator.catalog import KINDS, ROLES, describe, roles_between
from emulator.definitions import Field

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_each_kind_has_a_valid_json_schema_with_aws_defaults_and_ranges() -> None:
    catalog = describe()
    kinds = {kind["name"]: kind for kind in catalog["kinds"]}
    assert set(kinds) == set(KINDS)
    for kind in kinds.values():
        jsonschema.Draft202012Validator.check_schema(kind["properties"])
        jsonschema.Draft202012Validator.check_schema(kind["behavior"])
    timeout = kinds["lambda"]["properties"]["properties"]["Timeout"]
    assert (timeout["default"], timeout["minimum"], timeout["maximum"], timeout["x-unit"]) == (3, 1, 900, "seconds")
    assert kinds["sqs"]["cloudformation_type"] == "AWS::SQS::Queue"


def test_the_schema_accepts_the_defaults_and_refuses_values_out_of_range() -> None:
    schema = next(k for k in describe()["kinds"] if k["name"] == "sqs")["properties"]
    jsonschema.validate({"VisibilityTimeout": 30}, schema)
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors({"VisibilityTimeout": 50000}))
    assert errors and "50000" in errors[0].message


def test_roles_list_only_pairs_of_kinds_that_exist() -> None:
    for role in describe()["roles"]:
        assert all(source in KINDS and target in KINDS for source, target in role["pairs"])
    assert roles_between("sqs", "lambda") == ["event_source"]
    assert roles_between("rds", "sqs") == []


def test_a_duration_schema_offers_a_fixed_time_or_a_median_above_zero_and_a_p99() -> None:
    behavior = next(k for k in describe()["kinds"] if k["name"] == "lambda")["behavior"]
    duration = behavior["properties"]["duration_ms"]
    assert [option["title"] for option in duration["oneOf"]] == ["Fixed", "Median and p99"]
    assert duration["x-unit"] == "ms"
    validator = jsonschema.Draft202012Validator(behavior)
    for good in (0, 30, {"median": 120, "p99": 800}):
        assert not list(validator.iter_errors({"duration_ms": good})), good
    for bad in (-1, {"median": 0, "p99": 10}, {"median": 10}, {"median": 10, "p99": 20, "mean": 12}):
        assert list(validator.iter_errors({"duration_ms": bad})), bad


def _walk(field: Field, path: str) -> Iterator[tuple[str, Field]]:
    yield path, field
    for child in field.fields:
        yield from _walk(child, f"{path}/{child.name}")
    for part, name in ((field.items, "[]"), (field.values, "{}"), (field.keys, "<key>")):
        if part is not None:
            yield from _walk(part, path + name)


def every_field() -> Iterator[tuple[str, Field]]:
    for kind in KINDS.values():
        for section, fields in (("properties", kind.properties), ("behavior", kind.behavior)):
            for field in fields:
                yield from _walk(field, f"{kind.name}.{section}.{field.name}")
    for role in ROLES.values():
        for field in role.properties:
            yield from _walk(field, f"{role.name}.{field.name}")


def test_every_object_and_array_field_declares_its_shape() -> None:
    free = [path for path, field in every_field()
            if (field.type == "object" and not field.fields and field.values is None
                and field.check is None and field.check_parts is None)
            or (field.type == "array" and field.items is None)]
    assert free == []


def test_every_number_has_a_range() -> None:
    # (Durations without a maximum of their own take MAX_DURATION_MS.)
    unbounded = [path for path, field in every_field() if field.type in ("integer", "number")
                 and (field.minimum is None or field.maximum is None)]
    assert unbounded == []


def test_each_role_has_a_valid_json_schema_describing_nested_shapes() -> None:
    roles = {role["name"]: role for role in describe()["roles"]}
    for role in roles.values():
        jsonschema.Draft202012Validator.check_schema(role["properties"])
    destination = roles["event_source"]["properties"]["properties"]["DestinationConfig"]
    on_failure = destination["properties"]["OnFailure"]
    assert on_failure["required"] == ["Destination"] and on_failure["additionalProperties"] is False
    assert on_failure["properties"]["Destination"]["x-references"] == "component"
    events = roles["notification"]["properties"]["properties"]["Events"]
    assert (events["minItems"], events["items"]["enum"][0]) == (1, "s3:ObjectCreated:*")


def test_the_schema_refuses_what_the_loader_refuses_at_the_same_pointer() -> None:
    schema = next(role for role in describe()["roles"] if role["name"] == "event_source")["properties"]
    value = {"DestinationConfig": {"OnFailure": "Skipped"}}
    [error] = jsonschema.Draft202012Validator(schema).iter_errors(value)
    assert "/" + "/".join(str(part) for part in error.absolute_path) == "/DestinationConfig/OnFailure"


def test_every_example_fits_the_schema_of_its_kinds_and_roles() -> None:
    catalog = describe()
    kinds = {kind["name"]: kind for kind in catalog["kinds"]}
    roles = {role["name"]: role for role in catalog["roles"]}
    for path in sorted(EXAMPLES.glob("*/topology.json")):
        document = json.loads(path.read_text())
        for component in document["components"]:
            for section in ("properties", "behavior"):
                jsonschema.validate(component.get(section, {}), kinds[component["kind"]][section])
        for connection in document.get("connections", []):
            jsonschema.validate(connection.get("properties", {}), roles[connection["role"]]["properties"])
