"""Every setting devopsbot reads, with what it is for: the catalogue settings.py validates against and
local.settings.example.json, the Bicep and the docs are checked against."""

from __future__ import annotations

from devopsbot.alert_settings import ALERT_SETTINGS
from devopsbot.bridge_settings import BRIDGE_SETTINGS
from devopsbot.warmup_settings import WARMUP_SETTINGS

# Every setting devopsbot reads, with what it is for. local.settings.example.json lists the same.
KNOWN_SETTINGS: dict[str, str] = {
    "DEVOPSBOT_STORAGE_CONNECTION_STRING":
        "Table Storage connection string; used locally with Azurite. Leave empty in Azure.",
    "DEVOPSBOT_STORAGE_ACCOUNT_URL":
        "Table endpoint (https://ACCOUNT.table.core.windows.net) reached with the managed identity in Azure.",
    "DEVOPSBOT_STORAGE_CLIENT_ID":
        "Client id of the user-assigned managed identity used for storage; empty means system-assigned.",
    "DEVOPSBOT_TABLE_PREFIX":
        "Prefix of every table name (letters and digits), so several deployments can share an account.",
    "DEVOPSBOT_ORGANISATION_FILE":
        "Path of the organisation configuration (TOML); relative paths start at the app's folder.",
    "DEVOPSBOT_BOT_APP_ID":
        "The bot's Microsoft App ID. Empty turns Bot Framework authentication off (local Playground only).",
    "DEVOPSBOT_BOT_APP_PASSWORD":
        "Client secret of a SingleTenant bot; a Key Vault reference in Azure. Empty for UserAssignedMSI.",
    "DEVOPSBOT_BOT_APP_TYPE": "SingleTenant or UserAssignedMSI.",
    "DEVOPSBOT_BOT_TENANT_ID": "The Entra tenant the bot's app registration or identity lives in.",
    "DEVOPSBOT_ALLOWED_TENANTS":
        "Comma-separated tenant ids whose activities are accepted; others are refused and logged. "
        "Defaults to DEVOPSBOT_BOT_TENANT_ID when that is set.",
    "DEVOPSBOT_BOT_OPENID_METADATA_URL":
        "OpenID metadata document listing the keys that sign the channel's tokens to the bot. Empty means Bot "
        "Framework's public cloud. Set it for tests (a local provider; http:// only on 127.0.0.1 or localhost) "
        "or a sovereign cloud that signs with its own keys (https://); tokens must still come from "
        "https://api.botframework.com.",
    "DEVOPSBOT_LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR.",
    "DEVOPSBOT_MAIL_TRANSPORT": "How email is sent: smtp, graph (sendMail as DEVOPSBOT_MAIL_FROM), or empty for none.",
    "DEVOPSBOT_MAIL_FROM": "The sender address of devopsbot's email, e.g. incidents@contoso.example.",
    "DEVOPSBOT_SMTP_HOST": "SMTP server (maildev at 127.0.0.1 locally).",
    "DEVOPSBOT_SMTP_PORT": "SMTP port; 587 with STARTTLS, 25 without, 1025 for the local maildev.",
    "DEVOPSBOT_SMTP_STARTTLS": "true to upgrade the connection with STARTTLS before authenticating.",
    "DEVOPSBOT_SMTP_USERNAME": "SMTP user name, if the server wants authentication.",
    "DEVOPSBOT_SMTP_PASSWORD": "SMTP password; a Key Vault reference in Azure.",
    "DEVOPSBOT_SMTP_ALLOW_PLAINTEXT_AUTH":
        "true lets devopsbot send its SMTP user name and password without STARTTLS, and only to a relay on "
        "127.0.0.1, localhost or ::1; anywhere else authentication needs DEVOPSBOT_SMTP_STARTTLS=true.",
    "DEVOPSBOT_TIMER_SCHEDULE":
        "NCRONTAB schedule of the due-work timer (reminders, escalation); default every minute, 0 * * * * *.",
    "DEVOPSBOT_GRAPH_AUTH":
        "How devopsbot signs in to Microsoft Graph (needed for the channel and chat incident spaces): "
        "secret, certificate or managed_identity. Empty: Graph is not used.",
    "DEVOPSBOT_GRAPH_CLIENT_ID":
        "The app registration's client id (secret/certificate), or the user-assigned managed identity's "
        "client id (empty means system-assigned).",
    "DEVOPSBOT_GRAPH_TENANT_ID": "The Entra tenant for Graph; defaults to DEVOPSBOT_BOT_TENANT_ID.",
    "DEVOPSBOT_GRAPH_CLIENT_SECRET": "The client secret (secret mode); a Key Vault reference in Azure.",
    "DEVOPSBOT_GRAPH_CERTIFICATE_PATH": "PEM file with the private key (and the certificate if no thumbprint).",
    "DEVOPSBOT_GRAPH_CERTIFICATE_THUMBPRINT": "SHA-1 thumbprint of the certificate, hex (colons allowed).",
    "DEVOPSBOT_GRAPH_AUTHORITY_HOST":
        "Entra sign-in host, https only: https://login.microsoftonline.com unless a sovereign cloud or a test double.",
    "DEVOPSBOT_GRAPH_BASE_URL": "Microsoft Graph's address; https://graph.microsoft.com/v1.0 unless a sovereign cloud.",
    "DEVOPSBOT_TEAMS_APP_ID": "The Teams app's id in your org's app catalog; installed in incident group chats.",
    "DEVOPSBOT_PUBLIC_URL":
        "The app's public address (https://<app>.azurewebsites.net); action links in email point to it.",
    "DEVOPSBOT_ACTION_LINK_KEY":
        "Key that signs email action links: at least 32 random bytes, base64 or hex; a Key Vault reference in Azure.",
    "DEVOPSBOT_ACTION_LINK_PREVIOUS_KEY":
        "While the action-link key is rotated: the key it replaces, still accepted (never used to sign) so links "
        "already sent work until they expire; empty otherwise.",
    "DEVOPSBOT_ACTION_LINK_TTL_HOURS": "How long an action link in email stays valid; 24 by default.",
    "DEVOPSBOT_INBOUND_MAILBOX":
        "The incidents mailbox read through Graph (declare by mail, replies become updates); empty: off.",
    "DEVOPSBOT_TEAMS_DOWN_AFTER": "Connector failures within 10 minutes that mark Teams down (email takes over); 5.",
}

