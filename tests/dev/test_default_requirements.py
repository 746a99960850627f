"""Collecting the pinned requirements Home Assistant needs offline."""

from __future__ import annotations

import json
from pathlib import Path

from dev.default_requirements import bootstrap_domains, collect_requirements, is_installed


def write_manifest(root: Path, domain: str, requirements: list[str], deps: list[str]) -> None:
    (root / domain).mkdir()
    manifest = {"domain": domain, "requirements": requirements, "dependencies": deps}
    (root / domain / "manifest.json").write_text(json.dumps(manifest))


def test_collect_follows_dependencies(tmp_path: Path) -> None:
    write_manifest(tmp_path, "a", ["x==1"], ["b"])
    write_manifest(tmp_path, "b", ["y==2"], ["a", "missing"])
    write_manifest(tmp_path, "c", ["z==3"], [])
    extra = [{"requirements": ["w==4"], "dependencies": ["c"]}]
    assert collect_requirements(tmp_path, ["a"], extra) == ["w==4", "x==1", "y==2", "z==3"]


def test_is_installed() -> None:
    assert not is_installed("surely-not-a-real-package==1.0")
    assert not is_installed("pytest==0.0.1")
    assert is_installed("not a pin")


def test_frontend_is_a_default_domain() -> None:
    assert "frontend" in bootstrap_domains()
