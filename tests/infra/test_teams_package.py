"""The Teams app package: valid against Microsoft's schema, the bot's real commands, sized icons, ids put in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from bot.commands import COMMANDS
from bot.locale import Translator
from bot.timeline_capture import CAPTURE_COMMAND
from devopsbot.cli.package import APP_PACKAGE, derived_app_id, load_template
from devopsbot.settings import ROOT
from devopsbot.teams_icons import ICONS, png_size

SCHEMAS = ROOT / "node_modules" / "@microsoft" / "app-manifest" / "build" / "json-schemas" / "teams"
BOT_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
APP_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
HOST = "func-devopsbot-abc123.azurewebsites.net"


def describe(name: str) -> str:
    """A command's line in Teams' command menu: its usage (if it takes arguments) and what it does, in English."""
    spec, english = COMMANDS[name], Translator("en")
    return f"{english(spec.usage_key)} — {english(spec.description_key)}" if spec.usage_key else english(
        spec.description_key)


def official_schema(manifest: dict[str, Any]) -> dict[str, Any]:
    """The schema of the manifest's own manifestVersion, as shipped in npm @microsoft/app-manifest."""
    path = SCHEMAS / f"v{manifest['manifestVersion']}" / "MicrosoftTeams.schema.json"
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: `make setup` installs @microsoft/app-manifest from npm")
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def schema_errors(manifest: dict[str, Any]) -> list[str]:
    validator = Draft4Validator(official_schema(manifest))
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(manifest)]


