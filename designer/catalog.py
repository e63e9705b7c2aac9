"""The designer's catalog: the emulator's kinds and roles (one source of truth) plus what only
the console adds (an icon per kind), and the templates built from the examples.

A template is one folder of ``examples/``: its ``topology.json`` and ``workload.json``, and its
``README.md``, whose first heading is the template's name and whose "What the run shows"
paragraph gives the one-line summary.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.templatetags.static import static

from emulator import catalog as emulator_catalog

_HEADING = re.compile(r"^#\s+(.+?)\s*$", re.MULTILINE)
_RUN_SHOWS = re.compile(r"\*\*What the run shows\.?\*\*\s*(.+?)(?:\n\s*\n|\Z)", re.DOTALL)
# A sentence ends at a full stop, question or exclamation mark followed by a space and a capital.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(])")
_MARKDOWN_EMPHASIS = re.compile(r"(\*\*|__|`)")


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    summary: str
    explanation: str
    topology: dict[str, Any]
    workload: dict[str, Any]

    @property
    def lesson(self) -> str:
        """The README's whole "What the run shows" paragraph, as plain text ("" without one)."""
        return lesson_of(self.explanation)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "summary": self.summary,
            "explanation": self.explanation,
            "topology": self.topology,
            "workload": self.workload,
        }


def icon_url(kind: str) -> str:
    return static(f"designer/icons/{kind}.svg")


def kinds() -> list[dict[str, Any]]:
    """The emulator's kinds, each with its icon."""
    return [{**kind, "icon": icon_url(kind["name"])} for kind in _described()["kinds"]]


def roles() -> list[dict[str, Any]]:
    roles: list[dict[str, Any]] = _described()["roles"]
    return roles


@cache
def _described() -> dict[str, Any]:
    # The emulator's catalog is fixed for the life of the process.
    return emulator_catalog.describe()


def catalog() -> dict[str, Any]:
    """The answer of GET /api/catalog/."""
    return {"kinds": kinds(), "roles": roles(), "templates": [t.as_dict() for t in templates()]}


def catalog_json() -> bytes:
    """``catalog()`` as GET /api/catalog/ sends it, encoded once per process: the catalog is fixed
    for the process's life, and encoding its 150 KB took some 2 ms a request."""
    return _encoded_catalog(Path(settings.EXAMPLES_DIR), settings.STATIC_URL)


@cache
def _encoded_catalog(examples: Path, static_url: str) -> bytes:
    return json.dumps(catalog(), cls=DjangoJSONEncoder).encode()


def templates() -> list[Template]:
    """Every example as a template, in the order of their names."""
    return list(_templates(Path(settings.EXAMPLES_DIR)))


def template(template_id: str) -> Template | None:
    return next((t for t in templates() if t.id == template_id), None)


@cache
def _templates(examples: Path) -> tuple[Template, ...]:
    folders = sorted(p for p in examples.iterdir() if (p / "topology.json").is_file())
    return tuple(sorted((_read_template(folder) for folder in folders), key=lambda t: t.name.lower()))


def _read_template(folder: Path) -> Template:
    readme = (folder / "README.md").read_text(encoding="utf-8")
    workload_path = folder / "workload.json"
    heading = _HEADING.search(readme)
    return Template(
        id=folder.name,
        name=heading.group(1) if heading else folder.name,
        summary=summary_of(readme),
        explanation=readme,
        topology=json.loads((folder / "topology.json").read_text(encoding="utf-8")),
        workload=json.loads(workload_path.read_text(encoding="utf-8")) if workload_path.is_file() else {},
    )


def lesson_of(readme: str) -> str:
    """The "What the run shows" paragraph of a README, emphasis marks removed, on one line."""
    shows = _RUN_SHOWS.search(readme)
    return " ".join(_MARKDOWN_EMPHASIS.sub("", shows.group(1)).split()) if shows else ""


def summary_of(readme: str) -> str:
    """The first sentence of the "What the run shows" paragraph, else of the first paragraph."""
    shows = _RUN_SHOWS.search(readme)
    if shows:
        text = shows.group(1)
    else:
        paragraphs = [p for p in re.split(r"\n\s*\n", readme) if p.strip() and not p.lstrip().startswith("#")]
        text = paragraphs[0] if paragraphs else ""
    text = " ".join(_MARKDOWN_EMPHASIS.sub("", text).split())
    return _SENTENCE_END.split(text, maxsplit=1)[0]
