"""Settings: read once from the environment (app settings in Azure, local.settings.json locally)."""

from __future__ import annotations

import base64
import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from devopsbot.alert_settings import alert_secrets
from devopsbot.bridge_settings import BridgeSettings, bridge_settings
from devopsbot.setting_names import KNOWN_SETTINGS as KNOWN_SETTINGS
from incident.errors import ConfigurationError

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "DEVOPSBOT_"

TRACKER_KINDS = ("azure_devops", "github")

DEFAULT_ANONYMOUS_PATHS = ("/api/messages", "/api/health", "/api/act", "/api/privacy", "/api/terms", "/api/alerts",
                           "/api/metrics", "/api/status/")

_TABLE_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,39}$")
APP_TYPES = ("SingleTenant", "UserAssignedMSI")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
_KEY_VAULT_REFERENCE = "@microsoft.keyvault("  # what App Service leaves in a setting it could not resolve
# Optional features: the settings each reads. One that cannot be read switches its feature off (reported by
# /api/health and `check`) instead of stopping the app: Teams, storage and timers keep working.
OPTIONAL_FEATURES: dict[str, tuple[str, ...]] = {
    "action_links": ("DEVOPSBOT_ACTION_LINK_KEY",),
    "action_link_rotation": ("DEVOPSBOT_ACTION_LINK_PREVIOUS_KEY",),
    "tracker": ("DEVOPSBOT_TRACKER_TOKEN",),
    "email": ("DEVOPSBOT_SMTP_USERNAME", "DEVOPSBOT_SMTP_PASSWORD"),
}


@dataclass(frozen=True)
class Settings:
    # Secrets stay out of repr(), so a logged or printed Settings shows none.
    storage_connection_string: str = field(default="", repr=False)
    storage_account_url: str = ""
    storage_client_id: str = ""
    table_prefix: str = "devopsbot"
    organisation_file: Path = ROOT / "config" / "organisation.toml"
    bot_app_id: str = ""
    bot_app_password: str = field(default="", repr=False)
    bot_app_type: str = "SingleTenant"
    bot_tenant_id: str = ""
    allowed_tenants: tuple[str, ...] = ()
    bot_openid_metadata_url: str = ""
    entra_openid_metadata_url: str = ""
    pages_client_id: str = ""
    anonymous_paths: tuple[str, ...] = DEFAULT_ANONYMOUS_PATHS
    platform_auth_enabled: bool = False  # App Service Authentication is on (WEBSITE_AUTH_ENABLED, set by Azure)
    log_level: str = "INFO"
    graph_auth: str = ""
    graph_client_id: str = ""
    graph_tenant_id: str = ""
    graph_client_secret: str = field(default="", repr=False)
    graph_certificate_path: str = ""
    graph_certificate_thumbprint: str = ""
    graph_authority_host: str = "https://login.microsoftonline.com"
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    teams_app_id: str = ""
    mail_transport: str = ""
    mail_from: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_allow_plaintext_auth: bool = False
    tracker_kind: str = ""
    tracker_url: str = ""
    tracker_token: str = field(default="", repr=False)
    public_url: str = "http://127.0.0.1:7071"
    action_link_key: bytes = field(default=b"", repr=False)
    action_link_previous_key: bytes = field(default=b"", repr=False)
    action_link_ttl_hours: int = 24
    inbound_mailbox: str = ""
    teams_down_after: int = 5
    switched_off: tuple[tuple[str, str], ...] = ()  # (optional feature, why): its setting could not be read
    alert_secrets: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # (source, secret)
    bridge: BridgeSettings = field(default_factory=BridgeSettings)  # the meeting bridge (devopsbot/bridge_settings.py)

    @property
    def authentication_enabled(self) -> bool:
        return bool(self.bot_app_id)


def _fail(name: str, reason: str) -> ConfigurationError:
    return ConfigurationError("settings", name, reason)


