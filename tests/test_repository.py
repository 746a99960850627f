"""Repository checks that HACS and hassfest would otherwise only catch on GitHub."""

from __future__ import annotations

import ast
import json
from pathlib import Path
import struct
from typing import Any

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "custom_components" / "occupancy_prediction"
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "render_readme",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
}


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_exactly_one_integration() -> None:
    assert [p.name for p in (ROOT / "custom_components").iterdir() if p.is_dir()] == [
        "occupancy_prediction"
    ]


def test_manifest_order_and_required_keys() -> None:
    manifest = json.loads((PACKAGE / "manifest.json").read_text())
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    for key in ("codeowners", "documentation", "issue_tracker", "version", "iot_class"):
        assert manifest[key]
    assert manifest["domain"] == "occupancy_prediction"
    assert manifest["single_config_entry"] is True


def test_hacs_json_has_only_accepted_keys() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"] == "Occupancy Prediction"


def test_brand_icons() -> None:
    assert png_size(PACKAGE / "brand" / "icon.png") == (256, 256)
    assert png_size(PACKAGE / "brand" / "icon@2x.png") == (512, 512)


def flow_error_keys() -> set[str]:
    """Error keys in config_flow.py: ``errors[...] = "key"`` and the returns of ``*_error``."""
    tree = ast.parse((PACKAGE / "config_flow.py").read_text())
    keys: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            if any(
                isinstance(t, ast.Subscript)
                and isinstance(t.value, ast.Name)
                and t.value.id == "errors"
                for t in node.targets
            ):
                keys.add(node.value.value)
        elif isinstance(node, ast.FunctionDef) and node.name.endswith("_error"):
            keys.update(
                ret.value.value
                for ret in ast.walk(node)
                if isinstance(ret, ast.Return)
                and isinstance(ret.value, ast.Constant)
                and isinstance(ret.value.value, str)
            )
    return keys


def test_every_flow_error_is_translated() -> None:
    strings = json.loads((PACKAGE / "translations" / "en.json").read_text())
    translated = set(strings["config_subentries"]["room"]["error"]) | set(
        strings["options"]["error"]
    )
    used = flow_error_keys()
    assert used >= {"no_sensors", "entity_not_found", "group_entity", "list_attributes"}
    assert used <= translated


def test_subentry_translations_have_what_hassfest_requires() -> None:
    room = json.loads((PACKAGE / "translations" / "en.json").read_text())["config_subentries"][
        "room"
    ]
    assert room["entry_type"]
    assert room["initiate_flow"]["user"]
    for step in room["step"].values():
        assert set(step.get("data_description", {})) <= set(step["data"])


def test_services_yaml_matches_the_registered_services_and_translations() -> None:
    services_yaml = (PACKAGE / "services.yaml").read_text()
    declared = {line.rstrip(":") for line in services_yaml.splitlines() if line and line[0] != " "}
    tree = ast.parse((PACKAGE / "services.py").read_text())
    registered = {
        node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and any(isinstance(t, ast.Name) and t.id.startswith("SERVICE_") for t in node.targets)
    }
    translations = json.loads((PACKAGE / "translations" / "en.json").read_text())["services"]
    assert (
        declared
        == registered
        == set(translations)
        == {
            "retrain",
            "get_predictions",
            "acknowledge_alert",
        }
    )


def strings() -> dict[str, Any]:
    return json.loads((PACKAGE / "translations" / "en.json").read_text())


def module(name: str) -> ast.Module:
    return ast.parse((PACKAGE / f"{name}.py").read_text())


def keyword_constants(tree: ast.AST, keyword: str) -> set[str]:
    """String constants passed as ``keyword=...`` to any call in ``tree``."""
    return {
        kw.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for kw in node.keywords
        if kw.arg == keyword
        and isinstance(kw.value, ast.Constant)
        and isinstance(kw.value.value, str)
    }


