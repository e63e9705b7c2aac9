"""scripts/vendor-static: copies the listed npm files into static/vendor/, refuses unpinned versions."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with the script, a package.json pinning `widget` 1.2.3 and `widget` installed."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "vendor-static", tmp_path / "scripts" / "vendor-static")
    (tmp_path / "package.json").write_text(json.dumps({
        "dependencies": {"widget": "1.2.3"},
        "vendor": {"widget": ["dist/widget.mjs", "LICENSE"]},
    }))
    package = tmp_path / "node_modules" / "widget"
    (package / "dist").mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": "widget", "version": "1.2.3"}))
    (package / "dist" / "widget.mjs").write_text("export default 1;\n")
    (package / "LICENSE").write_text("MIT\n")
    return tmp_path


def vendor(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["node", str(project / "scripts" / "vendor-static")], capture_output=True, text=True,
                          check=False)


def test_the_listed_files_are_copied_flat_into_static_vendor(project: Path) -> None:
    result = vendor(project)

    assert result.returncode == 0, result.stderr
    copied = sorted(p.relative_to(project / "static" / "vendor").as_posix()
                    for p in (project / "static" / "vendor").rglob("*") if p.is_file())
    assert copied == ["widget/LICENSE", "widget/widget.mjs"]
    assert "2 files copied" in result.stdout


def test_a_version_other_than_the_pinned_one_is_refused(project: Path) -> None:
    (project / "node_modules" / "widget" / "package.json").write_text(json.dumps({"version": "1.3.0"}))

    result = vendor(project)

    assert result.returncode == 1
    assert "widget 1.3.0 is installed, package.json pins 1.2.3 (run npm ci)" in result.stderr


def test_a_missing_package_or_file_is_named(project: Path) -> None:
    (project / "node_modules" / "widget" / "LICENSE").unlink()

    result = vendor(project)

    assert result.returncode == 1
    assert "widget 1.2.3 has no LICENSE" in result.stderr
    shutil.rmtree(project / "node_modules")
    assert "widget is not installed in node_modules (run npm ci)" in vendor(project).stderr


def test_the_project_manifest_names_only_pinned_packages() -> None:
    manifest = json.loads((ROOT / "package.json").read_text())

    assert set(manifest["vendor"]) <= set(manifest["dependencies"])
    assert all(version[0].isdigit() for version in manifest["dependencies"].values()), "pin exact versions"
