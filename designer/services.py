"""The designer's use cases: every write to a topology goes through one of these functions.

Saving is optimistic: the caller says which version it started from, and a save from any
other version raises ``Conflict`` carrying the topology as it is now, having written nothing.
The claim on the next version number is one conditional UPDATE (``version = base``), which
the database serialises, so of two saves from the same version exactly one lands; the unique
(topology, number) constraint backs it up.

Saving accepts unfinished designs: only a document that is not a topology at all (not an
object, another ``format``, components, connections or groups not arrays of objects, a name
that is not a string) is refused, with ``InvalidInput``. What is wrong inside it comes back as
findings (``validate_document``). Pointers in ``InvalidInput`` problems point into the request
that carried the arguments: ``/name``, ``/document/components``.

A topology's name and its latest document's ``name`` are the same: a name given with a save
(or at creation) is written into the document, a save without one takes the document's, and
renaming saves a new version with the new name (so an open designer, whose saves carry the
document's name, can never silently undo a rename: it gets a 409 instead).

Every new version counts against its topology owner's quota of stored bytes
(``WIRETAP_QUOTA_TOPOLOGIES_MB``, the versions' ``size_bytes``): a version that would pass it
raises ``QuotaExceeded`` and nothing is written.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from designer.catalog import template
from designer.models import Topology, TopologyVersion, document_size
from emulator.findings import validate
from emulator.problems import Problem
from emulator.topology import FORMAT

NAME_MAX_LENGTH = Topology._meta.get_field("name").max_length or 200
# A regular-expression character class (brackets aside) of exactly the characters str.split(), so
# clean_name, takes for whitespace: the OpenAPI name pattern, which every engine reads alike.
WHITESPACE_CLASS = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
MB = 1_000_000


class InvalidInput(ValueError):
    """Arguments that cannot be used; ``problems`` says each thing wrong, with a pointer."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


class Conflict(Exception):
    """A save or restore from a version that is no longer the latest; nothing was written."""

    def __init__(self, topology: Topology, base_version: int) -> None:
        self.topology = topology
        self.base_version = base_version
        super().__init__(
            f"{topology.name!r} is at version {topology.version}, not {base_version}: someone saved "
            "it since you opened it"
        )


class QuotaExceeded(Exception):
    """Storing this would take the user past one of their quotas of stored bytes; nothing was written.

    ``quota`` names it ("topologies", "runs"), ``setting`` the setting that sets it.
    """

    def __init__(self, quota: str, setting: str, used_bytes: int, limit_bytes: int, message: str) -> None:
        self.quota = quota
        self.setting = setting
        self.used_bytes = used_bytes
        self.limit_bytes = limit_bytes
        super().__init__(message)


def versions_bytes(owner_id: int) -> int:
    """What the versions of the owner's topologies store."""
    total: int | None = TopologyVersion.objects.filter(topology__owner_id=owner_id).aggregate(
        total=Sum("size_bytes"))["total"]
    return total or 0


def _check_room(owner_id: int, document: dict[str, Any]) -> None:
    """Raises QuotaExceeded when a version of ``document`` would take the owner past their quota."""
    limit = settings.WIRETAP_QUOTA_TOPOLOGIES_MB * MB
    used = versions_bytes(owner_id)
    if used + document_size(document) > limit:
        raise QuotaExceeded("topologies", "WIRETAP_QUOTA_TOPOLOGIES_MB", used, limit, (
            f"your topologies' versions store {used / MB:,.1f} MB and this version would pass your quota of "
            f"{settings.WIRETAP_QUOTA_TOPOLOGIES_MB:,} MB (WIRETAP_QUOTA_TOPOLOGIES_MB); nothing was saved: delete "
            "topologies you no longer need (with their versions and runs) to make room"))


def empty_document(name: str) -> dict[str, Any]:
    return {"format": FORMAT, "name": name, "components": [], "connections": [], "groups": []}


def validate_document(document: Any) -> list[Problem]:
    """The errors of a document (the emulator would refuse it), else its best-practice warnings.

    The same findings as ``python -m emulator validate``.
    """
    return validate(document)


