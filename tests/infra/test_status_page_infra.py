"""The status page stays up without the app: the storage account's static website serves it, devopsbot's
identity may write the files, and nothing is publicly writable (static checks of infra/ and azure.yaml)."""

from __future__ import annotations

import yaml

from devopsbot.settings import ROOT
from tests.infra.test_deployment_rules import _block, _text

BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"


def test_the_apps_identity_may_write_the_static_website_and_nothing_is_public() -> None:
    roles = _text("infra/modules/roles.bicep")
    assert f"var storageBlobDataContributor = '{BLOB_DATA_CONTRIBUTOR}'" in roles
    assignment = _block(roles, "resource statusPageData")
    assert "scope: storage" in assignment and "principalId: appPrincipalId" in assignment
    assert "roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', " \
           "storageBlobDataContributor)" in assignment
    account = _block(_text("infra/modules/storage.bicep"), "resource account ")  # and nothing public to write
    assert "allowBlobPublicAccess: false" in account and "allowSharedKeyAccess: false" in account


def test_provisioning_switches_the_static_website_on_and_says_where_the_page_is() -> None:
    hooks = yaml.safe_load((ROOT / "azure.yaml").read_text(encoding="utf-8"))["hooks"]["postprovision"]
    for shell in ("posix", "windows"):
        command = " ".join(hooks[shell]["run"].split())
        assert "az storage blob service-properties update" in command
        assert "--static-website true --index-document index.html" in command and "--auth-mode login" in command
    main = _text("infra/main.bicep")
    assert "output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name" in main
    assert "output STATUS_PAGE_URL string = storage.outputs.webEndpoint" in main
