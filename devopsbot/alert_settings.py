"""The shared secret of each alert source (POST /api/alerts/<source>): a source without one is refused."""

from __future__ import annotations

from collections.abc import Callable

from incident.errors import ConfigurationError
from incident.signals import SOURCES

MIN_SECRET = 16


def secret_setting(source: str) -> str:
    return "DEVOPSBOT_ALERT_SECRET_" + source.upper().replace("-", "_")


ALERT_SETTINGS: dict[str, str] = {
    secret_setting("azure-monitor"):
        "Secret Azure Monitor action groups send as ?token= on /api/alerts/azure-monitor (they cannot send "
        "headers); at least 16 characters, a Key Vault reference in Azure. Empty: that endpoint refuses all.",
    secret_setting("alertmanager"):
        "Bearer token Alertmanager sends (http_config.authorization.credentials) to /api/alerts/alertmanager.",
    secret_setting("grafana"):
        "Bearer token (or basic-auth password) of the Grafana contact point posting to /api/alerts/grafana.",
    secret_setting("generic"):
        "Key of the HMAC-SHA256 signature (X-Devopsbot-Signature: sha256=HEX of the body) on /api/alerts/generic.",
}


def alert_secrets(get: Callable[[str], str]) -> tuple[tuple[str, str], ...]:
    """(source, secret) of each source that has one; a secret too short to resist guessing stops start-up."""
    found = []
    for source in SOURCES:
        secret = get(secret_setting(source))
        if secret.lower().startswith("@microsoft.keyvault("):  # unresolved by App Service: never a secret
            continue
        if secret and len(secret) < MIN_SECRET:
            raise ConfigurationError("settings", secret_setting(source),
                                     f"must be at least {MIN_SECRET} characters (e.g. python -c 'import secrets; "
                                     "print(secrets.token_urlsafe(32))')")
        if secret:
            found.append((source, secret))
    return tuple(found)
