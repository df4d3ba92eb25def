"""The Bicep deploys in every Flex Consumption region, again after `azd down`, and never replaces the action-link key:
static checks of infra/, azure.yaml and docs/deployment.md (no Bicep CLI is needed to read them)."""

from __future__ import annotations

import json
import re

from devopsbot.settings import ROOT

INFRA = ROOT / "infra"
MODULES = INFRA / "modules"
# Site properties Flex Consumption rejects or ignores (the Functions app-settings reference, "Flex Consumption plan
# deprecations"): ARM answers error 51021 for some of them in newer regions.
FLEX_REJECTS = ("ftpsState", "alwaysOn", "functionAppScaleLimit", "use32BitWorkerProcess", "linuxFxVersion",
                "windowsFxVersion", "netFrameworkVersion", "javaVersion", "powerShellVersion", "preWarmedInstanceCount",
                "healthCheckPath", "minimumElasticInstanceCount", "elasticWebAppScaleLimit")


def _text(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


def _block(text: str, opening: str) -> str:
    """The body of the first `{ ... }` that starts on the line holding ``opening``, braces balanced."""
    start = text.index("{", text.index(opening))
    depth = 0
    for at in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[at], 0)
        if depth == 0:
            return text[start + 1:at]
    raise AssertionError(f"unbalanced braces after {opening!r}")


def _parameters() -> dict[str, str]:
    given = json.loads(_text("infra/main.parameters.json"))["parameters"]
    return {name: str(entry["value"]) for name, entry in given.items()}


def _param_default(text: str, name: str) -> str:
    found = re.search(rf"^param {name} \w+ = (.+)$", text, re.MULTILINE)
    assert found, f"param {name} has no default"
    return found.group(1)


def _hook(name: str) -> str:
    found = re.search(rf"^  {name}:\n((?:    .*\n)+)", _text("azure.yaml"), re.MULTILINE)
    assert found, f"azure.yaml: no {name} hook"
    return found.group(1)


def test_the_flex_site_sets_no_property_flex_consumption_rejects() -> None:
    site_config = _block(_text("infra/modules/functionapp.bicep"), "    siteConfig: {")
    keys = set(re.findall(r"^      (\w+):", site_config, re.MULTILINE))
    assert keys == {"minTlsVersion", "http20Enabled", "appSettings"}
    assert [name for name in FLEX_REJECTS if name in keys] == []


def test_the_ftps_check_is_skipped_with_the_flex_reason_on_the_site() -> None:
    site = _block(_text("infra/modules/functionapp.bicep"), "resource site 'Microsoft.Web/sites@")
    skip = re.search(r"// checkov:skip=CKV_AZURE_78: (.+)", site)
    assert skip and "Flex Consumption" in skip.group(1)


def test_storage_redundancy_defaults_to_lrs_everywhere_and_zrs_is_a_choice() -> None:
    main, storage = _text("infra/main.bicep"), _text("infra/modules/storage.bicep")
    assert _param_default(main, "storageSku") == "'Standard_LRS'"
    assert _param_default(storage, "skuName") == "'Standard_LRS'"
    assert _parameters()["storageSku"] == "${STORAGE_SKU=Standard_LRS}"
    allowed = main[main.index("@description('Storage replication"):main.index("param storageSku")]
    assert "'Standard_ZRS'" in allowed


def test_the_deployer_principal_type_is_left_to_azure_unless_stated() -> None:
    # 'User' as a default broke the role assignment for a pipeline's service principal.
    main, roles = _text("infra/main.bicep"), _text("infra/modules/roles.bicep")
    assert _param_default(main, "principalType") == "''"
    assert _param_default(roles, "adminPrincipalType") == "''"
    assert _parameters()["principalType"] == "${AZURE_PRINCIPAL_TYPE}"
    officer = _block(roles, "resource secretsOfficer ")
    assert "principalType: empty(adminPrincipalType) ? null : adminPrincipalType" in officer


def test_a_wrong_bot_app_id_and_type_pair_stops_the_deployment_with_a_reason() -> None:
    main, checks = _text("infra/main.bicep"), _text("infra/modules/checks.bicep")
    assert re.search(r"@allowed\(\[\n  'ok'\n\]\)\nparam botAppPair string", checks)
    problem = re.search(r"^var botAppPairProblem = (.+)$", main, re.MULTILINE)
    assert problem, "main.bicep: the bot app-id/type check is gone"
    assert "botAppType == 'SingleTenant' ? (botAppIdShaped ? '' : 'botAppType SingleTenant needs botAppId" in (
        problem.group(1))
    assert ": (empty(botAppId) ? '' : 'botAppType UserAssignedMSI uses the managed identity" in problem.group(1)
    assert "botAppPair: any(empty(botAppPairProblem) ? 'ok' : botAppPairProblem)" in _block(main, "module checks ")
    # The Azure Bot is created only after the check passed.
    assert re.search(r"dependsOn: \[\n    checks\n  \]", _block(main, "module bot "))


def test_a_redeploy_after_azd_down_recovers_the_soft_deleted_vault() -> None:
    vault = _text("infra/modules/keyvault.bicep")
    assert "createMode: createMode" in _block(vault, "resource vault 'Microsoft.KeyVault/vaults@")
    assert re.search(r"@allowed\(\[\n  'default'\n  'recover'\n\]\)\nparam createMode string = 'default'", vault)
    main = _text("infra/main.bicep")
    assert _param_default(main, "keyVaultRecover") == "false"
    assert "createMode: keyVaultRecover ? 'recover' : 'default'" in _block(main, "module keyVault ")
    assert _parameters()["keyVaultRecover"] == "${KEY_VAULT_RECOVER=false}"
    # One-shot: once recovered, a later provision must not ask to recover a vault that is no longer deleted.
    assert "azd env set KEY_VAULT_RECOVER false" in _hook("postprovision")
    docs = _text("docs/deployment.md")
    assert "azd down" in docs and "azd env set KEY_VAULT_RECOVER true" in docs


def test_no_deployment_writes_the_action_link_key_unless_told_to_create_it() -> None:
    vault = _text("infra/modules/keyvault.bicep")
    assert re.search(r"resource actionLinkKeySecret '[^']+' = if \(createActionLinkKey\) \{", vault)
    main = _text("infra/main.bicep")
    assert _param_default(main, "createActionLinkKey") == "false"
    assert _parameters()["createActionLinkKey"] == "${CREATE_ACTION_LINK_KEY=false}"
    assert "azd env set CREATE_ACTION_LINK_KEY false" in _hook("postprovision")


def test_during_a_rotation_the_app_gets_the_previous_key_from_the_vault() -> None:
    main = _text("infra/main.bicep")
    assert re.search(r"^  DEVOPSBOT_ACTION_LINK_PREVIOUS_KEY: actionLinkKeyRotating \? '@Microsoft\.KeyVault\("
                     r"VaultName=\$\{vaultName\};SecretName=action-link-previous-key\)' : ''$", main, re.MULTILINE)
    assert _parameters()["actionLinkKeyRotating"] == "${ACTION_LINK_KEY_ROTATING=false}"
    docs = _text("docs/deployment.md")
    assert "action-link-previous-key" in docs and "azd env set ACTION_LINK_KEY_ROTATING true" in docs


def test_azd_runs_the_smoke_test_against_the_deployed_host_after_each_deploy() -> None:
    for line in re.findall(r"run: (.+)", _hook("postdeploy")):
        assert "-m devopsbot smoke --host" in line and "FUNCTION_APP_HOST" in line
    assert re.search(r"^output FUNCTION_APP_HOST string", _text("infra/main.bicep"), re.MULTILINE)