# Postmortem follow-ups and the leadership digest (issue: after the incident).
KNOWN_SETTINGS |= {
    "DEVOPSBOT_TRACKER_KIND":
        "Where postmortem follow-ups are filed as priority-1 bugs: azure_devops, github, or empty (devopsbot only).",
    "DEVOPSBOT_TRACKER_URL":
        "The tracker's API base: https://dev.azure.com/ORG/PROJECT (azure_devops) or "
        "https://api.github.com/repos/OWNER/REPO (github); http:// only on 127.0.0.1 or localhost.",
    "DEVOPSBOT_TRACKER_TOKEN":
        "A personal access token allowed to create work items (Azure DevOps) or issues (GitHub); a Key Vault "
        "reference in Azure.",
    "DEVOPSBOT_DIGEST_SCHEDULE":
        "NCRONTAB schedule of the weekly leadership digest; default Mondays 08:00, 0 0 8 * * 1.",
    "DEVOPSBOT_SERVICE_HEALTH_SCHEDULE":
        "NCRONTAB schedule of the Microsoft 365 service health check (Teams marked down and up; needs Graph and "
        "ServiceHealth.Read.All); default every 5 minutes, 0 */5 * * * *.",
    "DEVOPSBOT_ROSTER_REPORT_SCHEDULE":
        "NCRONTAB schedule of the weekly roster report to the admin team; default Mondays 08:00, 0 0 8 * * 1.",
}
KNOWN_SETTINGS |= ALERT_SETTINGS
KNOWN_SETTINGS |= BRIDGE_SETTINGS
KNOWN_SETTINGS |= WARMUP_SETTINGS

# Who is asking: tokens the app validates itself, and when App Service Authentication's header is believed.
KNOWN_SETTINGS |= {
    "DEVOPSBOT_ENTRA_OPENID_METADATA_URL":
        "OpenID metadata of the Entra tenant (DEVOPSBOT_BOT_TENANT_ID) whose keys sign the tenant-issued channel "
        "tokens and the pages' sign-in tokens. Empty means https://login.microsoftonline.com/TENANT/v2.0/"
        ".well-known/openid-configuration; set it for tests (http:// only on 127.0.0.1 or localhost).",
    "DEVOPSBOT_PAGES_CLIENT_ID":
        "Client id of the Entra app registration people sign in to the pages with (the dashboard tab's Teams "
        "single sign-on); the pages accept its bearer tokens. Empty: only App Service Authentication's sign-in.",
    "DEVOPSBOT_ANONYMOUS_PATHS":
        "Comma-separated paths App Service Authentication lets through unauthenticated (its excludedPaths); "
        "the sign-in header is never believed under them. "
        "Default /api/messages,/api/health,/api/act,/api/privacy,/api/terms,/api/alerts,/api/metrics.",
}
