"""Settings: defaults, the choice of storage, and clear refusals of wrong or unknown settings."""

from __future__ import annotations

import json

import pytest

from devopsbot.settings import KNOWN_SETTINGS, ROOT, load_settings
from incident.errors import ConfigurationError

LOCAL = {"DEVOPSBOT_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true"}
AZURE_BOT = {"DEVOPSBOT_BOT_APP_ID": "mi-client", "DEVOPSBOT_BOT_TENANT_ID": "t1",
             "DEVOPSBOT_BOT_APP_TYPE": "UserAssignedMSI"}


def test_local_defaults_turn_authentication_off() -> None:
    settings = load_settings(LOCAL)
    assert not settings.authentication_enabled
    assert settings.table_prefix == "devopsbot"
    assert settings.organisation_file == ROOT / "config" / "organisation.toml"


def test_azure_uses_the_account_url_with_the_managed_identity() -> None:
    settings = load_settings({"DEVOPSBOT_STORAGE_ACCOUNT_URL": "https://acct.table.core.windows.net",
                              "DEVOPSBOT_STORAGE_CLIENT_ID": "0000-1111", **AZURE_BOT})
    assert settings.storage_account_url.startswith("https://")
    assert settings.storage_client_id == "0000-1111" and not settings.storage_connection_string


