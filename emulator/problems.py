"""Problems found in a document: each says what is wrong, where, and what would be valid."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding. ``pointer`` is a JSON pointer into the document that was checked."""

    pointer: str
    message: str
    # The component id or "Source -> Target (role)" the problem is about, when there is one.
    subject: str = ""
    severity: Severity = "error"
    # A short stable name for the rule (for warnings: what the designer badges show).
    rule: str = "invalid"
    # For warnings: why it matters and how to fix it, in one line each.
    why: str = ""
    fix: str = ""

    def __str__(self) -> str:
        where = f" ({self.subject})" if self.subject else ""
        return f"{self.severity} {self.pointer or '/'}{where}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        data = {
            "severity": self.severity,
            "rule": self.rule,
            "pointer": self.pointer,
            "subject": self.subject,
            "message": self.message,
        }
        if self.why:
            data["why"] = self.why
        if self.fix:
            data["fix"] = self.fix
        return data


class InvalidDocument(ValueError):
    """A document that cannot be used; ``problems`` lists every reason at once."""

    def __init__(self, what: str, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(str(p) for p in problems)
        super().__init__(f"{what} is invalid ({len(problems)} problem(s)):\n{lines}")


def unknown_fields(values: dict[str, Any], allowed: Collection[str], where: str, what: str,
                   subject: str = "") -> list[Problem]:
    """One problem per key of ``values`` not in ``allowed``, naming the fields ``what`` has."""
    valid = ", ".join(sorted(allowed))
    return [Problem(where + pointer(key), f"unknown field; {what} has {valid}", subject)
            for key in sorted(set(values) - set(allowed))]


def check_format(document: dict[str, Any], expected: str, allowed: Collection[str], what: str) -> list[Problem]:
    """A document's ``format`` and its unknown top-level fields."""
    problems = []
    if document.get("format") != expected:
        problems.append(Problem("/format", f'must be "{expected}", got {json.dumps(document.get("format"))}'))
    return problems + unknown_fields(document, allowed, "", what)


def pointer(*parts: str | int) -> str:
    """A JSON pointer from path parts, escaping ``~`` and ``/`` as RFC 6901 says."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
