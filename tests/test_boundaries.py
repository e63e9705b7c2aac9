"""The emulator is a library: it imports nothing from the web console's stack.

The web apps adapt the emulator, never the reverse (guide/style.md, "Shape of the house"),
so the CLI and the conformance suites run without Django, Channels, Celery or Redis.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EMULATOR = ROOT / "emulator"
WEB_STACK = frozenset({"django", "channels", "celery", "daphne", "redis"})


def _web_stack_imports(path: Path) -> list[str]:
    """Each import of the web stack in one file, as 'file:line: statement'."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            if name.partition(".")[0] in WEB_STACK:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    return found


def _emulator_modules() -> list[str]:
    """Every module under emulator/, as dotted names."""
    modules = []
    for path in sorted(EMULATOR.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules.append(".".join(parts))
    return modules


def test_no_emulator_file_imports_the_web_stack() -> None:
    files = sorted(EMULATOR.rglob("*.py"))
    assert files, f"no Python files under {EMULATOR}"
    offences = [line for path in files for line in _web_stack_imports(path)]
    assert not offences, "the emulator must not import the web stack:\n" + "\n".join(offences)


def test_importing_every_emulator_module_loads_no_web_framework() -> None:
    # A fresh interpreter, so what the test process has loaded cannot hide or fake anything.
    # emulator.cli is among the modules once it exists; every other module is checked too,
    # since a web import may hide in a module the CLI reaches only at run time.
    script = """
import importlib, json, sys
failed = {}
for name in sys.argv[1:]:
    if name.endswith("__main__"):
        continue  # running it would start the CLI
    try:
        importlib.import_module(name)
    except Exception as error:
        failed[name] = f"{type(error).__name__}: {error}"
loaded = sorted({m.partition(".")[0] for m in sys.modules} & set(json.loads(sys.stdin.readline())))
print(json.dumps({"loaded": loaded, "failed": failed}))
"""
    modules = _emulator_modules()
    result = subprocess.run(
        [sys.executable, "-c", script, *modules],
        input=json.dumps(sorted(WEB_STACK)) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert not report["failed"], "emulator modules that fail to import:\n" + "\n".join(
        f"{name}: {error}" for name, error in report["failed"].items()
    )
    assert report["loaded"] == [], f"importing the emulator loaded {report['loaded']}"
