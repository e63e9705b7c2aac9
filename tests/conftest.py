"""Fixtures every test may use: fast password hashing and the cast of users.

The cast (guide/style.md): alice owns topologies, bob will collaborate (sharing comes later),
charlie has no access to anything of alice's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PASSWORD = "correct-horse-battery-9"
# What a failing test leaves to look at: browser screenshots, the processes' logs of an end-to-end test.
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    # Keep each phase's report on the test, so fixtures can tell whether the test failed.
    report: pytest.TestReport = yield
    setattr(item, f"report_{report.when}", report)
    return report


# Documents the property-based tests tried, by outcome (tests/emulator/test_properties.py), summed from
# each test's teardown report, which xdist forwards from its workers.
DOCUMENTS_TRIED: dict[str, int] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "teardown":
        for name, value in report.user_properties:
            if name == "documents_tried" and isinstance(value, dict):
                for outcome, count in value.items():
                    DOCUMENTS_TRIED[outcome] = DOCUMENTS_TRIED.get(outcome, 0) + count


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if DOCUMENTS_TRIED:
        parts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(DOCUMENTS_TRIED.items()))
        terminalreporter.write_line(f"property tests: {sum(DOCUMENTS_TRIED.values())} documents tried ({parts})")


def failed(item: pytest.Item) -> bool:
    """Whether the test's setup or body failed (for fixtures that keep evidence of a failure)."""
    return any(getattr(item, f"report_{phase}", None) is not None and getattr(item, f"report_{phase}").failed
               for phase in ("setup", "call"))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None,
                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    """A SQLite test database is a file of this session's (and xdist worker's) own; connections
    close at the end of each request.

    A file, so that threads lock it as they lock the console's database (an in-memory database
    shared between threads fails at once where a file waits); this session's own, so that two
    test runs in one work tree never share one.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    # The console's request threads (console/handlers.py) would otherwise keep connections to a
    # test's database after the test; tests/console/test_handlers.py checks that they can keep them.
    database["CONN_MAX_AGE"] = 0
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2's million rounds cost ~0.3 s a login; the tests check behaviour, not hashing strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_embedded_worker(settings: Any) -> None:
    # Tests run tasks themselves; the end-to-end test of the embedded mode turns the worker on.
    settings.CELERY_WORKER_EMBEDDED = False


@pytest.fixture
def alice(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="alice", password=PASSWORD)


@pytest.fixture
def bob(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="bob", password=PASSWORD)


@pytest.fixture
def charlie(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="charlie", password=PASSWORD)
