"""Fixtures every test may use: fast password hashing and the cast of users.

The cast (guide/style.md): alice owns topologies, bob will collaborate (sharing comes later),
charlie has no access to anything of alice's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

PASSWORD = "correct-horse-battery-9"

# The SQLite test databases are files in out/ (console/settings.py says why); SQLite does not
# create their folder.
(Path(__file__).resolve().parent.parent / "out").mkdir(exist_ok=True)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2's million rounds cost ~0.3 s a login; the tests check behaviour, not hashing strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="alice", password=PASSWORD)


@pytest.fixture
def bob(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="bob", password=PASSWORD)


@pytest.fixture
def charlie(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="charlie", password=PASSWORD)