def _metadata_url_problem(url: str) -> str | None:
    """Why the OpenID metadata URL cannot be trusted, or None: keys must come over HTTPS, except locally."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as error:
        return f"'{url}' is not a URL ({error})"
    if not host:
        return f"'{url}' is not an absolute URL"
    if parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK_HOSTS):
        return None
    return f"'{url}' must be an https:// URL (http:// only on {' or '.join(LOOPBACK_HOSTS)})"


def _unresolved(name: str) -> str:
    return (f"{name}: the Key Vault reference was not resolved (App Service left it as written): check that the "
            "secret exists and that the app's identity may read it")


def _off_switches(environ: Mapping[str, str]) -> dict[str, str]:
    """Optional features whose settings are unresolved Key Vault references: feature → why it is off."""
    off: dict[str, str] = {}
    for feature, names in OPTIONAL_FEATURES.items():
        for name in names:
            if environ.get(name, "").strip().lower().startswith(_KEY_VAULT_REFERENCE):
                off.setdefault(feature, _unresolved(name))
    return off


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Validate every DEVOPSBOT_ setting; an unknown one (a typo) stops start-up with a suggestion. An optional
    feature whose setting cannot be read is switched off (``switched_off``); a wrong core setting stops start-up."""
    for name in environ:
        if name.startswith(PREFIX) and name not in KNOWN_SETTINGS:
            close = difflib.get_close_matches(name, KNOWN_SETTINGS, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise _fail(name, f"unknown setting{hint}")
    off = _off_switches(environ)
    if environ.get("DEVOPSBOT_MAIL_TRANSPORT", "").strip().lower() != "smtp":
        off.pop("email", None)  # SMTP credentials that are not used switch nothing off
    off_names = {name for feature in off for name in OPTIONAL_FEATURES[feature]}

    def get(name: str, default: str = "") -> str:
        if name in off_names:
            return default
        return environ.get(name, default).strip() or default

    connection_string = get("DEVOPSBOT_STORAGE_CONNECTION_STRING")
    account_url = get("DEVOPSBOT_STORAGE_ACCOUNT_URL")
    if bool(connection_string) == bool(account_url):
        raise _fail("DEVOPSBOT_STORAGE_CONNECTION_STRING",
                    "set exactly one of DEVOPSBOT_STORAGE_CONNECTION_STRING (Azurite, local) and "
                    "DEVOPSBOT_STORAGE_ACCOUNT_URL (managed identity, Azure)")
    if account_url and not account_url.startswith("https://"):
        raise _fail("DEVOPSBOT_STORAGE_ACCOUNT_URL", "must be an https:// URL (tokens need HTTPS)")

    prefix = get("DEVOPSBOT_TABLE_PREFIX", "devopsbot")
    if not _TABLE_PREFIX.match(prefix):
        raise _fail("DEVOPSBOT_TABLE_PREFIX", f"'{prefix}' must start with a letter and hold only "
                    "letters and digits (at most 40)")

    organisation_file = Path(get("DEVOPSBOT_ORGANISATION_FILE", "config/organisation.toml"))
    if not organisation_file.is_absolute():
        organisation_file = ROOT / organisation_file

    app_id = get("DEVOPSBOT_BOT_APP_ID")
    app_type = get("DEVOPSBOT_BOT_APP_TYPE", "SingleTenant")
    password = get("DEVOPSBOT_BOT_APP_PASSWORD")
    tenant = get("DEVOPSBOT_BOT_TENANT_ID")
    if app_type not in APP_TYPES:
        raise _fail("DEVOPSBOT_BOT_APP_TYPE", f"'{app_type}' is not one of {', '.join(APP_TYPES)}")
    if app_id and not tenant:
        raise _fail("DEVOPSBOT_BOT_TENANT_ID", f"required when DEVOPSBOT_BOT_APP_ID is set ({app_type})")
    if app_id and app_type == "SingleTenant" and not password:
        raise _fail("DEVOPSBOT_BOT_APP_PASSWORD", "required for a SingleTenant bot")
    # Without an app id anyone could post activities; that is for the local Playground only.
    if not app_id and (account_url or environ.get("WEBSITE_SITE_NAME")):
        raise _fail("DEVOPSBOT_BOT_APP_ID", "required in Azure: without it Bot Framework authentication is off")

    allowed = tuple(t.strip() for t in get("DEVOPSBOT_ALLOWED_TENANTS").split(",") if t.strip())
    if not allowed and tenant:
        allowed = (tenant,)

    metadata_url = get("DEVOPSBOT_BOT_OPENID_METADATA_URL")
    if metadata_url and (problem := _metadata_url_problem(metadata_url)):
        raise _fail("DEVOPSBOT_BOT_OPENID_METADATA_URL", problem)
    sign_in = _sign_in(environ, get)

    graph_base_url = get("DEVOPSBOT_GRAPH_BASE_URL", "https://graph.microsoft.com/v1.0")
    if problem := _metadata_url_problem(graph_base_url):  # tokens go there: https, except locally
        raise _fail("DEVOPSBOT_GRAPH_BASE_URL", problem)

    transport = "" if "email" in off else get("DEVOPSBOT_MAIL_TRANSPORT").lower()
    if transport not in ("", "smtp", "graph"):
        raise _fail("DEVOPSBOT_MAIL_TRANSPORT", f"'{transport}' is not smtp or graph (or empty for no email)")
    if (transport == "graph" or get("DEVOPSBOT_INBOUND_MAILBOX")) and not get("DEVOPSBOT_GRAPH_AUTH"):
        raise _fail("DEVOPSBOT_GRAPH_AUTH", "required: mail through Microsoft Graph needs a Graph identity")
    sender = get("DEVOPSBOT_MAIL_FROM")
    if transport and "@" not in sender:
        raise _fail("DEVOPSBOT_MAIL_FROM", "an email address is required to send email")
    if transport == "smtp" and not get("DEVOPSBOT_SMTP_HOST"):
        raise _fail("DEVOPSBOT_SMTP_HOST", "required for smtp")
    port_text = get("DEVOPSBOT_SMTP_PORT", "25")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise _fail("DEVOPSBOT_SMTP_PORT", f"'{port_text}' is not a port number")
    starttls = _flag(get("DEVOPSBOT_SMTP_STARTTLS"))
    allow_plaintext = _flag(get("DEVOPSBOT_SMTP_ALLOW_PLAINTEXT_AUTH"))
    from adapters.smtp_mailer import smtp_auth_problem  # here: settings are read at import, the mailer is not

    if transport == "smtp" and (problem := smtp_auth_problem(
            get("DEVOPSBOT_SMTP_HOST"), bool(get("DEVOPSBOT_SMTP_USERNAME") or get("DEVOPSBOT_SMTP_PASSWORD")),
            starttls=starttls, allow_plaintext=allow_plaintext)):
        raise _fail("DEVOPSBOT_SMTP_STARTTLS", problem)

    public_url = get("DEVOPSBOT_PUBLIC_URL", "http://127.0.0.1:7071").rstrip("/")
    if (problem := _metadata_url_problem(public_url)) is not None:
        raise _fail("DEVOPSBOT_PUBLIC_URL", problem)
    try:
        link_key = _key_bytes(get("DEVOPSBOT_ACTION_LINK_KEY"))
    except ConfigurationError as error:  # optional: email simply carries no action links
        link_key, off["action_links"] = b"", str(error).removeprefix("settings: ")
    try:  # a rotation whose previous key cannot be read: new links still work, older ones no longer
        previous_key = _key_bytes(get("DEVOPSBOT_ACTION_LINK_PREVIOUS_KEY"), "DEVOPSBOT_ACTION_LINK_PREVIOUS_KEY")
    except ConfigurationError as error:
        previous_key, off["action_link_rotation"] = b"", str(error).removeprefix("settings: ")
    ttl_text = get("DEVOPSBOT_ACTION_LINK_TTL_HOURS", "24")
    if not ttl_text.isdigit() or not 1 <= int(ttl_text) <= 24 * 14:
        raise _fail("DEVOPSBOT_ACTION_LINK_TTL_HOURS", f"'{ttl_text}' is not a number of hours from 1 to 336")
    down_text = get("DEVOPSBOT_TEAMS_DOWN_AFTER", "5")
    if not down_text.isdigit() or not 1 <= int(down_text) <= 1000:
        raise _fail("DEVOPSBOT_TEAMS_DOWN_AFTER", f"'{down_text}' is not a number of failures from 1 to 1000")

    level = get("DEVOPSBOT_LOG_LEVEL", "INFO").upper()
    if level not in LOG_LEVELS:
        raise _fail("DEVOPSBOT_LOG_LEVEL", f"'{level}' is not one of {', '.join(LOG_LEVELS)}")

    tracker_kind = get("DEVOPSBOT_TRACKER_KIND").lower()
    tracker_url = get("DEVOPSBOT_TRACKER_URL").rstrip("/")
    if tracker_kind not in ("", *TRACKER_KINDS):
        raise _fail("DEVOPSBOT_TRACKER_KIND", f"'{tracker_kind}' is not one of {', '.join(TRACKER_KINDS)} (or empty)")
    if tracker_kind and not tracker_url:
        raise _fail("DEVOPSBOT_TRACKER_URL", f"required for the {tracker_kind} tracker")
    if tracker_kind and (problem := _metadata_url_problem(tracker_url)):  # the token goes there
        raise _fail("DEVOPSBOT_TRACKER_URL", problem)
    if "tracker" in off:  # follow-ups stay in devopsbot until the token can be read
        tracker_kind = tracker_url = ""
    if tracker_kind and not get("DEVOPSBOT_TRACKER_TOKEN"):
        raise _fail("DEVOPSBOT_TRACKER_TOKEN", f"required for the {tracker_kind} tracker")

    return Settings(
        tracker_kind=tracker_kind, tracker_url=tracker_url, tracker_token=get("DEVOPSBOT_TRACKER_TOKEN"),
        storage_connection_string=connection_string, storage_account_url=account_url,
        storage_client_id=get("DEVOPSBOT_STORAGE_CLIENT_ID"), table_prefix=prefix,
        organisation_file=organisation_file, bot_app_id=app_id, bot_app_password=password,
        bot_app_type=app_type, bot_tenant_id=tenant, allowed_tenants=allowed,
        bot_openid_metadata_url=metadata_url, **sign_in, log_level=level,
        graph_auth=get("DEVOPSBOT_GRAPH_AUTH"), graph_client_id=get("DEVOPSBOT_GRAPH_CLIENT_ID"),
        graph_tenant_id=get("DEVOPSBOT_GRAPH_TENANT_ID", tenant),
        graph_client_secret=get("DEVOPSBOT_GRAPH_CLIENT_SECRET"),
        graph_certificate_path=get("DEVOPSBOT_GRAPH_CERTIFICATE_PATH"),
        graph_certificate_thumbprint=get("DEVOPSBOT_GRAPH_CERTIFICATE_THUMBPRINT"),
        graph_authority_host=get("DEVOPSBOT_GRAPH_AUTHORITY_HOST", "https://login.microsoftonline.com"),
        graph_base_url=graph_base_url,
        teams_app_id=get("DEVOPSBOT_TEAMS_APP_ID"),
        mail_transport=transport, mail_from=sender, smtp_host=get("DEVOPSBOT_SMTP_HOST"), smtp_port=int(port_text),
        smtp_starttls=starttls, smtp_allow_plaintext_auth=allow_plaintext,
        smtp_username=get("DEVOPSBOT_SMTP_USERNAME"), smtp_password=get("DEVOPSBOT_SMTP_PASSWORD"),
        public_url=public_url, action_link_key=link_key, action_link_ttl_hours=int(ttl_text),
        action_link_previous_key=previous_key if link_key else b"",
        inbound_mailbox=get("DEVOPSBOT_INBOUND_MAILBOX"), teams_down_after=int(down_text),
        switched_off=tuple(sorted(off.items())), alert_secrets=alert_secrets(get), bridge=bridge_settings(get),
    )


def _sign_in(environ: Mapping[str, str], get: Callable[..., str]) -> dict[str, Any]:
    """The settings that say who is asking a page or the bot (see KNOWN_SETTINGS)."""
    entra_metadata = get("DEVOPSBOT_ENTRA_OPENID_METADATA_URL")
    if entra_metadata and (problem := _metadata_url_problem(entra_metadata)):
        raise _fail("DEVOPSBOT_ENTRA_OPENID_METADATA_URL", problem)
    paths_text = get("DEVOPSBOT_ANONYMOUS_PATHS")
    paths = tuple(p.strip() for p in paths_text.split(",") if p.strip()) if paths_text else DEFAULT_ANONYMOUS_PATHS
    if bad := [p for p in paths if not p.startswith("/")]:
        raise _fail("DEVOPSBOT_ANONYMOUS_PATHS", f"'{bad[0]}' is not a path (it starts with /, like /api/health)")
    return {"entra_openid_metadata_url": entra_metadata, "pages_client_id": get("DEVOPSBOT_PAGES_CLIENT_ID"),
            "anonymous_paths": paths,
            # Set by App Service itself when its authentication is on for the app, never by devopsbot's settings.
            "platform_auth_enabled": environ.get("WEBSITE_AUTH_ENABLED", "").strip().lower() == "true"}


def _flag(text: str) -> bool:
    return text.lower() in ("1", "true", "yes")


def _key_bytes(text: str, name: str = "DEVOPSBOT_ACTION_LINK_KEY") -> bytes:
    """An action-link key: hex or base64 text of at least 32 bytes; empty means none."""
    if not text:
        return b""
    key: bytes | None = None
    if re.fullmatch(r"[0-9a-fA-F]+", text) and len(text) % 2 == 0:
        key = bytes.fromhex(text)
    else:
        try:
            key = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if "-" in text or "_" in text
                                   else None, validate=True)
        except ValueError:
            key = None
    if key is None or len(key) < 32:
        raise _fail(name, "must be at least 32 random bytes, written as hex or base64 "
                    "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')")
    return key


