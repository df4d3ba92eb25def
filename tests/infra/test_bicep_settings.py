"""The Bicep gives the app the settings it actually reads, keeps secrets in Key Vault, and redeploys idempotently."""

from __future__ import annotations

import json
import re
from pathlib import Path

from devopsbot.settings import KNOWN_SETTINGS, ROOT

INFRA = ROOT / "infra"
MAIN = INFRA / "main.bicep"


def _app_settings() -> dict[str, str]:
    """The DEVOPSBOT_* entries of main.bicep's devopsbotSettings object: name -> the Bicep expression."""
    text = MAIN.read_text(encoding="utf-8")
    block = re.search(r"^var devopsbotSettings = \{\n(.*?)\n\}", text, re.DOTALL | re.MULTILINE)
    assert block, "main.bicep: the devopsbotSettings object is gone"
    return dict(re.findall(r"^\s+(DEVOPSBOT_[A-Z0-9_]+): (.+)$", block.group(1), re.MULTILINE))


def _bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


def test_every_devopsbot_app_setting_is_one_the_app_knows() -> None:
    # An unknown DEVOPSBOT_ setting stops the app at start-up, so a typo here would take the bot down.
    settings = _app_settings()
    assert settings, "no DEVOPSBOT_ settings found in main.bicep"
    assert sorted(set(settings) - set(KNOWN_SETTINGS)) == []


def test_secrets_reach_the_app_only_as_key_vault_references() -> None:
    secret_names = [name for name in _app_settings() if re.search(r"PASSWORD|SECRET|_KEY$", name)]
    assert "DEVOPSBOT_ACTION_LINK_KEY" in secret_names and "DEVOPSBOT_GRAPH_CLIENT_SECRET" in secret_names
    assert {n for n in KNOWN_SETTINGS if n.startswith("DEVOPSBOT_ALERT_SECRET_")} <= set(secret_names)
    for name in secret_names:
        assert "@Microsoft.KeyVault(VaultName=" in _app_settings()[name], name


def test_role_assignments_are_named_by_guid_so_redeploys_find_them() -> None:
    text = (INFRA / "modules" / "roles.bicep").read_text(encoding="utf-8")
    assignments = re.findall(r"'Microsoft\.Authorization/roleAssignments@[^']+'[^{]*\{\n\s+name: (.+)", text)
    assert len(assignments) >= 5
    assert all(name.startswith("guid(") for name in assignments), assignments


def test_infrastructure_is_plain_resources_that_checkov_can_read() -> None:
    # Registry modules (br:, br/public:, ts:) are opaque to the scanner; every module is a file in infra/.
    for path in _bicep_files():
        for target in re.findall(r"^module \w+ '([^']+)'", path.read_text(encoding="utf-8"), re.MULTILINE):
            assert (path.parent / target).is_file(), f"{path.name}: module {target} is not a local file"


def test_the_parameters_file_names_only_declared_parameters_and_every_required_one() -> None:
    # ARM rejects a parameter the template does not declare; a required one left out makes azd stop and ask.
    declared = dict(re.findall(r"^param (\w+) \w+( =)?", MAIN.read_text(encoding="utf-8"), re.MULTILINE))
    given = set(json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"])
    assert sorted(given - set(declared)) == []
    assert sorted(name for name, default in declared.items() if not default and name not in given) == []


def test_azd_finds_the_function_app_by_the_service_name_in_azure_yaml() -> None:
    services = re.search(r"^services:\n  (\w+):\n((?:    .*\n)+)", (ROOT / "azure.yaml").read_text(encoding="utf-8"),
                         re.MULTILINE)
    assert services, "azure.yaml: no service"
    assert "language: python" in services.group(2) and "host: function" in services.group(2)
    app = (INFRA / "modules" / "functionapp.bicep").read_text(encoding="utf-8")
    assert f"var serviceName = '{services.group(1)}'" in app and "'azd-service-name': serviceName" in app


def test_the_pages_the_teams_manifest_links_to_are_outside_sign_in() -> None:
    # Teams opens the privacy and terms links for people who have not signed in to the app.
    block = re.search(r"^param anonymousPaths array = \[\n(.*?)\n\]", MAIN.read_text(encoding="utf-8"),
                      re.DOTALL | re.MULTILINE)
    assert block, "main.bicep: the anonymousPaths parameter is gone"
    paths = re.findall(r"'([^']+)'", block.group(1))
    manifest = json.loads((ROOT / "appPackage" / "manifest.json").read_text(encoding="utf-8"))
    for link in (manifest["developer"]["privacyUrl"], manifest["developer"]["termsOfUseUrl"]):
        assert link.removeprefix("https://{{host}}") in paths
    assert "/api/dashboard" not in paths


def test_the_app_is_told_which_paths_app_service_authentication_leaves_anonymous() -> None:
    # The sign-in header is believed only outside those paths (functions/signed_in.py), so the app must get the
    # very list the platform excludes, and its own default must be the Bicep's default.
    from devopsbot.settings import DEFAULT_ANONYMOUS_PATHS

    main = MAIN.read_text(encoding="utf-8")
    module = (INFRA / "modules" / "functionapp.bicep").read_text(encoding="utf-8")
    assert _app_settings()["DEVOPSBOT_ANONYMOUS_PATHS"] == "join(anonymousPaths, ',')"
    assert "excludedPaths: anonymousPaths" in module and "anonymousPaths: anonymousPaths" in main
    default = re.search(r"^param anonymousPaths array = \[\n(.*?)\n\]", main, re.DOTALL | re.MULTILINE)
    assert default and tuple(re.findall(r"'([^']+)'", default.group(1))) == DEFAULT_ANONYMOUS_PATHS
    assert _app_settings()["DEVOPSBOT_PAGES_CLIENT_ID"] == "dashboardAuthClientId"


def test_the_function_key_lives_in_key_vault_and_in_no_output() -> None:
    # Alert senders put the key in their URL (?code=); deployment outputs are readable by anyone who reads the
    # deployment history, so the key goes to the vault and only the secret's name comes out.
    module = (INFRA / "modules" / "functionkey.bicep").read_text(encoding="utf-8")
    secret = re.search(r"resource \w+ 'Microsoft\.KeyVault/vaults/secrets@[^']+' = \{\n(.*?)\n\}", module, re.DOTALL)
    assert secret, "functionkey.bicep: no Key Vault secret"
    assert "name: 'function-key'" in secret.group(1)
    assert re.search(r"value: listKeys\(resourceId\('Microsoft\.Web/sites/host', functionAppName, 'default'\), "
                     r"'[0-9-]+'\)\.functionKeys\.default", secret.group(1))
    main = MAIN.read_text(encoding="utf-8")
    assert "module functionKey 'modules/functionkey.bicep'" in main
    outputs = [line for path in _bicep_files() for line in path.read_text(encoding="utf-8").splitlines()
               if line.startswith("output ")]
    assert not [line for line in outputs if "listKeys" in line or "functionKeys" in line]


def test_the_outputs_give_every_alert_url_on_the_apps_host() -> None:
    main = MAIN.read_text(encoding="utf-8")
    assert "var alertBaseUrl = 'https://${functionApp.outputs.hostName}/api/alerts'" in main
    urls = dict(re.findall(r"^output (ALERT_URL_\w+) string = '\$\{alertBaseUrl\}(/[a-z-]+)'$", main, re.MULTILINE))
    assert urls == {"ALERT_URL_AZURE_MONITOR": "/azure-monitor", "ALERT_URL_ALERTMANAGER": "/alertmanager",
                    "ALERT_URL_GRAFANA": "/grafana", "ALERT_URL_GENERIC": "/generic"}
