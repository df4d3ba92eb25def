"""The settings that say who is asking: the tenant's token keys, the pages' sign-in registration, and when App
Service Authentication's header is believed."""

from __future__ import annotations

import pytest

from devopsbot.bootstrap import Container
from devopsbot.settings import DEFAULT_ANONYMOUS_PATHS, load_settings
from incident.errors import ConfigurationError

LOCAL = {"DEVOPSBOT_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true"}
AZURE_BOT = {**LOCAL, "DEVOPSBOT_BOT_APP_ID": "mi-client", "DEVOPSBOT_BOT_TENANT_ID": "t1",
             "DEVOPSBOT_BOT_APP_TYPE": "UserAssignedMSI", "DEVOPSBOT_PUBLIC_URL": "https://bot.contoso.example"}


def test_by_default_the_tenants_keys_come_from_microsofts_metadata_for_that_tenant() -> None:
    container = Container(load_settings(AZURE_BOT), in_memory=True)
    assert container.entra_keys is not None
    assert container.entra_keys.metadata_url == "https://login.microsoftonline.com/t1/v2.0/.well-known/openid-configuration"
    assert container.page_tokens is None  # no sign-in registration: only App Service Authentication's header


def test_page_tokens_are_for_the_sign_in_registration_from_the_tenant() -> None:
    container = Container(load_settings({**AZURE_BOT, "DEVOPSBOT_PAGES_CLIENT_ID": "c1"}), in_memory=True)
    assert container.page_tokens is not None
    assert container.page_tokens.rules.audiences == ("c1", "api://c1", "api://bot.contoso.example/c1")
    assert container.page_tokens.rules.issuers == ("https://sts.windows.net/t1/",
                                                   "https://login.microsoftonline.com/t1/v2.0")


def test_locally_no_token_is_checked() -> None:
    container = Container(load_settings({**LOCAL, "DEVOPSBOT_PAGES_CLIENT_ID": "c1"}), in_memory=True)
    assert container.entra_keys is None and container.page_tokens is None


@pytest.mark.parametrize(("value", "enabled"), [("True", True), ("true", True), ("False", False), ("", False)])
def test_the_platform_says_whether_its_authentication_is_on(value: str, enabled: bool) -> None:
    assert load_settings({**AZURE_BOT, "WEBSITE_AUTH_ENABLED": value}).platform_auth_enabled is enabled


def test_the_anonymous_paths_default_to_the_deployments_and_can_be_listed() -> None:
    assert load_settings(AZURE_BOT).anonymous_paths == DEFAULT_ANONYMOUS_PATHS
    listed = load_settings({**AZURE_BOT, "DEVOPSBOT_ANONYMOUS_PATHS": " /api/messages, /api/health ,"})
    assert listed.anonymous_paths == ("/api/messages", "/api/health")


@pytest.mark.parametrize(("environ", "field", "reason"), [
    ({**AZURE_BOT, "DEVOPSBOT_ANONYMOUS_PATHS": "/api/messages,api/health"}, "DEVOPSBOT_ANONYMOUS_PATHS",
     "'api/health' is not a path"),
    ({**AZURE_BOT, "DEVOPSBOT_ENTRA_OPENID_METADATA_URL": "http://login.example.com/t1/v2.0/.well-known/x"},
     "DEVOPSBOT_ENTRA_OPENID_METADATA_URL", "must be an https:// URL"),
])
def test_a_wrong_sign_in_setting_is_named_with_the_reason(environ: dict[str, str], field: str, reason: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings(environ)
    assert raised.value.field == field and reason in raised.value.reason


def test_alert_senders_get_past_app_service_authentication_to_the_secret_check() -> None:
    """Azure Monitor, Alertmanager and Grafana cannot sign in: App Service Authentication must let them through
    to the function key and the source's secret, which functions/alerts.py checks."""
    from functions.signed_in import left_anonymous

    assert all(left_anonymous(f"https://app.example/api/alerts/{source}", DEFAULT_ANONYMOUS_PATHS)
               for source in ("azure-monitor", "alertmanager", "grafana", "generic"))
    assert not left_anonymous("https://app.example/api/dashboard", DEFAULT_ANONYMOUS_PATHS)


def test_a_metrics_scraper_needs_only_the_function_key() -> None:
    """/api/metrics is function-key protected in Azure (issue: telemetry); App Service Authentication lets it
    through so a Prometheus scraper need not sign in."""
    from functions.signed_in import left_anonymous

    assert left_anonymous("https://app.example/api/metrics", DEFAULT_ANONYMOUS_PATHS)