DEFAULT_TIMER_SCHEDULE = "0 * * * * *"


def _schedule(environ: Mapping[str, str], name: str, default: str) -> str:
    """A timer's NCRONTAB schedule from setting ``name``, checked here so a bad one stops start-up, named."""
    from devopsbot import ncrontab

    expression = environ.get(name, "").strip() or default
    try:
        ncrontab.parse(expression)
    except ncrontab.ScheduleError as error:
        raise _fail(name, str(error)) from None
    return expression


def timer_schedule(environ: Mapping[str, str]) -> str:
    """The due-work timer's schedule (also the incoming-mail timer's)."""
    return _schedule(environ, "DEVOPSBOT_TIMER_SCHEDULE", DEFAULT_TIMER_SCHEDULE)


DEFAULT_DIGEST_SCHEDULE = "0 0 8 * * 1"  # Mondays 08:00 (WEBSITE_TIME_ZONE, UTC by default)


def digest_schedule(environ: Mapping[str, str]) -> str:
    """The leadership digest's schedule."""
    return _schedule(environ, "DEVOPSBOT_DIGEST_SCHEDULE", DEFAULT_DIGEST_SCHEDULE)


def service_health_schedule(environ: Mapping[str, str]) -> str:
    """The Microsoft 365 service health check's schedule (Microsoft updates an issue every 30 minutes or so)."""
    return _schedule(environ, "DEVOPSBOT_SERVICE_HEALTH_SCHEDULE", "0 */5 * * * *")
