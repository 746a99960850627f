"""Repository checks that HACS and hassfest would otherwise only catch on GitHub."""

from __future__ import annotations

import ast
import json
from pathlib import Path
import struct

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
