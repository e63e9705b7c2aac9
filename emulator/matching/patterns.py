"""The shape of a pattern and the documents it matches: keys, nesting, "$or", arrays.

Shared by EventBridge event patterns and SNS payload-based filter policies. Fields AND together and
a field's values OR ("Creating Amazon EventBridge event patterns"); an array field matches when any
element does ("Arrays in Amazon EventBridge event patterns"); "$or" ORs whole sub-patterns
(SNS "AND/OR logic"). https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
The event-ruler README (https://github.com/aws/event-ruler) documents what those pages show only by
example: keys flatten to dotted paths, and one match may not take fields from different elements
of the same array.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from emulator.matching.operators import (
    TOO_COMPLEX,
    WILDCARD_COMPLEXITY_LIMIT,
    Dialect,
    FieldTest,
    InvalidPatternError,
    compile_field,
    is_number,
    wildcard_complexity,
)

# Where a value sits inside a document's arrays: (array id, element index) per enclosing array.
Trail = tuple[tuple[int, int], ...]

OR_KEYWORD = "$or"
# Field names that stop "$or" being read as an OR (event-ruler's reserved words; SNS "AND/OR logic").
RESERVED_IN_OR = frozenset(
    [
        "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists", "wildcard",
        "numeric", "cidr", "=", "<", "<=", ">", ">=", "regex", "not-wildcard",
        "not-equals-ignore-case", "date-after", "date-on-or-after", "date-before",
        "date-on-or-before", "in-date-range", "ip-address-in-range", "ip-address-not-in-range",
    ]
)


@dataclass(frozen=True)
class Leaf:
    """A field of one flattened alternative: its key path and its value list."""

    keys: tuple[str, ...]
    test: FieldTest

    @property
    def path(self) -> str:
        # Keys join with dots, so {"a": {"b": ..}} and {"a.b": ..} name the same field (event-ruler).
        return ".".join(self.keys)


Alternative = tuple[Leaf, ...]


# --- pattern structure -------------------------------------------------------------------------


def expand(pattern: Mapping[str, Any], dialect: Dialect) -> list[Alternative]:
    """Flatten a pattern into alternatives (OR) of leaf fields (AND), expanding every "$or"."""
    return [tuple(alternative) for alternative in _expand_object(pattern, (), dialect)]


def _expand_object(
    pattern: Mapping[str, Any], keys: tuple[str, ...], dialect: Dialect
) -> list[list[Leaf]]:
    if not pattern:
        raise InvalidPatternError("Empty objects are not allowed")
    alternatives: list[list[Leaf]] = [[]]
    for key, value in pattern.items():
        branches = _expand_member(str(key), value, keys, dialect)
        alternatives = [done + branch for done in alternatives for branch in branches]
    return alternatives


def _expand_member(
    key: str, value: object, keys: tuple[str, ...], dialect: Dialect
) -> list[list[Leaf]]:
    if key == OR_KEYWORD and is_or(value):
        assert isinstance(value, list)
        return [branch for item in value for branch in _expand_object(item, keys, dialect)]
    if isinstance(value, Mapping):
        if not dialect.nested:
            raise InvalidPatternError(
                "Filter policy scope MessageAttributes does not support nested filter policy"
            )
        return _expand_object(value, (*keys, key), dialect)
    if isinstance(value, list):
        return [[Leaf((*keys, key), compile_field(value, dialect))]]
    if dialect.scalar_values and (isinstance(value, str) or is_number(value)):
        return [[Leaf((*keys, key), compile_field([value], dialect))]]
    raise InvalidPatternError(f'"{key}" must be an object or an array')


def is_or(value: object) -> bool:
    """AWS reads "$or" as OR only for 2+ objects without reserved names; else it is a field name."""
    return (
        isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(item, Mapping) for item in value)
        and not any(RESERVED_IN_OR.intersection(item) for item in value)
    )


def check_wildcard_complexity(alternatives: Iterable[Alternative]) -> None:
    """AWS evaluates the wildcard patterns of each field together (one byte machine per field)."""
    by_path: dict[str, set[str]] = {}
    for alternative in alternatives:
        for leaf in alternative:
            by_path.setdefault(leaf.path, set()).update(leaf.test.wildcards)
    for patterns in by_path.values():
        if patterns and wildcard_complexity(patterns) > WILDCARD_COMPLEXITY_LIMIT:
            raise InvalidPatternError(TOO_COMPLEX)


# --- matching JSON documents (EventBridge events, SNS message bodies) ---------------------------


class DocumentMatcher:
    """Matches flattened alternatives against JSON documents.

    A document is flattened the way AWS does: nested keys join with dots and arrays are crushed
    into their field, so a field matches when any element does ("Arrays in event patterns").
    Matches that combine fields from different elements of the same array are refused
    (event-ruler's array-consistent matching).
    """

    __slots__ = ("_alternatives", "_prefixes", "_wanted")

    def __init__(self, alternatives: Sequence[Alternative]) -> None:
        # A path given twice in one alternative keeps its last list, as AWS's compiler does.
        self._alternatives = tuple(
            tuple({leaf.path: leaf.test for leaf in alternative}.items()) for alternative in alternatives
        )
        wanted = {path for alternative in self._alternatives for path, _ in alternative}
        self._wanted = frozenset(wanted)
        # Every dotted prefix of a wanted path: the walk below skips subtrees no pattern names.
        self._prefixes = frozenset(
            path[:end] for path in wanted for end in [*(i for i, c in enumerate(path) if c == "."), len(path)]
        )

    def __call__(self, document: object) -> bool:
        if not isinstance(document, Mapping):
            return False  # callers pass whatever a producer sent; a non-object matches nothing
        found = self._leaves(document)
        return any(_alternative_matches(alternative, found) for alternative in self._alternatives)

    def _leaves(self, document: Mapping[str, Any]) -> dict[str, list[tuple[object, Trail]]]:
        walk = _LeafWalk(self._prefixes, self._wanted)
        walk.visit(document, "", ())
        return walk.found


class _LeafWalk:
    """One walk over a document, collecting the leaves the patterns name, with their array trails.

    A class rather than a recursive closure: a closure that calls itself refers to itself, a
    reference cycle left to the garbage collector on every match.
    """

    __slots__ = ("prefixes", "wanted", "found", "array_ids")

    def __init__(self, prefixes: frozenset[str], wanted: frozenset[str]) -> None:
        self.prefixes = prefixes
        self.wanted = wanted
        self.found: dict[str, list[tuple[object, Trail]]] = {}
        self.array_ids = itertools.count()

    def visit(self, node: object, path: str, trail: Trail) -> None:
        if isinstance(node, Mapping):
            for key, child in node.items():
                child_path = f"{path}.{key}" if path else str(key)
                if child_path in self.prefixes:
                    self.visit(child, child_path, trail)
        elif isinstance(node, list):
            array = next(self.array_ids)
            for index, item in enumerate(node):
                self.visit(item, path, (*trail, (array, index)))
        elif path in self.wanted:
            self.found.setdefault(path, []).append((node, trail))


def _alternative_matches(
    alternative: tuple[tuple[str, FieldTest], ...], found: Mapping[str, list[tuple[object, Trail]]]
) -> bool:
    constraints: list[set[Trail]] = []
    for path, test in alternative:
        leaves = found.get(path)
        if not leaves:
            # exists only looks at leaves: a field holding an object or [] counts as missing.
            if test.absent:
                continue
            return False
        trails = {trail for value, trail in leaves if test.accepts(value)}
        if not trails:
            return False
        if () not in trails:
            constraints.append(trails)
    return _consistent(sorted(constraints, key=len), {})


def _consistent(constraints: Sequence[set[Trail]], chosen: dict[int, int]) -> bool:
    """Whether one matching value per field can be picked with no array split between elements."""
    if not constraints:
        return True
    for trail in constraints[0]:
        merged = dict(chosen)
        fits = all(merged.setdefault(array, index) == index for array, index in trail)
        if fits and _consistent(constraints[1:], merged):
            return True
    return False
