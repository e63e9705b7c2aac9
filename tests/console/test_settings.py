"""console/settings.py: read from the environment, loud on bad values, every variable documented."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def settings_with(environment: dict[str, str], expression: str) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh interpreter with these variables; print ``expression`` as JSON."""
    script = f"import json, console.settings as s; print(json.dumps({expression}))"
    clean = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "console.settings", **environment}
    return subprocess.run([sys.executable, "-c", script], env=clean, cwd=ROOT, capture_output=True, text=True,
                          check=False)


def test_the_defaults_run_a_local_console_on_sqlite() -> None:
    result = settings_with({}, "[s.DEBUG, s.ALLOWED_HOSTS, s.DATABASES['default']['ENGINE'], "
                               "str(s.DATABASES['default']['NAME']), s.SERVE_STATIC]")

    debug, hosts, engine, name, serve_static = json.loads(result.stdout)
    assert debug is True
    assert hosts == ["127.0.0.1", "localhost"]
    assert engine == "django.db.backends.sqlite3"
    assert name == str(ROOT / "db.sqlite3")
    assert serve_static is True


def test_database_url_switches_to_postgresql() -> None:
    result = settings_with({"DATABASE_URL": "postgres://wiretap:secret@db.example:5433/wiretap"},
                           "s.DATABASES['default']")

    database = json.loads(result.stdout)
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"], database["USER"]) == (
        "db.example", 5433, "wiretap", "wiretap")


def test_production_without_a_secret_key_refuses_to_start() -> None:
    result = settings_with({"DEBUG": "false"}, "s.SECRET_KEY")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is false" in result.stderr


def test_production_with_a_secret_key_starts() -> None:
    result = settings_with({"DEBUG": "false", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "wiretap.example"},
                           "[s.DEBUG, s.ALLOWED_HOSTS]")

    assert json.loads(result.stdout) == [False, ["wiretap.example"]]


def test_a_value_that_is_not_a_boolean_names_the_variable() -> None:
    result = settings_with({"DEBUG": "maybe"}, "s.DEBUG")

    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_a_malformed_database_url_names_the_variable() -> None:
    result = settings_with({"DATABASE_URL": "nosuchdb://x"}, "s.DATABASES")

    assert result.returncode != 0
    assert "DATABASE_URL cannot be read" in result.stderr


LIMITS = ("WIRETAP_MAX_MESSAGES", "WIRETAP_MAX_RATE", "WIRETAP_MAX_VIRTUAL_S", "WIRETAP_MAX_MESSAGE_KB",
          "WIRETAP_MAX_STORED_TRACES",
          "WIRETAP_MAX_RUN_EVENTS", "WIRETAP_MAX_RUN_MB", "WIRETAP_QUOTA_TOPOLOGIES_MB", "WIRETAP_QUOTA_RUNS_MB")


def test_the_limits_default_to_what_env_example_lists() -> None:
    result = settings_with({}, "{" + ", ".join(f"'{name}': s.{name}" for name in LIMITS) + "}")
    listed = dict(re.findall(r"^(WIRETAP_(?:MAX|QUOTA)_[A-Z_]+)=(\d+)$", (ROOT / ".env.example").read_text(),
                             re.MULTILINE))

    assert json.loads(result.stdout) == {name: int(listed[name]) for name in LIMITS}


def test_a_limit_below_its_minimum_names_the_variable() -> None:
    result = settings_with({"WIRETAP_MAX_MESSAGES": "0"}, "s.WIRETAP_MAX_MESSAGES")

    assert result.returncode != 0
    assert "WIRETAP_MAX_MESSAGES='0' must be at least 1" in result.stderr


def test_every_variable_the_settings_read_is_in_env_example() -> None:
    source = (ROOT / "console" / "settings.py").read_text()
    read = set(re.findall(r'\benv(?:_bool|_list|_int)?\("([A-Z_]+)"', source))
    listed = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))

    assert read, "no variables found in console/settings.py"
    assert read - listed == set()


def test_with_redis_a_consumer_outwaits_its_own_blocking_read() -> None:
    # channels_redis blocks in BZPOPMIN for brpop_timeout; a socket timeout no longer than that
    # made a loaded machine's consumers die of TimeoutError, and their pages' streams with them.
    from channels_redis.core import RedisChannelLayer
    from channels_redis.utils import create_pool

    result = settings_with({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "s.CHANNEL_LAYERS['default']")
    layer = json.loads(result.stdout)
    assert layer["BACKEND"] == "channels_redis.core.RedisChannelLayer"

    pool = create_pool(RedisChannelLayer(**layer["CONFIG"]).hosts[0])
    socket_timeout = pool.connection_class(**pool.connection_kwargs).socket_timeout
    assert socket_timeout >= 3 * RedisChannelLayer.brpop_timeout
