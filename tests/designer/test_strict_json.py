"""The API's one JSON reading: RFC 8259, bounded, and only strings every database stores alike."""

from __future__ import annotations

import json
from typing import Any

import pytest

from designer import strict_json
from designer.strict_json import MAX_DEPTH, MAX_INTEGER_DIGITS, InvalidJson


def refused(text: str | bytes) -> list[tuple[str, str]]:
    with pytest.raises(InvalidJson) as caught:
        strict_json.loads(text.encode() if isinstance(text, str) else text)
    return [(problem.pointer, problem.message) for problem in caught.value.problems]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_a_document_reads_as_the_json_module_reads_it() -> None:
    document: dict[str, Any] = {"format": "wiretap.topology/1", "name": "Orders ✓ 🚀", "components": [
        {"id": "Q", "kind": "sqs", "properties": {"VisibilityTimeout": 30, "ratio": 0.25, "max": 2**63 - 1}}]}

    assert strict_json.loads(json.dumps(document).encode()) == document
    assert strict_json.loads(json.dumps(document, ensure_ascii=False).encode()) == document


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_the_infinities_are_refused_as_invalid_json_numbers_where_they_are(constant: str) -> None:
    assert refused(f'{{"version": {constant}}}') == [
        ("/version", f"RFC 8259 has no NaN or infinities: {constant} is not a JSON number")]


def test_a_number_beyond_a_double_is_refused_rather_than_read_as_infinity() -> None:
    assert refused('{"workload": {"duration_s": 1e400, "drain_s": -1E999}}') == [
        ("/workload/duration_s", "a JSON number is at most about ±1.8e308, not 1e400"),
        ("/workload/drain_s", "a JSON number is at most about ±1.8e308, not -1E999")]


def test_an_integer_longer_than_a_double_reaches_is_refused_without_converting_it() -> None:
    longest = "9" * MAX_INTEGER_DIGITS

    assert strict_json.loads(f"[{longest}, -{longest}]".encode()) == [int(longest), -int(longest)]
    assert refused(f'{{"seed": {"9" * 5000}}}') == [
        ("/seed", f"an integer has at most {MAX_INTEGER_DIGITS} digits (the range of a JSON number), not 5,000")]


def test_nesting_is_read_up_to_the_limit_and_refused_past_it_with_the_limit_named() -> None:
    assert strict_json.loads(nested(MAX_DEPTH).encode()) is not None

    assert refused(nested(10_000)) == [
        ("", f"the body nests arrays and objects 10,000 deep; at most {MAX_DEPTH} levels are read")]


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"pattern": "[" * 500 + '\\"{' * 300})

    assert strict_json.loads(text.encode()) == json.loads(text)


def test_a_nul_character_is_refused_in_values_and_in_member_names_with_its_pointer() -> None:
    assert refused('{"name": "a\\u0000b", "document": {"components": [{"id\\u0000": 1}]}}') == [
        ("/name", "NUL characters (\\u0000) cannot be stored; one is in the string"),
        ("/document/components/0", "NUL characters (\\u0000) cannot be stored; one is in a member name of the "
                                   "object")]


def test_a_lone_surrogate_is_refused_and_a_surrogate_pair_is_read_as_its_character() -> None:
    assert strict_json.loads(b'{"name": "\\ud83d\\ude80"}') == {"name": "🚀"}

    assert refused('{"a~b/c": ["ok", "x\\udc00"]}') == [
        ("/a~0b~1c/1", "a lone surrogate (\\udc00) is not a Unicode character (send the character itself, or both "
                       "halves of its surrogate pair); one is in the string")]


def test_every_problem_is_reported_at_once_in_document_order() -> None:
    pointers = [pointer for pointer, _ in refused('{"a": NaN, "b": ["\\u0000", 1e999], "c": {"d": Infinity}}')]

    assert pointers == ["/a", "/b/0", "/b/1", "/c/d"]


def test_text_that_is_not_json_says_where_it_stops() -> None:
    assert refused('{"name" "x"}') == [("", "the body is not valid JSON: Expecting ':' delimiter at line 1 column 9")]


def test_a_body_that_is_not_utf8_is_refused() -> None:
    assert refused(b'{"name": "\xff"}') == [("", "the body is not UTF-8 (byte 10 cannot be read)")]
