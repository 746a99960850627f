"""Print the pinned requirements a real Home Assistant needs to boot fully offline.

``script/develop`` starts Home Assistant with ``--skip-pip``, so nothing is
installed at runtime. This prints, one per line, every ``name==version``
requirement of the integrations Home Assistant always sets up (its core and
default integrations, the frontend included), of the recorder and of this project's own
integrations, with their dependencies, that is not installed at that version
in the running interpreter. ``script/setup`` pipes the list into pip, so the
list follows the installed Home Assistant version instead of being hard-coded.

Usage: ``python -m dev.default_requirements [--all]`` (``--all`` also prints
the ones already installed).
"""

from __future__ import annotations

from collections.abc import Iterable
import importlib.metadata
import json
from pathlib import Path
import re
import sys
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
EXTRA_MANIFESTS = (
    REPO_ROOT / "custom_components" / "occupancy_prediction" / "manifest.json",
    REPO_ROOT / "dev" / "occupancy_demo" / "manifest.json",
)
EXTRA_DOMAINS = ("recorder", "history", "logbook", "logger")
_PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^;\s]+)$")


def bootstrap_domains() -> set[str]:
    """The domains Home Assistant sets up without any configuration."""
    from homeassistant import bootstrap  # noqa: PLC0415 - heavy import, only here

    return {*bootstrap.CORE_INTEGRATIONS, *bootstrap.DEFAULT_INTEGRATIONS}


def _manifest(components: Path, domain: str) -> dict[str, Any] | None:
    path = components / domain / "manifest.json"
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def collect_requirements(
    components: Path, domains: Iterable[str], extra: Iterable[dict[str, Any]] = ()
) -> list[str]:
    """Requirements of ``domains`` and ``extra`` manifests, with all their dependencies.

    Args:
        components: Home Assistant's ``components`` folder.
        domains: domains to start from.
        extra: further manifests (custom integrations) to start from.

    Returns:
        Sorted, de-duplicated requirement strings.
    """
    requirements: set[str] = set()
    seen: set[str] = set()
    todo = list(domains)
    manifests = list(extra)
    while manifests or todo:
        if not manifests:
            domain = todo.pop()
            if domain in seen or (found := _manifest(components, domain)) is None:
                seen.add(domain)
                continue
            seen.add(domain)
            manifests.append(found)
        manifest = manifests.pop()
        requirements.update(str(r) for r in manifest.get("requirements", []))
        todo.extend(str(d) for d in manifest.get("dependencies", []))
    return sorted(requirements)


def is_installed(requirement: str) -> bool:
    """Whether a ``name==version`` pin is installed at that version (others: True)."""
    match = _PIN.match(requirement.strip())
    if match is None:
        return True
    name = match.group(1).split("[", 1)[0]
    try:
        return importlib.metadata.version(name) == match.group(2)
    except importlib.metadata.PackageNotFoundError:
        return False


def main(argv: list[str]) -> int:
    """Print the missing (or with ``--all``, every) pinned requirement."""
    import homeassistant.components  # noqa: PLC0415

    components = Path(homeassistant.components.__file__).parent
    extra = [json.loads(p.read_text(encoding="utf-8")) for p in EXTRA_MANIFESTS if p.is_file()]
    wanted = collect_requirements(components, [*bootstrap_domains(), *EXTRA_DOMAINS], extra)
    for requirement in wanted:
        if _PIN.match(requirement) and ("--all" in argv or not is_installed(requirement)):
            print(requirement)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