def document_problems(document: Any, where: str = "/document") -> list[Problem]:
    """Why ``document`` is not a topology at all (an empty list when it can be saved)."""
    if not isinstance(document, dict):
        return [Problem(where, f"must be a {FORMAT} document (a JSON object), got {_json_type(document)}")]
    problems = []
    if document.get("format") != FORMAT:
        problems.append(Problem(f"{where}/format", f'must be "{FORMAT}", got {_short_json(document.get("format"))}'))
    name = document.get("name", "")
    if not isinstance(name, str) or len(name) > NAME_MAX_LENGTH:
        problems.append(Problem(f"{where}/name", f"must be a string of at most {NAME_MAX_LENGTH} characters, got "
                                + (f"{len(name)}" if isinstance(name, str) else _json_type(name))))
    if not isinstance(document.get("components"), list):
        problems.append(Problem(f"{where}/components", f"must be an array of components, got "
                                f"{_json_type(document.get('components'))}"))
    for key in ("components", "connections", "groups"):
        items = document.get(key, [])
        if not isinstance(items, list):
            if key != "components":
                problems.append(Problem(f"{where}/{key}", f"must be an array, got {_json_type(items)}"))
            continue
        problems += [Problem(f"{where}/{key}/{index}", f"must be an object (one of the {key}), got {_json_type(item)}")
                     for index, item in enumerate(items) if not isinstance(item, dict)]
    return problems


def clean_name(name: Any, where: str = "/name") -> str:
    """A topology name: a string of at most NAME_MAX_LENGTH characters, not blank; its runs of
    whitespace (``str.split``'s, WHITESPACE_CLASS) become one space, and it is trimmed.

    The length is the one sent, before trimming, as /api/openapi.json's ``maxLength`` says."""
    if not isinstance(name, str):
        raise InvalidInput([Problem(where, f"must be a string, got {_json_type(name)}")])
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidInput([Problem(where, f"must be at most {NAME_MAX_LENGTH} characters, got {len(name)}")])
    if "\x00" in name:  # a form's name (the API's bodies cannot hold one): PostgreSQL would refuse it
        raise InvalidInput([Problem(where, "must not hold a NUL character")])
    name = " ".join(name.split())
    if not name:
        raise InvalidInput([Problem(where, "must not be blank")])
    return name


def create_topology(owner: AbstractBaseUser, name: str | None = None, document: Any = None,
                    template_id: str | None = None) -> TopologyVersion:
    """A new topology with its version 1: ``document``, else the template's, else an empty one.

    Without a name, the template's name (or the document's) is used.
    """
    if document is not None and template_id is not None:
        raise InvalidInput([Problem("/template", "give either a document or a template, not both")])
    if template_id is not None:
        chosen = template(template_id) if isinstance(template_id, str) else None
        if chosen is None:
            raise InvalidInput([Problem("/template", f"unknown template {_short_json(template_id)}")])
        document = copy.deepcopy(chosen.topology)
        name = chosen.name if name is None else name
    if document is None:
        document = empty_document("")
    problems = document_problems(document)
    if problems:
        raise InvalidInput(problems)
    name = _name_for(name, document) or "Untitled topology"
    _check_room(owner.pk, {**document, "name": name})
    with transaction.atomic():
        topology = Topology.objects.create(name=name, owner=owner, version=1, template=template_id or "")
        return TopologyVersion.objects.create(topology=topology, number=1, document={**document, "name": name},
                                              author=owner)


def save_topology(topology: Topology, base_version: Any, document: Any, user: AbstractBaseUser,
                  name: str | None = None) -> TopologyVersion:
    """Save ``document`` as the version after ``base_version``; raises Conflict if that is stale.

    The name is ``name`` if given, else the document's, else the topology's current one.
    """
    problems: list[Problem] = []
    base = _base_version(base_version, problems)
    problems += document_problems(document)
    if problems:
        raise InvalidInput(problems)
    return _add_version(topology, base, document, user, _name_for(name, document) or topology.name)