def test_every_entity_translation_key_is_translated() -> None:
    """``translation_key="..."`` descriptions and the keys given to the base entities."""
    used: dict[str, set[str]] = {}
    for platform in ("sensor", "binary_sensor"):
        tree = module(platform)
        keys = keyword_constants(tree, "translation_key")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "__init__"
                and node.args
                and isinstance(node.args[-1], ast.Constant)
            ):
                keys.add(node.args[-1].value)
        used[platform] = keys
    entity = strings()["entity"]
    assert used["binary_sensor"] == {"occupancy"}
    assert used["sensor"] >= {"next_transition", "status"}
    for platform, keys in used.items():
        assert keys <= set(entity[platform]), platform


def test_every_issue_and_exception_key_is_translated() -> None:
    from custom_components.occupancy_prediction.alerts import AlertKind  # noqa: PLC0415
    from custom_components.occupancy_prediction.repairs import (  # noqa: PLC0415
        ISSUE_MISSING_ENTITY,
    )

    issues = {ISSUE_MISSING_ENTITY} | {f"alert_{kind.value}" for kind in AlertKind}
    for node in ast.walk(module("coordinator")):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "async_set_warning_issue"
            and isinstance(node.args[2], ast.Constant)
        ):
            issues.add(node.args[2].value)
    assert "sensor_unavailable" in issues
    assert issues <= set(strings()["issues"])

    exceptions: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        if path.stem in {"repairs", "alerts", "sensor", "binary_sensor"}:
            continue  # their translation keys are issues and entities
        exceptions |= keyword_constants(ast.parse(path.read_text()), "translation_key")
    assert exceptions >= {"not_loaded", "room_not_found", "alert_not_found"}
    assert exceptions <= set(strings()["exceptions"])


def test_every_flow_step_and_abort_reason_is_translated() -> None:
    sections = {
        "ConfigFlow": strings()["config"],
        "OptionsFlow": strings()["options"],
        "ConfigSubentryFlow": strings()["config_subentries"]["room"],
    }
    seen = set()
    for node in ast.walk(module("config_flow")):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {base.id for base in node.bases if isinstance(base, ast.Name)}
        for base in bases & set(sections):
            seen.add(base)
            section = sections[base]
            steps = {
                item.name.removeprefix("async_step_")
                for item in node.body
                if isinstance(item, ast.AsyncFunctionDef) and item.name.startswith("async_step_")
            }
            assert steps <= set(section["step"]), base
            assert keyword_constants(node, "reason") <= set(section.get("abort", {})), base
    assert seen == set(sections)


def test_card_is_shipped_inside_the_integration_and_documented() -> None:
    from custom_components.occupancy_prediction import CARD_FILE, CARD_URL  # noqa: PLC0415

    assert CARD_FILE.is_file()
    assert CARD_FILE.is_relative_to(PACKAGE)  # HACS downloads only this folder
    assert CARD_URL.endswith("/" + CARD_FILE.name)
    source = CARD_FILE.read_text()
    # Dependency-free: no bare or remote imports.
    assert "import " not in "\n".join(
        line for line in source.splitlines() if not line.lstrip().startswith(("*", "/"))
    ).replace("import()", "")
    assert "#the-lovelace-card" in source
    readme = (ROOT / "README.md").read_text()
    assert "## The Lovelace card" in readme
    assert "custom:occupancy-prediction-card" in readme
    assert png_size(ROOT / "docs" / "images" / "card.png")[0] <= 800
    assert (ROOT / "docs" / "images" / "card.png").stat().st_size < 150_000


def test_manifest_version_is_a_version() -> None:
    from awesomeversion import AwesomeVersion, AwesomeVersionStrategy  # noqa: PLC0415

    version = AwesomeVersion(json.loads((PACKAGE / "manifest.json").read_text())["version"])
    assert version.valid
    assert version.strategy is not AwesomeVersionStrategy.UNKNOWN


def test_validation_workflows() -> None:
    workflow = (ROOT / ".github" / "workflows" / "validate.yml").read_text()
    assert "hacs/action@" in workflow
    assert "category: integration" in workflow
    assert "home-assistant/actions/hassfest@" in workflow