@pytest.mark.parametrize(("environ", "field", "reason"), [
    ({}, "DEVOPSBOT_STORAGE_CONNECTION_STRING", "set exactly one"),
    ({**LOCAL, "DEVOPSBOT_STORAGE_ACCOUNT_URL": "https://a.table.core.windows.net"},
     "DEVOPSBOT_STORAGE_CONNECTION_STRING", "set exactly one"),
    ({"DEVOPSBOT_STORAGE_ACCOUNT_URL": "http://a.table.core.windows.net"},
     "DEVOPSBOT_STORAGE_ACCOUNT_URL", "https://"),
    ({**LOCAL, "DEVOPSBOT_TABLE_PREFIX": "bad-prefix"}, "DEVOPSBOT_TABLE_PREFIX", "letters and digits"),
    ({**LOCAL, "DEVOPSBOT_BOT_APP_ID": "app"}, "DEVOPSBOT_BOT_TENANT_ID", "required"),
    ({**LOCAL, "DEVOPSBOT_BOT_APP_ID": "app", "DEVOPSBOT_BOT_TENANT_ID": "t"},
     "DEVOPSBOT_BOT_APP_PASSWORD", "SingleTenant"),
    ({**LOCAL, "DEVOPSBOT_BOT_APP_TYPE": "MultiTenant"}, "DEVOPSBOT_BOT_APP_TYPE", "not one of"),
    ({**LOCAL, "DEVOPSBOT_LOG_LEVEL": "LOUD"}, "DEVOPSBOT_LOG_LEVEL", "not one of"),
    ({**LOCAL, "DEVOPSBOT_BOT_OPENID_METADATA_URL": "http://login.example.com/.well-known/openidconfiguration"},
     "DEVOPSBOT_BOT_OPENID_METADATA_URL", "must be an https:// URL"),
    ({**LOCAL, "DEVOPSBOT_BOT_OPENID_METADATA_URL": "http://127.0.0.1.evil.example/.well-known/openidconfiguration"},
     "DEVOPSBOT_BOT_OPENID_METADATA_URL", "must be an https:// URL"),
    ({**LOCAL, "DEVOPSBOT_BOT_OPENID_METADATA_URL": "ftp://127.0.0.1/openidconfiguration"},
     "DEVOPSBOT_BOT_OPENID_METADATA_URL", "must be an https:// URL"),
    ({**LOCAL, "DEVOPSBOT_BOT_OPENID_METADATA_URL": "login.botframework.com/v1/.well-known/openidconfiguration"},
     "DEVOPSBOT_BOT_OPENID_METADATA_URL", "not an absolute URL"),
    ({**LOCAL, "DEVOPSBOT_STORAGE_CONECTION_STRING": "x"}, "DEVOPSBOT_STORAGE_CONECTION_STRING",
     "unknown setting; did you mean DEVOPSBOT_STORAGE_CONNECTION_STRING?"),
])
def test_a_wrong_setting_is_named_with_the_reason(environ: dict[str, str], field: str, reason: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_settings(environ)
    assert raised.value.field == field
    assert reason in raised.value.reason
    assert str(raised.value).startswith(f"settings: {field}: ")


def test_a_user_assigned_identity_bot_needs_no_password_and_allows_its_tenant() -> None:
    settings = load_settings({**LOCAL, "DEVOPSBOT_BOT_APP_ID": "mi-client", "DEVOPSBOT_BOT_TENANT_ID": "t1",
                              "DEVOPSBOT_BOT_APP_TYPE": "UserAssignedMSI"})
    assert settings.authentication_enabled and settings.allowed_tenants == ("t1",)


def test_the_openid_metadata_defaults_to_the_public_cloud() -> None:
    assert load_settings(LOCAL).bot_openid_metadata_url == ""


@pytest.mark.parametrize("url", [
    "https://login.botframework.azure.us/v1/.well-known/openidconfiguration",
    "http://127.0.0.1:8123/.well-known/openidconfiguration",
    "http://localhost:8123/.well-known/openidconfiguration",
])
def test_the_openid_metadata_is_https_or_local(url: str) -> None:
    settings = load_settings({**LOCAL, "DEVOPSBOT_BOT_OPENID_METADATA_URL": f" {url} "})
    assert settings.bot_openid_metadata_url == url


def test_the_allow_list_takes_several_tenants() -> None:
    settings = load_settings({**LOCAL, "DEVOPSBOT_ALLOWED_TENANTS": " t1, t2 ,"})
    assert settings.allowed_tenants == ("t1", "t2")


def test_the_example_local_settings_list_and_explain_every_setting() -> None:
    example = json.loads((ROOT / "local.settings.example.json").read_text())
    devopsbot_names = {n for n in example["Values"] if n.startswith("DEVOPSBOT_")}
    assert devopsbot_names == set(KNOWN_SETTINGS)
    explained = example["Explanations"]
    assert set(explained) >= set(example["Values"])
    assert all(explained[name].strip() for name in example["Values"])


@pytest.mark.parametrize("azure_sign", [{"DEVOPSBOT_STORAGE_ACCOUNT_URL": "https://a.table.core.windows.net"},
                                        {**LOCAL, "WEBSITE_SITE_NAME": "devopsbot-prod"}])
def test_azure_refuses_to_run_without_bot_authentication(azure_sign: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="DEVOPSBOT_BOT_APP_ID: required in Azure"):
        load_settings(azure_sign)


def test_secrets_stay_out_of_the_settings_repr() -> None:
    settings = load_settings({"DEVOPSBOT_STORAGE_CONNECTION_STRING": "AccountKey=s3cret==", **AZURE_BOT,
                              "DEVOPSBOT_BOT_APP_TYPE": "SingleTenant", "DEVOPSBOT_BOT_APP_PASSWORD": "hunter2"})
    assert "s3cret" not in repr(settings) and "hunter2" not in repr(settings)


def test_the_timer_runs_every_minute_unless_told_otherwise() -> None:
    from devopsbot.settings import timer_schedule

    assert timer_schedule({}) == "0 * * * * *"
    assert timer_schedule({"DEVOPSBOT_TIMER_SCHEDULE": "0 */5 * * * *"}) == "0 */5 * * * *"
    with pytest.raises(ConfigurationError, match=r"DEVOPSBOT_TIMER_SCHEDULE: .*field 'minute'"):
        timer_schedule({"DEVOPSBOT_TIMER_SCHEDULE": "0 99 * * * *"})


def test_the_roster_report_goes_out_on_mondays_at_eight_unless_told_otherwise() -> None:
    from devopsbot.report_schedule import roster_report_schedule

    assert roster_report_schedule({}) == "0 0 8 * * 1"
    assert roster_report_schedule({"DEVOPSBOT_ROSTER_REPORT_SCHEDULE": "30 15 9 * * *"}) == "30 15 9 * * *"
    with pytest.raises(ConfigurationError, match=r"DEVOPSBOT_ROSTER_REPORT_SCHEDULE: "):
        roster_report_schedule({"DEVOPSBOT_ROSTER_REPORT_SCHEDULE": "0 0 25 * * *"})


def test_during_a_key_rotation_the_previous_action_link_key_is_read() -> None:
    settings = load_settings({**LOCAL, "DEVOPSBOT_ACTION_LINK_KEY": "ab" * 32,
                              "DEVOPSBOT_ACTION_LINK_PREVIOUS_KEY": "cd" * 32})
    assert (settings.action_link_key, settings.action_link_previous_key) == (b"\xab" * 32, b"\xcd" * 32)
    assert "cdcd" not in repr(settings) and settings.switched_off == ()


def test_an_unreadable_previous_key_ends_the_rotation_but_keeps_new_links() -> None:
    # New links (current key) keep working; the reason is reported by /api/health and `check`.
    settings = load_settings({**LOCAL, "DEVOPSBOT_ACTION_LINK_KEY": "ab" * 32,
                              "DEVOPSBOT_ACTION_LINK_PREVIOUS_KEY": "@Microsoft.KeyVault(VaultName=kv;SecretName=x)"})
    assert settings.action_link_key == b"\xab" * 32 and settings.action_link_previous_key == b""
    assert dict(settings.switched_off) == {"action_link_rotation": (
        "DEVOPSBOT_ACTION_LINK_PREVIOUS_KEY: the Key Vault reference was not resolved (App Service left it as "
        "written): check that the secret exists and that the app's identity may read it")}


def test_a_malformed_previous_key_is_named_and_ends_the_rotation() -> None:
    settings = load_settings({**LOCAL, "DEVOPSBOT_ACTION_LINK_KEY": "ab" * 32,
                              "DEVOPSBOT_ACTION_LINK_PREVIOUS_KEY": "too-short"})
    assert settings.action_link_previous_key == b""
    assert dict(settings.switched_off)["action_link_rotation"].startswith(
        "DEVOPSBOT_ACTION_LINK_PREVIOUS_KEY: must be at least 32 random bytes")


def test_the_app_accepts_links_of_the_previous_key_during_a_rotation() -> None:
    from datetime import UTC, datetime

    from devopsbot.bootstrap import Container
    from incident.model import Person
    from services.action_link_tokens import ActionLinkSigner, LinkAction

    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    old = ActionLinkSigner(b"\xcd" * 32).issue("INC-2026-0001", Person("29:a", "A", "a@contoso.example"),
                                              LinkAction.ACKNOWLEDGE, now)
    container = Container(load_settings({**LOCAL, "DEVOPSBOT_ACTION_LINK_KEY": "ab" * 32,
                                         "DEVOPSBOT_ACTION_LINK_PREVIOUS_KEY": "cd" * 32}), in_memory=True)
    links = container.dependencies.links
    assert links is not None and links.verify(old, now).incident_id == "INC-2026-0001"
