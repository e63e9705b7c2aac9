"""The catalog, as the designer will read it: kinds with JSON Schemas and roles with their pairs."""

from __future__ import annotations

import jsonschema

from emulator.catalog import KINDS, describe, roles_between


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
