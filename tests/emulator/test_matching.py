"""EventBridge event patterns and SNS filter policies, as AWS documents them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator.matching import (
    InvalidPatternError,
    compile_event_pattern,
    compile_filter_policy,
    match_event_pattern,
    match_filter_policy,
    validate_event_pattern,
    validate_filter_policy,
)


def event(**detail: Any) -> dict[str, Any]:
    return {"source": "shop.orders", "detail-type": "Order Placed", "detail": detail}


def attributes(**values: tuple[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: {"Type": kind, "Value": value} for name, (kind, value) in values.items()}


def eb_reason(pattern: dict[str, Any]) -> str:
    with pytest.raises(InvalidPatternError) as caught:
        validate_event_pattern(pattern)
    return str(caught.value)


def sns_reason(policy: dict[str, Any], scope: str = "MessageAttributes") -> str:
    with pytest.raises(InvalidPatternError) as caught:
        validate_filter_policy(policy, scope)
    return str(caught.value)


# --- EventBridge: exact values, AND/OR, arrays, nesting ---------------------------------------


def test_fields_and_together_while_values_in_a_list_or() -> None:
    pattern = {"source": ["shop.orders", "shop.refunds"], "detail": {"state": ["paid"]}}
    assert match_event_pattern(pattern, event(state="paid"))
    assert not match_event_pattern(pattern, event(state="open"))
    assert not match_event_pattern({"source": ["shop.refunds"], "detail": {"state": ["paid"]}}, event(state="paid"))


def test_null_and_empty_string_are_different_values() -> None:
    assert match_event_pattern({"detail": {"note": [None]}}, event(note=None))
    assert not match_event_pattern({"detail": {"note": [None]}}, event(note=""))
    assert not match_event_pattern({"detail": {"note": [None]}}, event(note="null"))
    assert match_event_pattern({"detail": {"note": [""]}}, event(note=""))


def test_exact_numbers_compare_numerically_but_not_against_strings_or_booleans() -> None:
    assert match_event_pattern({"detail": {"amount": [300]}}, event(amount=300.0))
    assert not match_event_pattern({"detail": {"amount": [300]}}, event(amount="300"))
    assert not match_event_pattern({"detail": {"flag": [1]}}, event(flag=True))
    assert match_event_pattern({"detail": {"flag": [False]}}, event(flag=False))


def test_array_valued_event_field_matches_when_any_element_matches() -> None:
    pattern = {"resources": ["arn:b", "arn:z"]}
    assert match_event_pattern(pattern, {"resources": ["arn:a", "arn:b"]})
    assert not match_event_pattern(pattern, {"resources": ["arn:a"]})
    assert not match_event_pattern({"resources": [None]}, {"resources": []})


def test_nested_pattern_objects_follow_nested_event_objects_and_dotted_keys() -> None:
    assert match_event_pattern({"detail": {"state": {"status": ["on"]}}}, {"detail": {"state": {"status": "on"}}})
    assert match_event_pattern({"detail": {"state.status": ["on"]}}, {"detail": {"state": {"status": "on"}}})
    assert match_event_pattern({"detail": {"state": {"status": ["on"]}}}, {"detail": {"state.status": "on"}})
    assert not match_event_pattern({"detail": {"state": ["on"]}}, {"detail": '{"state": "on"}'})


def test_fields_inside_an_array_of_objects_must_come_from_the_same_element() -> None:
    employees = {"employees": [{"first": "John", "last": "Doe"}, {"first": "Anna", "last": "Jones"}]}
    assert match_event_pattern({"employees": {"first": ["Anna"], "last": ["Jones"]}}, employees)
    assert not match_event_pattern({"employees": {"first": ["John"], "last": ["Jones"]}}, employees)


# --- EventBridge: string operators --------------------------------------------------------------


def test_prefix_matches_strings_only_and_can_ignore_case() -> None:
    assert match_event_pattern({"time": [{"prefix": "2024-01"}]}, {"time": "2024-01-02T00:00:00Z"})
    assert not match_event_pattern({"n": [{"prefix": "12"}]}, {"n": 123})
    assert match_event_pattern({"s": [{"prefix": {"equals-ignore-case": "EventB"}}]}, {"s": "eventbridge"})


def test_suffix_matches_the_end_of_strings_and_can_ignore_case() -> None:
    assert match_event_pattern({"file": [{"suffix": ".png"}]}, {"file": "a.png"})
    assert not match_event_pattern({"file": [{"suffix": ".PNG"}]}, {"file": "a.png"})
    assert match_event_pattern({"file": [{"suffix": {"equals-ignore-case": ".PNG"}}]}, {"file": "a.png"})


def test_equals_ignore_case_matches_whatever_the_case() -> None:
    assert match_event_pattern({"s": [{"equals-ignore-case": "EC2"}]}, {"s": "ec2"})
    assert not match_event_pattern({"s": [{"equals-ignore-case": "EC2"}]}, {"s": "ec2x"})


def test_wildcard_star_matches_any_run_of_characters_and_backslash_escapes_it() -> None:
    assert match_event_pattern({"key": [{"wildcard": "dir/*.png"}]}, {"key": "dir/a/b.png"})
    assert not match_event_pattern({"key": [{"wildcard": "dir/*.png"}]}, {"key": "dir/a.jpg"})
    assert match_event_pattern({"key": [{"wildcard": "a\\*b"}]}, {"key": "a*b"})
    assert not match_event_pattern({"key": [{"wildcard": "a\\*b"}]}, {"key": "axb"})
    assert not match_event_pattern({"key": [{"wildcard": ""}]}, {"key": "x"})


def test_wildcard_validation_reports_consecutive_stars_bad_escapes_and_complexity() -> None:
    assert eb_reason({"k": [{"wildcard": "ab**c"}]}) == "Consecutive wildcard characters at pos 3"
    assert eb_reason({"k": [{"wildcard": "a\\b"}]}) == "Invalid escape character at pos 2"
    assert eb_reason({"k": [{"wildcard": "*:*:*:*:*:bus/*"}]}).startswith("Rule is too complex")
    validate_event_pattern({"k": [{"wildcard": "arn:aws:events:*:*:event-bus/*"}]})


# --- EventBridge: anything-but ------------------------------------------------------------------


def test_anything_but_excludes_a_value_or_a_list_of_values() -> None:
    assert match_event_pattern({"s": [{"anything-but": "init"}]}, {"s": "done"})
    assert not match_event_pattern({"s": [{"anything-but": "init"}]}, {"s": "init"})
    assert not match_event_pattern({"n": [{"anything-but": [100, 200]}]}, {"n": 200.0})
    assert match_event_pattern({"n": [{"anything-but": ["101"]}]}, {"n": 101})


def test_anything_but_matches_null_but_not_a_missing_field() -> None:
    assert match_event_pattern({"s": [{"anything-but": "init"}]}, {"s": None})
    assert not match_event_pattern({"s": [{"anything-but": "init"}]}, {"other": "x"})


def test_anything_but_prefix_excludes_matching_values() -> None:
    assert not match_event_pattern({"s": [{"anything-but": {"prefix": "init"}}]}, {"s": "initial"})
    assert match_event_pattern({"s": [{"anything-but": {"prefix": ["init", "pre"]}}]}, {"s": "post"})
    assert match_event_pattern({"s": [{"anything-but": {"prefix": "init"}}]}, {"s": 12})


def test_anything_but_suffix_ignore_case_and_wildcard_exclude_matching_values() -> None:
    assert not match_event_pattern({"f": [{"anything-but": {"suffix": ".txt"}}]}, {"f": "a.txt"})
    assert not match_event_pattern({"s": [{"anything-but": {"equals-ignore-case": ["stopped"]}}]}, {"s": "STOPPED"})
    assert match_event_pattern({"s": [{"anything-but": {"equals-ignore-case": "stopped"}}]}, {"s": "running"})
    assert not match_event_pattern({"p": [{"anything-but": {"wildcard": "*/init/*"}}]}, {"p": "a/init/b"})
    assert match_event_pattern({"p": [{"anything-but": {"wildcard": ["*/init/*", "*/x/*"]}}]}, {"p": "a/dir/b"})


def test_anything_but_validation_uses_aws_reasons() -> None:
    assert eb_reason({"s": [{"anything-but": None}]}) == (
        "Value of anything-but must be an array or single string/number value."
    )
    assert eb_reason({"s": [{"anything-but": ["a", None]}]}) == (
        "Inside anything but list, start|null|boolean is not supported."
    )
    assert eb_reason({"s": [{"anything-but": ["a", 1]}]}).endswith("mixed type is not supported")
    assert eb_reason({"s": [{"anything-but": {"prefix": ""}}]}) == "Null prefix/suffix not allowed"
    assert eb_reason({"s": [{"anything-but": {"prefix": 1}}]}) == "prefix/suffix match pattern must be a string"
    assert eb_reason({"s": [{"anything-but": {"numeric": [">", 1]}}]}) == "Unsupported anything-but pattern: numeric"
    assert eb_reason({"s": [{"anything-but": {"equals-ignore-case": 1}}]}) == (
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
    )


# --- EventBridge: numeric, exists, cidr, $or ----------------------------------------------------


def test_numeric_ranges_match_json_numbers_only() -> None:
    pattern = {"n": [{"numeric": [">", 0, "<=", 5]}]}
    assert match_event_pattern(pattern, {"n": 5})
    assert match_event_pattern(pattern, {"n": 0.5})
    assert not match_event_pattern(pattern, {"n": 0})
    assert not match_event_pattern(pattern, {"n": "3"})
    assert not match_event_pattern(pattern, {"n": None})
    assert match_event_pattern({"n": [{"numeric": ["=", 301.8]}]}, {"n": 301.8})


def test_numeric_validation_uses_aws_reasons() -> None:
    assert eb_reason({"n": [{"numeric": 10}]}) == "Value of numeric must be an array."
    assert eb_reason({"n": [{"numeric": [">", 0, ">", 5]}]}) == "Bad numeric range operator: >"
    assert eb_reason({"n": [{"numeric": [">", 0, "<"]}]}) == "Value of < must be numeric"
    assert eb_reason({"n": [{"numeric": ["=", "5"]}]}) == "Value of equals must be numeric"
    assert eb_reason({"n": [{"numeric": ["!=", 5]}]}) == "Unrecognized numeric range operator: !="
    assert eb_reason({"n": [{"numeric": ["<", 5, ">", 1]}]}) == "Too many elements in numeric expression"
    assert eb_reason({"n": [{"numeric": [">", 5, "<", 1]}]}) == "Bottom must be less than top"


def test_exists_true_needs_a_leaf_value_and_exists_false_a_missing_one() -> None:
    assert match_event_pattern({"detail": {"c": [{"exists": True}]}}, event(c=None))
    assert not match_event_pattern({"detail": {"c": [{"exists": True}]}}, event(c={"c1": 1}))
    assert not match_event_pattern({"resources": [{"exists": True}]}, {"resources": []})
    assert match_event_pattern({"detail": {"c": [{"exists": False}]}}, event(d=1))
    assert match_event_pattern({"detail": {"c": [{"exists": False}]}}, event(c={"c1": 1}))
    assert not match_event_pattern({"detail": {"c": [{"exists": False}]}}, event(c=1))


def test_exists_false_can_be_or_ed_with_other_values() -> None:
    pattern = {"s": [{"anything-but": ["roses"]}, {"exists": False}]}
    assert match_event_pattern(pattern, {})
    assert match_event_pattern(pattern, {"s": "tulips"})
    assert not match_event_pattern(pattern, {"s": "roses"})


def test_cidr_matches_ipv4_and_ipv6_addresses_inside_the_block() -> None:
    assert match_event_pattern({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.0.255"})
    assert not match_event_pattern({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.1.0"})
    assert not match_event_pattern({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.0.256"})
    assert match_event_pattern({"ip": [{"cidr": "2001:db8::/64"}]}, {"ip": "2001:0db8:0000:0000:0000:0000:0000:0001"})
    assert not match_event_pattern({"ip": [{"cidr": "2001:db8::/64"}]}, {"ip": "2001:db9::1"})


def test_cidr_validation_uses_aws_reasons() -> None:
    assert eb_reason({"ip": [{"cidr": "bad"}]}) == "Malformed CIDR, one '/' required"
    assert eb_reason({"ip": [{"cidr": "10.0.0.0/x"}]}) == "Malformed CIDR, mask bits must be an integer"
    assert eb_reason({"ip": [{"cidr": "xx.1/8"}]}) == "Nonstandard IP address: xx.1"
    assert eb_reason({"ip": [{"cidr": ["10.0.0.0/8"]}]}) == "prefix match pattern must be a string"


def test_exact_ip_string_matches_other_spellings_of_the_address() -> None:
    assert match_event_pattern({"ip": ["2001:db8::1"]}, {"ip": "2001:0db8:0:0:0:0:0:1"})


def test_or_matches_when_any_branch_matches_including_nested_branches() -> None:
    pattern = {
        "source": ["shop.orders"],
        "detail": {"$or": [{"amount": [{"numeric": [">", 100]}]}, {"tier": ["gold"]}]},
    }
    assert match_event_pattern(pattern, event(amount=150))
    assert match_event_pattern(pattern, event(amount=5, tier="gold"))
    assert not match_event_pattern(pattern, event(amount=5, tier="silver"))


def test_or_with_reserved_names_is_an_ordinary_field_name() -> None:
    assert eb_reason({"$or": [{"numeric": 123}, {"prefix": "abc"}]}) == "Value of numeric must be an array."


# --- EventBridge: structural validation and compiled matchers ----------------------------------


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ({"resources": []}, "Empty arrays are not allowed"),
        ({"detail": {}}, "Empty objects are not allowed"),
        ({"int": 42}, '"int" must be an object or an array'),
        ({"k": [{"EXISTS": True}]}, "Unrecognized match type EXISTS"),
        ({"k": [{"exists": "yes"}]}, "exists match pattern must be either true or false."),
        ({"k": [{"prefix": 1}]}, "prefix match pattern must be a string"),
        ({"k": [{"suffix": [".png"]}]}, "suffix match pattern must be a string"),
        ({"k": [{"equals-ignore-case": ["a"]}]}, "equals-ignore-case match pattern must be a string"),
        ({"k": [{"prefix": "a", "suffix": "b"}]}, "Only one key allowed in match expression"),
        ({"k": [["nested"]]}, "Match value must be String, number, true, false, or null"),
    ],
)
def test_invalid_event_patterns_report_aws_reasons(pattern: dict[str, Any], reason: str) -> None:
    assert eb_reason(pattern) == reason


def test_match_event_pattern_raises_for_an_invalid_pattern() -> None:
    with pytest.raises(InvalidPatternError, match="Empty arrays are not allowed"):
        match_event_pattern({"source": []}, event())


def test_compiled_event_pattern_is_a_reusable_closure() -> None:
    matches = compile_event_pattern({"detail": {"state": [{"prefix": "pa"}]}})
    assert matches(event(state="paid"))
    assert not matches(event(state="open"))
    assert not matches({"detail": None})


def test_invalid_event_pattern_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="must be an object or an array"):
        compile_event_pattern({"source": "shop.orders"})


# --- SNS: attribute-based filtering -------------------------------------------------------------


def test_sns_exact_string_matches_string_and_any_element_of_a_string_array() -> None:
    policy = {"sport": ["rugby", "tennis"]}
    assert match_filter_policy(policy, message_attributes=attributes(sport=("String", "rugby")))
    assert match_filter_policy(policy, message_attributes=attributes(sport=("String.Array", '["golf", "tennis"]')))
    assert not match_filter_policy(policy, message_attributes=attributes(sport=("String.Array", '["golf"]')))
    assert not match_filter_policy(policy, message_attributes=attributes(sport=("String.Array", "['rugby']")))


def test_sns_scalar_policy_value_is_shorthand_for_a_one_value_list() -> None:
    assert match_filter_policy({"sport": "rugby"}, message_attributes=attributes(sport=("String", "rugby")))


def test_sns_keys_and_together() -> None:
    policy = {"sport": ["rugby"], "price": [{"numeric": [">", 100]}]}
    both = attributes(sport=("String", "rugby"), price=("Number", "150"))
    assert match_filter_policy(policy, message_attributes=both)
    assert not match_filter_policy(policy, message_attributes=attributes(sport=("String", "rugby")))


def test_sns_missing_attribute_matches_only_exists_false() -> None:
    assert not match_filter_policy({"sport": [{"anything-but": "golf"}]}, message_attributes={})
    assert match_filter_policy({"sport": [{"exists": False}]}, message_attributes={})
    assert not match_filter_policy({"sport": [{"exists": False}]}, message_attributes=attributes(sport=("String", "x")))
    assert match_filter_policy({"sport": [{"exists": True}]}, message_attributes=attributes(sport=("String", "x")))


def test_sns_number_attributes_compare_numerically() -> None:
    assert match_filter_policy({"price": [300]}, message_attributes=attributes(price=("Number", "300.0")))
    equal = {"price": [{"numeric": ["=", 300]}]}
    assert match_filter_policy(equal, message_attributes=attributes(price=("Number", 300)))
    ranged = {"price": [{"numeric": [">=", 100, "<", 200]}]}
    assert match_filter_policy(ranged, message_attributes=attributes(price=("Number", "1.5e2")))
    assert not match_filter_policy(ranged, message_attributes=attributes(price=("Number", "200")))
    assert not match_filter_policy(ranged, message_attributes=attributes(price=("String", "150")))


def test_sns_prefix_suffix_and_equals_ignore_case_match_strings() -> None:
    message = attributes(sport=("String", "Basketball"))
    assert match_filter_policy({"sport": [{"prefix": "Bask"}]}, message_attributes=message)
    assert match_filter_policy({"sport": [{"suffix": "ball"}]}, message_attributes=message)
    assert match_filter_policy({"sport": [{"equals-ignore-case": "BASKETBALL"}]}, message_attributes=message)
    assert not match_filter_policy({"sport": [{"prefix": "bask"}]}, message_attributes=message)


def test_sns_anything_but_excludes_values_lists_and_prefixes() -> None:
    message = attributes(sport=("String", "rugby"))
    assert not match_filter_policy({"sport": [{"anything-but": "rugby"}]}, message_attributes=message)
    assert not match_filter_policy({"sport": [{"anything-but": ["golf", "rugby"]}]}, message_attributes=message)
    assert not match_filter_policy({"sport": [{"anything-but": {"prefix": "rug"}}]}, message_attributes=message)
    assert match_filter_policy({"sport": [{"anything-but": {"prefix": "golf"}}]}, message_attributes=message)
    either = attributes(sport=("String.Array", '["rugby", "baseball"]'))
    assert match_filter_policy({"sport": [{"anything-but": ["rugby", "tennis"]}]}, message_attributes=either)


def test_sns_cidr_matches_addresses_inside_the_block() -> None:
    policy = {"source_ip": [{"cidr": "10.0.0.0/24"}]}
    assert match_filter_policy(policy, message_attributes=attributes(source_ip=("String", "10.0.0.7")))
    assert not match_filter_policy(policy, message_attributes=attributes(source_ip=("String", "10.0.1.7")))


def test_sns_or_operator_matches_either_branch() -> None:
    policy = {"source": ["aws.cloudwatch"], "$or": [{"metric": ["CPU"]}, {"namespace": ["AWS/EC2"]}]}
    source = ("String", "aws.cloudwatch")
    assert match_filter_policy(policy, message_attributes=attributes(source=source, namespace=("String", "AWS/EC2")))
    assert not match_filter_policy(policy, message_attributes=attributes(source=source, metric=("String", "Mem")))


def test_sns_binary_attributes_are_ignored() -> None:
    assert not match_filter_policy({"blob": [{"exists": True}]}, message_attributes=attributes(blob=("Binary", "AAEC")))


def test_sns_empty_policy_delivers_every_message() -> None:
    assert match_filter_policy({}, message_attributes={})
    assert match_filter_policy({}, body="not json", scope="MessageBody")


# --- SNS: payload-based filtering ---------------------------------------------------------------


def test_sns_message_body_scope_maps_nested_keys_to_nested_json() -> None:
    policy = {"order": {"customer": {"tier": ["gold"]}}}
    body = {"order": {"customer": {"tier": "gold"}}}
    assert match_filter_policy(policy, body=json.dumps(body), scope="MessageBody")
    assert match_filter_policy(policy, body=body, scope="MessageBody")
    assert not match_filter_policy(policy, body=json.dumps({"order": {"tier": "gold"}}), scope="MessageBody")


def test_sns_message_body_arrays_match_when_any_element_matches() -> None:
    policy = {"items": {"sku": ["B"]}}
    assert match_filter_policy(policy, body=json.dumps({"items": [{"sku": "A"}, [{"sku": "B"}]]}), scope="MessageBody")
    assert not match_filter_policy(policy, body=json.dumps({"items": [{"sku": "A"}]}), scope="MessageBody")


def test_sns_message_body_that_is_not_a_json_object_matches_nothing() -> None:
    assert not match_filter_policy({"a": ["b"]}, body="plain text", scope="MessageBody")
    assert not match_filter_policy({"a": ["b"]}, body="[1, 2]", scope="MessageBody")
    assert not match_filter_policy({"a": ["b"]}, body=None, scope="MessageBody")


# --- SNS: validation and compiled matchers ------------------------------------------------------


def test_sns_policy_with_more_than_five_keys_is_refused() -> None:
    policy = {f"key{i}": ["v"] for i in range(6)}
    assert sns_reason(policy) == "Filter policy can not have more than 5 keys"
    validate_filter_policy({f"key{i}": ["v"] for i in range(5)})


def test_sns_payload_policy_counts_only_top_level_keys() -> None:
    validate_filter_policy({"top": {f"key{i}": ["v"] for i in range(6)}}, "MessageBody")


def test_sns_policy_with_more_than_150_combinations_is_too_complex() -> None:
    policy = {"a": list(range(10)), "b": list(range(10)), "c": list(range(2))}
    assert sns_reason(policy) == "Filter policy is too complex"
    validate_filter_policy({"a": list(range(10)), "b": list(range(15))})


def test_sns_combinations_multiply_by_nesting_depth_and_add_across_or_branches() -> None:
    # AWS's example: four values three levels deep and three values two levels deep: 3*4 * 2*3 = 72.
    nested = {"key_a": {"key_b": {"key_c": [1, 2, 3, 4]}}, "key_d": {"key_e": [1, 2, 3]}}
    validate_filter_policy(nested, "MessageBody")
    deeper = {"key_a": {"key_b": {"key_c": list(range(13))}}, "key_d": {"key_e": [1, 2]}}
    assert sns_reason(deeper, "MessageBody") == "Filter policy is too complex"
    branches = {"$or": [{"a": list(range(75))}, {"b": list(range(76))}]}
    assert sns_reason(branches) == "Filter policy is too complex"


def test_sns_attribute_scope_refuses_nested_policies() -> None:
    assert sns_reason({"order": {"tier": ["gold"]}}) == (
        "Filter policy scope MessageAttributes does not support nested filter policy"
    )


def test_sns_refuses_operators_it_does_not_support() -> None:
    assert sns_reason({"k": [{"wildcard": "a*"}]}) == "Unrecognized match type wildcard"
    assert sns_reason({"k": [{"anything-but": {"suffix": "x"}}]}) == "Unsupported anything-but pattern: suffix"
    assert sns_reason({"k": []}) == "Empty arrays are not allowed"
    assert sns_reason({"k": [{"numeric": [">", "1"]}]}) == "Value of > must be numeric"


def test_sns_unknown_scope_is_refused() -> None:
    assert "Please use either MessageBody or MessageAttributes" in sns_reason({"k": ["v"]}, "Body")


def test_compiled_filter_policy_takes_attributes_or_body_like_the_matcher() -> None:
    by_attribute = compile_filter_policy({"tier": ["gold"]})
    assert by_attribute(message_attributes=attributes(tier=("String", "gold")))
    assert not by_attribute(message_attributes=None)
    by_body = compile_filter_policy({"tier": ["gold"]}, scope="MessageBody")
    assert by_body(body='{"tier": "gold"}')
    assert not by_body(body='{"tier": "silver"}')
