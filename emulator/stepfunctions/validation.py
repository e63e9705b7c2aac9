"""Checking a state machine definition before it runs, with a JSON pointer for each problem.

The rules are the States Language's structure rules: StartAt names a state; every Next,
Default and Catch Next names a state of the same machine (or branch); each state that is
not terminal (Choice, Succeed, Fail) has Next or End; every state is reachable from
StartAt; a Parallel branch and a Map processor are machines of their own with the same
rules; States.ALL is alone and last in a Retry or Catch list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .choice import OPERATORS
from .paths import PathError, parse

STATE_TYPES = frozenset({"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"})
_TERMINAL = frozenset({"Choice", "Succeed", "Fail"})
_WAIT_FIELDS = ("Seconds", "Timestamp", "SecondsPath", "TimestampPath")
# Fields that hold a JSONPath (null allowed for the first three: {} for InputPath and OutputPath, the
# input for ResultPath). ErrorPath and CausePath may also be an intrinsic function: strings only.
_NULLABLE_PATHS = ("InputPath", "OutputPath", "ResultPath")
_PATHS = (*_NULLABLE_PATHS, "ItemsPath", "SecondsPath", "TimestampPath", "TimeoutSecondsPath",
          "HeartbeatSecondsPath", "MaxConcurrencyPath", "ToleratedFailureCountPath",
          "ToleratedFailurePercentagePath")
_STRING_PATHS = ("ErrorPath", "CausePath")


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def validate(definition: Any, pointer: str = "") -> list[tuple[str, str]]:
    """Each problem of ``definition`` as (JSON pointer, what is wrong and what would be valid)."""
    if not isinstance(definition, dict):
        return [(pointer, "the definition must be an object with StartAt and States")]
    problems: list[tuple[str, str]] = []
    states = definition.get("States")
    if not isinstance(states, dict) or not states:
        problems.append((f"{pointer}/States", "States must be an object naming at least one state"))
        return problems
    names = list(states)
    start = definition.get("StartAt")
    if start is None:
        problems.append((f"{pointer}/StartAt", f"StartAt is missing: name the first state, one of {_list(names)}"))
    elif not isinstance(start, str) or start not in states:
        problems.append((f"{pointer}/StartAt", f"StartAt names '{start}', which is not a state; valid: "
                                               f"{_list(names)}"))
    for name, state in states.items():
        where = f"{pointer}/States/{_escape(name)}"
        if len(name) > 80:
            problems.append((where, f"the state name '{name[:20]}...' is longer than 80 characters"))
        problems.extend(_check_state(name, state, where, names))
    if isinstance(start, str) and start in states:
        reachable = _reachable(start, states)
        for name in names:
            if name not in reachable:
                problems.append((f"{pointer}/States/{_escape(name)}", f"the state '{name}' is unreachable: no "
                                 "StartAt, Next, Default or Catch leads to it; connect it or remove it"))
    return problems


def _list(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _check_state(name: str, state: Any, where: str, names: list[str]) -> list[tuple[str, str]]:
    if not isinstance(state, dict):
        return [(where, "a state must be an object with a Type")]
    problems: list[tuple[str, str]] = []
    kind = state.get("Type")
    if not isinstance(kind, str) or kind not in STATE_TYPES:
        return [(f"{where}/Type", f"Type '{kind}' is not a state type; valid: {', '.join(sorted(STATE_TYPES))}")]

    def target(field_pointer: str, value: Any, what: str) -> None:
        if value not in names:
            problems.append((field_pointer, f"{what} names '{value}', which is not a state of this machine; "
                                             f"valid: {_list(names)}"))

    problems.extend(_check_paths(state, where))
    if "Next" in state:
        target(f"{where}/Next", state["Next"], "Next")
    if kind not in _TERMINAL:
        if "Next" in state and state.get("End") is True:
            problems.append((f"{where}/End", "a state has either Next or End: true, not both"))
        if "Next" not in state and state.get("End") is not True:
            problems.append((where, f"the {kind} state '{name}' needs Next (the state after it) or End: true"))
    if kind == "Task" and not isinstance(state.get("Resource"), str):
        problems.append((f"{where}/Resource", "a Task needs Resource: the component it calls (its id) or an ARN"))
    if kind == "Choice":
        choices = state.get("Choices")
        if not isinstance(choices, list) or not choices:
            problems.append((f"{where}/Choices", "a Choice state needs a non-empty Choices list"))
        else:
            for index, rule in enumerate(choices):
                rule_where = f"{where}/Choices/{index}"
                if not isinstance(rule, dict) or "Next" not in rule:
                    problems.append((rule_where, "each choice rule needs Next"))
                    continue
                target(f"{rule_where}/Next", rule["Next"], "Next")
                problems.extend(_check_rule(rule, rule_where, top=True))
        if "Default" in state:
            target(f"{where}/Default", state["Default"], "Default")
    if kind == "Wait" and sum(field in state for field in _WAIT_FIELDS) != 1:
        problems.append((where, "a Wait state needs exactly one of Seconds, Timestamp, SecondsPath, TimestampPath"))
    if kind == "Parallel":
        branches = state.get("Branches")
        if not isinstance(branches, list) or not branches:
            problems.append((f"{where}/Branches", "a Parallel state needs a non-empty Branches list"))
        else:
            for index, branch in enumerate(branches):
                problems.extend(validate(branch, f"{where}/Branches/{index}"))
    if kind == "Map":
        field = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
        if field not in state:
            problems.append((f"{where}/ItemProcessor", "a Map state needs ItemProcessor: the states run per item"))
        else:
            problems.extend(validate(state[field], f"{where}/{field}"))
            config = state[field].get("ProcessorConfig") if isinstance(state[field], dict) else None
            if isinstance(config, dict) and config.get("Mode", "INLINE") != "INLINE":
                problems.append((f"{where}/{field}/ProcessorConfig/Mode", f"Mode '{config.get('Mode')}' is not "
                                 "emulated: only INLINE Map states run here (child executions of a DISTRIBUTED "
                                 "Map are not)"))
        for unsupported in ("ItemReader", "ResultWriter", "ItemBatcher"):
            if unsupported in state:
                problems.append((f"{where}/{unsupported}", f"{unsupported} belongs to Distributed Map, which is not "
                                 "emulated; give the Map its items in the input (ItemsPath or Items)"))
    for list_field in ("Retry", "Catch"):
        if list_field not in state:
            continue
        entries = state[list_field]
        if kind not in ("Task", "Parallel", "Map"):
            problems.append((f"{where}/{list_field}", f"{list_field} applies to Task, Parallel and Map states only"))
            continue
        if not isinstance(entries, list):
            problems.append((f"{where}/{list_field}", f"{list_field} must be a list of objects with ErrorEquals"))
            continue
        for index, entry in enumerate(entries):
            entry_where = f"{where}/{list_field}/{index}"
            if not isinstance(entry, dict):
                problems.append((entry_where, f"a {list_field} entry must be an object with ErrorEquals"))
                continue
            errors = entry.get("ErrorEquals")
            if not isinstance(errors, list) or not errors or not all(isinstance(name, str) for name in errors):
                problems.append((f"{entry_where}/ErrorEquals", "ErrorEquals must list at least one error name "
                                 '(strings such as "States.ALL")'))
                continue
            if "States.ALL" in errors and (len(errors) > 1 or index != len(entries) - 1):
                problems.append((f"{entry_where}/ErrorEquals", f"States.ALL must be alone and in the last "
                                 f"{list_field} entry"))
            if list_field == "Catch":
                problems.extend(_check_paths({"ResultPath": entry["ResultPath"]} if "ResultPath" in entry else {},
                                             entry_where))
                if "Next" not in entry:
                    problems.append((entry_where, "a catcher needs Next: the state to go to"))
                else:
                    target(f"{entry_where}/Next", entry["Next"], "Next")
            else:
                problems.extend(_check_retrier(entry, entry_where))
    return problems


def _check_paths(state: dict[str, Any], where: str) -> list[tuple[str, str]]:
    """Each path field is a JSONPath that parses (null where the field takes it)."""
    problems = []
    for field in (*_PATHS, *_STRING_PATHS):
        if field not in state:
            continue
        value = state[field]
        if value is None and field in _NULLABLE_PATHS:
            continue
        if not isinstance(value, str):
            problems.append((f"{where}/{field}", f"{field} must be a JSONPath such as \"$.detail\""
                             f"{' or null' if field in _NULLABLE_PATHS else ''}, got {_json_type(value)}"))
            continue
        if field in _PATHS:
            try:
                parse(value)
            except PathError as error:
                problems.append((f"{where}/{field}", f"{field} is not a valid JSONPath: {error}"))
    return problems


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return "null" if value is None else "a string"


def _check_retrier(retrier: dict[str, Any], where: str) -> list[tuple[str, str]]:
    problems = []
    for field, low in (("IntervalSeconds", 1), ("MaxAttempts", 0), ("MaxDelaySeconds", 1)):
        value = retrier.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < low):
            problems.append((f"{where}/{field}", f"{field} must be an integer of at least {low}"))
    rate = retrier.get("BackoffRate")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate < 1):
        problems.append((f"{where}/BackoffRate", "BackoffRate must be a number of at least 1.0"))
    jitter = retrier.get("JitterStrategy")
    if jitter is not None and jitter not in ("FULL", "NONE"):
        problems.append((f"{where}/JitterStrategy", "JitterStrategy must be FULL or NONE"))
    return problems


def _check_rule(rule: Any, where: str, top: bool) -> list[tuple[str, str]]:
    if not isinstance(rule, dict):
        return [(where, "a choice rule must be an object")]
    if "Condition" in rule:
        return []
    for combinator in ("And", "Or"):
        if combinator in rule:
            inner = rule[combinator]
            if not isinstance(inner, list) or not inner:
                return [(f"{where}/{combinator}", f"{combinator} needs a non-empty list of rules")]
            return [p for i, r in enumerate(inner) for p in _check_rule(r, f"{where}/{combinator}/{i}", False)]
    if "Not" in rule:
        return _check_rule(rule["Not"], f"{where}/Not", False)
    operators = [key for key in rule if key in OPERATORS]
    if len(operators) != 1:
        return [(where, "a choice rule needs exactly one comparison operator (StringEquals, NumericLessThan, "
                        "IsPresent...) or And/Or/Not")]
    if "Variable" not in rule:
        return [(f"{where}/Variable", "a comparison needs Variable: the path of the value to compare")]
    return []


def _reachable(start: str, states: dict[str, Any]) -> set[str]:
    seen = {start}
    pending = [start]
    while pending:
        state = states.get(pending.pop())
        if not isinstance(state, dict):
            continue
        for name in _successors(state):
            if name in states and name not in seen:
                seen.add(name)
                pending.append(name)
    return seen


def _successors(state: dict[str, Any]) -> Iterator[str]:
    if isinstance(state.get("Next"), str):
        yield state["Next"]
    if isinstance(state.get("Default"), str):
        yield state["Default"]
    for rule in _items(state, "Choices"):
        if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
            yield rule["Next"]
    for catcher in _items(state, "Catch"):
        if isinstance(catcher, dict) and isinstance(catcher.get("Next"), str):
            yield catcher["Next"]


def _items(state: dict[str, Any], field: str) -> list[Any]:
    """A list field of a state, or none when it is missing or not a list (reported elsewhere, if at all)."""
    value = state.get(field)
    return value if isinstance(value, list) else []


def tasks(definition: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every Task state of the machine, its branches and Map processors, with its JSON pointer."""
    if not isinstance(definition, dict) or not isinstance(definition.get("States"), dict):
        return
    for name, state in definition["States"].items():
        if not isinstance(state, dict):
            continue
        where = f"{pointer}/States/{_escape(name)}"
        if state.get("Type") == "Task":
            yield where, state
        for index, branch in enumerate(_items(state, "Branches")):
            yield from tasks(branch, f"{where}/Branches/{index}")
        for field in ("ItemProcessor", "Iterator"):
            if field in state:
                yield from tasks(state[field], f"{where}/{field}")
