"""Checking a state machine definition before it runs: each problem at its JSON pointer."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.stepfunctions.validation import tasks, validate


def machine(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": True, **fields}}}


@pytest.mark.parametrize(("fields", "where", "says"), [
    # Found by the property tests: ResultPath true passed, and the execution crashed on path.startswith.
    ({"ResultPath": True}, "/States/Work/ResultPath", 'ResultPath must be a JSONPath such as "$.detail" or null, '
     "got a boolean"),
    ({"InputPath": ["$.a"]}, "/States/Work/InputPath", "got an array"),
    ({"OutputPath": "detail"}, "/States/Work/OutputPath", "OutputPath is not a valid JSONPath: Illegal path"),
])
def test_a_path_field_that_is_not_a_jsonpath_is_refused_at_the_field(fields: dict[str, Any], where: str,
                                                                     says: str) -> None:
    [(pointer, message)] = validate(machine(**fields))
    assert pointer == where and says in message


def test_null_paths_are_valid_where_the_language_gives_them_a_meaning() -> None:
    assert validate(machine(InputPath=None, OutputPath=None, ResultPath=None)) == []


def test_a_catchers_result_path_and_a_retry_that_is_not_a_list_are_refused() -> None:
    definition = {"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": "Fn", "End": True, "Retry": 5,
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done", "ResultPath": 3}]},
        "Done": {"Type": "Succeed"}}}
    assert sorted(pointer for pointer, _ in validate(definition)) == [
        "/States/Work/Catch/0/ResultPath", "/States/Work/Retry"]


@pytest.mark.parametrize(("retry", "where"), [
    # Found by the property tests: "Retry": null passed and the execution crashed iterating it; an
    # entry that was not an object got a pointer into it.
    (None, "/States/Work/Retry"), (["States.ALL"], "/States/Work/Retry/0")])
def test_a_retry_that_is_null_or_holds_a_non_object_is_refused(retry: Any, where: str) -> None:
    definition = {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "Fn", "End": True,
                                                         "Retry": retry}}}
    assert [pointer for pointer, _ in validate(definition)] == [where]


def test_a_choice_rule_under_not_that_is_not_an_object_is_refused() -> None:
    definition = {"StartAt": "Pick", "States": {
        "Pick": {"Type": "Choice", "Choices": [{"Not": 5, "Next": "Done"}]}, "Done": {"Type": "Succeed"}}}
    assert validate(definition) == [("/States/Pick/Choices/0/Not", "a choice rule must be an object")]


def test_error_equals_must_list_error_names_as_strings() -> None:
    # Found by the property tests: [["States.ALL"]] passed, and the best-practice rules crashed on it.
    definition = {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "Fn", "End": True,
                                                         "Retry": [{"ErrorEquals": [["States.ALL"]]}]}}}
    [(pointer, message)] = validate(definition)
    assert pointer == "/States/Work/Retry/0/ErrorEquals" and "strings" in message


def test_fields_that_should_be_lists_do_not_crash_the_walk_over_the_states() -> None:
    # Found by the property tests: "Choices": true crashed the reachability walk; "Branches": true on
    # a Pass state crashed the walk over Tasks.
    choice = {"StartAt": "Pick", "States": {"Pick": {"Type": "Choice", "Choices": True}}}
    assert [pointer for pointer, _ in validate(choice)] == ["/States/Pick/Choices"]
    odd_pass = machine(Branches=True)
    assert validate(odd_pass) == [] and list(tasks(odd_pass)) == []


def test_a_type_or_start_at_that_is_a_list_is_refused_at_its_field() -> None:
    # Found by the property tests: "Type": ["Pass"] crashed the validator (a list is unhashable).
    definition = {"StartAt": ["Work"], "States": {"Work": {"Type": ["Pass"], "End": True}}}
    assert [pointer for pointer, _ in validate(definition)] == ["/StartAt", "/States/Work/Type"]
