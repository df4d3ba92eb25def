"""Settings that cannot be read switch their optional feature off, named by `check`; mail then offers no
action links. SMTP authentication goes only over TLS unless a local relay is explicitly allowed."""

from __future__ import annotations

import os

import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingMailer, RecordingNotifier
from devopsbot.bootstrap import Container
from devopsbot.settings import load_settings
from incident import commands
from incident.errors import ConfigurationError
from incident.policy import OrganisationPolicy
from tests.conftest import ALICE, BOB, unique_prefix
from tests.integration.test_cli import cli

UNRESOLVED = "@Microsoft.KeyVault(SecretUri=https://contoso-kv.vault.azure.net/secrets/action-link-key/)"
LOCAL = {"DEVOPSBOT_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true"}


@pytest.mark.azurite
def test_check_reports_the_action_links_switched_off(azurite: str) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")}
    env = {**clean, "DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite, "DEVOPSBOT_TABLE_PREFIX": unique_prefix(),
           "DEVOPSBOT_ACTION_LINK_KEY": UNRESOLVED}
    result = cli(env, "check")
    assert result.returncode == 0, result.stderr
    assert ("switched off: action links: DEVOPSBOT_ACTION_LINK_KEY: the Key Vault reference was not resolved"
            in result.stdout)
    assert "storage: reachable" in result.stdout


@pytest.mark.parametrize(("key", "links"), [(UNRESOLVED, False), ("not-a-key", False), ("ab" * 32, True)])
async def test_mail_offers_action_links_only_with_a_readable_key(policy: OrganisationPolicy, clock: FixedClock,
                                                                 key: str, links: bool) -> None:
    settings = load_settings({"DEVOPSBOT_STORAGE_CONNECTION_STRING": "memory", "DEVOPSBOT_ACTION_LINK_KEY": key})
    assert ("action_links" in dict(settings.switched_off)) is not links
    mailer, teams = RecordingMailer(), RecordingNotifier()
    teams.failures = 10**6  # Teams is down: the declaration goes by email
    container = Container(settings, clock=clock, in_memory=True, policy=policy, notifier=teams, mailer=mailer)
    await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV3", actor=ALICE, roles={"commander": ALICE},
        invitees=(BOB,), services=("checkout",)))
    await container.bus.drain()
    texts = [m.text for m in mailer.sent if ALICE.email in m.to]
    assert texts and any("/api/act?t=" in t for t in texts) is links


@pytest.mark.parametrize("name", ["DEVOPSBOT_SMTP_PASSWORD", "DEVOPSBOT_SMTP_USERNAME"])
def test_unreadable_smtp_credentials_switch_email_off_not_the_app(name: str) -> None:
    settings = load_settings({**LOCAL, "DEVOPSBOT_MAIL_TRANSPORT": "smtp", "DEVOPSBOT_MAIL_FROM": "i@contoso.example",
                              "DEVOPSBOT_SMTP_HOST": "smtp.contoso.example", "DEVOPSBOT_SMTP_STARTTLS": "true",
                              "DEVOPSBOT_SMTP_USERNAME": "devopsbot", name: UNRESOLVED})
    assert settings.mail_transport == "" and "the Key Vault reference" in dict(settings.switched_off)["email"]


def test_an_unreadable_tracker_token_switches_the_tracker_off() -> None:
    settings = load_settings({**LOCAL, "DEVOPSBOT_TRACKER_KIND": "github",
                              "DEVOPSBOT_TRACKER_URL": "https://api.github.com/repos/contoso/app",
                              "DEVOPSBOT_TRACKER_TOKEN": UNRESOLVED})
    assert settings.tracker_kind == "" and "DEVOPSBOT_TRACKER_TOKEN" in dict(settings.switched_off)["tracker"]


SMTP = {**LOCAL, "DEVOPSBOT_MAIL_TRANSPORT": "smtp", "DEVOPSBOT_MAIL_FROM": "incidents@contoso.example",
        "DEVOPSBOT_SMTP_USERNAME": "devopsbot", "DEVOPSBOT_SMTP_PASSWORD": "s3cret"}


@pytest.mark.parametrize("extra", [
    {"DEVOPSBOT_SMTP_HOST": "smtp.contoso.example"},
    {"DEVOPSBOT_SMTP_HOST": "smtp.contoso.example", "DEVOPSBOT_SMTP_ALLOW_PLAINTEXT_AUTH": "true"},
    {"DEVOPSBOT_SMTP_HOST": "127.0.0.1"},  # local, but not explicitly allowed
])
def test_smtp_authentication_without_tls_is_refused_at_start_up(extra: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="SMTP authentication needs TLS") as raised:
        load_settings({**SMTP, **extra})
    assert raised.value.field == "DEVOPSBOT_SMTP_STARTTLS"


@pytest.mark.parametrize("extra", [
    {"DEVOPSBOT_SMTP_HOST": "smtp.contoso.example", "DEVOPSBOT_SMTP_STARTTLS": "true"},
    *({"DEVOPSBOT_SMTP_HOST": host, "DEVOPSBOT_SMTP_ALLOW_PLAINTEXT_AUTH": "true"}
      for host in ("127.0.0.1", "localhost", "::1")),
])
def test_smtp_authentication_goes_over_tls_or_to_an_allowed_local_relay(extra: dict[str, str]) -> None:
    assert load_settings({**SMTP, **extra}).smtp_username == "devopsbot"


def test_the_local_maildev_needs_no_authentication_and_no_tls() -> None:
    settings = load_settings({**LOCAL, "DEVOPSBOT_MAIL_TRANSPORT": "smtp", "DEVOPSBOT_MAIL_FROM": "d@localhost",
                              "DEVOPSBOT_SMTP_HOST": "127.0.0.1", "DEVOPSBOT_SMTP_PORT": "1025"})
    assert settings.mail_transport == "smtp" and not settings.smtp_starttls


@pytest.mark.azurite
def test_check_refuses_smtp_authentication_without_tls(azurite: str) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEVOPSBOT_")}
    result = cli({**clean, **SMTP, "DEVOPSBOT_STORAGE_CONNECTION_STRING": azurite,
                  "DEVOPSBOT_SMTP_HOST": "smtp.contoso.example"}, "check")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "DEVOPSBOT_SMTP_STARTTLS: SMTP authentication needs TLS" in result.stderr


def test_the_smtp_mailer_itself_refuses_to_send_a_password_in_clear_text() -> None:
    from adapters.smtp_mailer import SmtpMailer

    with pytest.raises(ValueError, match="SMTP authentication needs TLS"):
        SmtpMailer(host="smtp.contoso.example", port=25, sender="i@contoso.example", username="u", password="p")
    SmtpMailer(host="localhost", port=25, sender="i@contoso.example", username="u", password="p",
               allow_plaintext_auth=True)  # an explicitly allowed local relay