def restore_version(topology: Topology, number: int, base_version: Any, user: AbstractBaseUser) -> TopologyVersion:
    """A new version whose document (and so name) is version ``number``'s; raises Conflict if
    ``base_version`` is stale."""
    problems: list[Problem] = []
    base = _base_version(base_version, problems)
    if problems:
        raise InvalidInput(problems)
    old = get_version(topology, number)
    return _add_version(topology, base, old.document, user, _name_for(None, old.document) or topology.name)


def rename_topology(topology: Topology, name: Any, user: AbstractBaseUser) -> TopologyVersion:
    """A new version of the latest document under the new name; raises Conflict if someone saved meanwhile."""
    new_name = clean_name(name)
    latest = latest_version(topology)
    if new_name == topology.name:
        return latest
    return _add_version(topology, latest.number, latest.document, user, new_name)


def delete_topology(topology: Topology) -> None:
    topology.delete()


def _name_for(name: Any, document: dict[str, Any]) -> str | None:
    """The name a save gives the topology: ``name`` if given (checked), else the document's own."""
    if name is not None:
        return clean_name(name)
    own = document.get("name")
    if isinstance(own, str) and own.strip():
        return clean_name(own, where="/document/name")
    return None


def _add_version(topology: Topology, base_version: int, document: dict[str, Any], user: AbstractBaseUser,
                 name: str) -> TopologyVersion:
    changes = {"version": F("version") + 1, "updated_at": timezone.now(), "name": name}
    document = {**document, "name": name}
    _check_room(topology.owner_id, document)
    try:
        with transaction.atomic():
            # The claim: only a save from the latest version moves it on.
            claimed = Topology.objects.filter(pk=topology.pk, version=base_version).update(**changes)
            version = TopologyVersion.objects.create(
                topology_id=topology.pk, number=base_version + 1, document=document, author=user,
            ) if claimed else None
    except IntegrityError:  # another save took the number first (the claim makes this rare)
        version = None
    topology.refresh_from_db()
    if version is None:
        raise Conflict(topology, base_version)
    version.topology = topology  # just read again: its name and version are the ones this save set
    return version


def whole_number(value: Any) -> int | None:
    """``value`` as an int when JSON Schema calls it an integer (7, or 7.0), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, float) and value.is_integer() else None


def _base_version(value: Any, problems: list[Problem]) -> int:
    """The version number a save starts from; 0, with a problem added, when ``value`` is not one."""
    number = whole_number(value)
    if number is None or number < 1:
        problems.append(Problem("/version", "must be the number of the version you started from (a whole number, "
                                f"1 or more), got {_short_json(value)}"))
        return 0
    return number


# Reads ------------------------------------------------------------------------------------

def topologies_of(user: AbstractBaseUser) -> QuerySet[Topology]:
    """The user's topologies, most recently changed first, with the latest version's author."""
    latest_author = TopologyVersion.objects.filter(
        topology=OuterRef("pk"), number=OuterRef("version")).values("author__username")[:1]
    return Topology.objects.filter(owner=user).annotate(updated_by=Subquery(latest_author))


def topology_of(user: AbstractBaseUser, topology_id: int) -> Topology:
    """The user's topology with this id; raises Topology.DoesNotExist for anyone else's."""
    return Topology.objects.get(pk=topology_id, owner=user)


def latest_version(topology: Topology) -> TopologyVersion:
    return get_version(topology, topology.version)


def get_version(topology: Topology, number: int) -> TopologyVersion:
    """Raises TopologyVersion.DoesNotExist when the topology has no such version."""
    version = TopologyVersion.objects.select_related("author").get(topology=topology, number=number)
    version.topology = topology  # the caller's row: reading it again for its name was one query more
    return version


def list_versions(topology: Topology) -> QuerySet[TopologyVersion]:
    """Newest first, without the documents (a history may hold hundreds of large ones)."""
    return topology.versions.select_related("author").defer("document").order_by("-number")


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null",
             int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def _short_json(value: Any, limit: int = 60) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