def package(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")}
    return subprocess.run([sys.executable, "-m", "devopsbot", "package", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def built(tmp_path: Path) -> zipfile.ZipFile:
    out = tmp_path / "teams.zip"
    result = package("--bot-id", BOT_ID.upper(), "--app-id", APP_ID, "--host", HOST, "--out", str(out))
    assert result.returncode == 0, result.stderr
    return zipfile.ZipFile(out)


def test_the_manifest_in_the_repository_follows_the_official_schema_of_its_version() -> None:
    assert schema_errors(load_template()) == []


def test_the_manifest_lists_the_bots_commands_in_help_order_as_many_as_teams_allows_in_every_scope() -> None:
    template = load_template()
    bot = template["bots"][0]
    command_list_schema = official_schema(template)["properties"]["bots"]["items"]["properties"]["commandLists"]
    limit = command_list_schema["items"]["properties"]["commands"]["maxItems"]
    expected = [(name, describe(name)) for name in list(COMMANDS)[:limit]]
    covered = set()
    for command_list in bot["commandLists"]:
        listed = [(c["title"], c["description"]) for c in command_list["commands"]]
        assert listed == expected, ("appPackage/manifest.json: commandLists must follow bot/commands.py COMMANDS "
                                    "with the descriptions of bot/locales/en.json")
        covered.update(command_list["scopes"])
    assert covered == set(bot["scopes"])


def test_the_manifest_declares_the_add_to_timeline_message_action_the_bot_answers(built: zipfile.ZipFile) -> None:
    # #19: on any message, "Add to incident timeline" opens the bot's dialog (fetchTask) instead of static fields.
    [extension] = load_template()["composeExtensions"]
    [command] = extension["commands"]
    assert (command["id"], command["type"], command["context"], command["fetchTask"], command["title"]) == (
        CAPTURE_COMMAND, "action", ["message"], True, "Add to incident timeline")
    manifest = json.loads(built.read("manifest.json"))
    assert [e["botId"] for e in manifest["composeExtensions"]] == [BOT_ID]  # the same bot answers it


def test_the_dashboard_is_a_static_tab_on_the_app_host() -> None:
    tabs = {tab["entityId"]: tab for tab in load_template()["staticTabs"]}
    assert tabs["dashboard"]["contentUrl"] == "https://{{host}}/api/dashboard"


def test_the_package_holds_the_manifest_with_this_deployments_ids_valid_against_the_schema(
        built: zipfile.ZipFile) -> None:
    manifest = json.loads(built.read("manifest.json"))
    assert schema_errors(manifest) == []
    assert manifest["id"] == APP_ID
    assert [bot["botId"] for bot in manifest["bots"]] == [BOT_ID]
    assert manifest["staticTabs"][0]["contentUrl"] == f"https://{HOST}/api/dashboard"
    assert manifest["validDomains"] == [HOST]
    assert "{{host}}" not in built.read("manifest.json").decode()
    # Teams shows these before anyone signs in: the app's own public pages (tests/functions/test_legal_pages.py).
    assert (manifest["developer"]["privacyUrl"], manifest["developer"]["termsOfUseUrl"]) == (
        f"https://{HOST}/api/privacy", f"https://{HOST}/api/terms")


def test_an_organisations_own_privacy_and_terms_pages_replace_the_apps(tmp_path: Path) -> None:
    out = tmp_path / "teams.zip"
    result = package("--bot-id", BOT_ID, "--host", HOST, "--privacy-url", "https://contoso.example/privacy",
                     "--terms-url", "https://contoso.example/terms", "--out", str(out))
    assert result.returncode == 0, result.stderr
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert schema_errors(manifest) == []
    assert (manifest["developer"]["privacyUrl"], manifest["developer"]["termsOfUseUrl"]) == (
        "https://contoso.example/privacy", "https://contoso.example/terms")


def test_the_package_holds_icons_of_the_sizes_teams_requires(built: zipfile.ZipFile) -> None:
    manifest = json.loads(built.read("manifest.json"))
    assert png_size(built.read(manifest["icons"]["color"])) == (192, 192)
    assert png_size(built.read(manifest["icons"]["outline"])) == (32, 32)
    assert sorted(built.namelist()) == ["color.png", "manifest.json", "outline.png"]  # all at the root


def test_without_an_app_id_the_same_bot_always_gets_the_same_teams_app_id(tmp_path: Path) -> None:
    out = tmp_path / "teams.zip"
    assert package("--bot-id", BOT_ID, "--host", HOST, "--out", str(out)).returncode == 0
    first = json.loads(zipfile.ZipFile(out).read("manifest.json"))["id"]
    assert first == derived_app_id(BOT_ID) != derived_app_id(APP_ID)
    assert package("--bot-id", BOT_ID, "--host", HOST, "--out", str(out)).returncode == 0
    assert json.loads(zipfile.ZipFile(out).read("manifest.json"))["id"] == first


def test_a_version_given_replaces_the_manifests_so_teams_accepts_the_update(tmp_path: Path) -> None:
    out = tmp_path / "teams.zip"
    result = package("--bot-id", BOT_ID, "--host", HOST, "--app-version", "1.4.0", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads(zipfile.ZipFile(out).read("manifest.json"))["version"] == "1.4.0"


@pytest.mark.parametrize(("args", "reason"), [
    (["--host", HOST], "the following arguments are required: --bot-id"),
    (["--bot-id", "not-a-guid", "--host", HOST], "argument --bot-id: 'not-a-guid' is not a GUID"),
    (["--bot-id", BOT_ID[:-1], "--host", HOST], "is not a GUID"),
    (["--bot-id", BOT_ID, "--app-id", "{" + APP_ID + "}", "--host", HOST], "argument --app-id:"),
    (["--bot-id", BOT_ID], "the following arguments are required: --host"),
    (["--bot-id", BOT_ID, "--host", f"https://{HOST}/"], "argument --host:"),
    (["--bot-id", BOT_ID, "--host", HOST, "--app-version", "2"], "argument --app-version:"),
    (["--bot-id", BOT_ID, "--host", HOST, "--privacy-url", "http://contoso.example/p"], "argument --privacy-url:"),
    (["--bot-id", BOT_ID, "--host", HOST, "--terms-url", "contoso.example/terms"], "argument --terms-url:"),
])
def test_bad_input_exits_with_status_2_and_the_reason_writing_nothing(tmp_path: Path, args: list[str],
                                                                        reason: str) -> None:
    result = package(*args, "--out", str(tmp_path / "teams.zip"))
    assert result.returncode == 2
    assert reason in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "teams.zip").exists()


def test_the_committed_icons_are_what_the_icon_code_draws() -> None:
    # So `python -m devopsbot.teams_icons` reproduces them exactly, and a changed drawing is committed with its PNGs.
    for name, draw in ICONS.items():
        assert (APP_PACKAGE / name).read_bytes() == draw(), name


def test_with_a_sign_in_registration_the_manifest_asks_teams_for_single_sign_on(tmp_path: Path) -> None:
    client_id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
    out = tmp_path / "teams.zip"
    result = package("--bot-id", BOT_ID, "--host", HOST, "--sign-in-client-id", client_id.upper(), "--out", str(out))
    assert result.returncode == 0, result.stderr
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert schema_errors(manifest) == []
    assert manifest["webApplicationInfo"] == {"id": client_id, "resource": f"api://{HOST}/{client_id}"}


def test_without_a_sign_in_registration_the_manifest_asks_for_no_single_sign_on(built: zipfile.ZipFile) -> None:
    assert "webApplicationInfo" not in json.loads(built.read("manifest.json"))
