"""``python -m devopsbot package``: the Teams app package (zip) for one deployment.

The manifest in ``appPackage/`` carries zero GUIDs and a ``{{host}}`` token; this command loads it as JSON, puts in
the bot's id, the Teams app's id and the Function App's host name, and zips it with the two icons. Bad input (a
missing id, a malformed GUID or host name) is an argparse error: one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any

from devopsbot.settings import ROOT

APP_PACKAGE = ROOT / "appPackage"
MANIFEST = "manifest.json"
HOST_PLACEHOLDER = "{{host}}"
DEFAULT_OUT = Path("dist") / "devopsbot-teams-app.zip"
# Namespace of the Teams app ids derived from a bot id: packaging the same bot again gives the same app id, so
# uploading the new zip updates the app instead of adding a second one.
APP_ID_NAMESPACE = uuid.UUID("5a0c4a52-3f0e-4d53-9e67-0f4d0d5b7c11")
PACKAGE_WRITE_ERROR = 1

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")


def guid(text: str) -> str:
    """An argparse type: a GUID in its 8-4-4-4-12 hexadecimal form, lower-cased."""
    if not _GUID.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"'{text}' is not a GUID (8-4-4-4-12 hexadecimal digits)")
    return text.strip().lower()


def host_name(text: str) -> str:
    """An argparse type: a DNS host name such as func-devopsbot-abc.azurewebsites.net (no scheme, no path)."""
    host = text.strip().lower()
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise argparse.ArgumentTypeError(f"'{text}' is not a host name like func-devopsbot-abc.azurewebsites.net "
                                         "(no https://, no path)")
    return host


def app_version(text: str) -> str:
    if not _SEMVER.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"'{text}' is not a version like 1.2.0 (Teams wants major.minor.patch)")
    return text.strip()


def derived_app_id(bot_id: str) -> str:
    return str(uuid.uuid5(APP_ID_NAMESPACE, bot_id.lower()))


def _with_host(value: Any, host: str) -> Any:
    """Every string in the parsed manifest with the host token replaced (the host is a checked DNS name)."""
    if isinstance(value, str):
        return value.replace(HOST_PLACEHOLDER, host)
    if isinstance(value, list):
        return [_with_host(item, host) for item in value]
    if isinstance(value, dict):
        return {key: _with_host(item, host) for key, item in value.items()}
    return value


def https_url(text: str) -> str:
    """An argparse type: an absolute https URL (Teams refuses others in the manifest's developer links)."""
    url = text.strip()
    scheme, _, rest = url.partition("://")
    if scheme.lower() != "https" or not rest or rest.startswith("/") or any(c.isspace() for c in url) or \
            len(url) > 2048:
        raise argparse.ArgumentTypeError(f"'{text}' is not an https URL like https://contoso.example/privacy")
    return url


def build_manifest(template: dict[str, Any], *, bot_id: str, app_id: str, host: str,
                   version: str | None = None, privacy_url: str | None = None, terms_url: str | None = None,
                   sign_in_client_id: str | None = None) -> dict[str, Any]:
    """The template with this deployment's ids and host; the template itself is left unchanged. The privacy
    and terms links default to the app's own public pages (/api/privacy, /api/terms).

    With ``sign_in_client_id`` (the Entra app registration people sign in to the pages with), the manifest asks
    Teams for single sign-on: the dashboard tab can then get an Entra token for api://{host}/{client id}, the
    Application ID URI that registration must expose, which the pages validate (functions/signed_in.py)."""
    manifest: dict[str, Any] = _with_host(copy.deepcopy(template), host)
    manifest["id"] = app_id
    if privacy_url:
        manifest["developer"]["privacyUrl"] = privacy_url
    if terms_url:
        manifest["developer"]["termsOfUseUrl"] = terms_url
    for bot in manifest.get("bots", []):
        bot["botId"] = bot_id
    for extension in manifest.get("composeExtensions", []):  # the message action is the same bot's
        extension["botId"] = bot_id
    if version:
        manifest["version"] = version
    if sign_in_client_id:
        manifest["webApplicationInfo"] = {"id": sign_in_client_id, "resource": f"api://{host}/{sign_in_client_id}"}
    return manifest


def write_package(out: Path, manifest: dict[str, Any], source: Path = APP_PACKAGE) -> None:
    """The zip Teams accepts: manifest.json and the icons it names, all at the root of the archive."""
    icons = manifest["icons"]
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for name in sorted({icons["color"], icons["outline"]}):
            archive.write(source / name, arcname=name)


def load_template(source: Path = APP_PACKAGE) -> dict[str, Any]:
    template: dict[str, Any] = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    return template


def _package_command(args: argparse.Namespace) -> int:
    app_id = args.app_id or derived_app_id(args.bot_id)
    manifest = build_manifest(load_template(), bot_id=args.bot_id, app_id=app_id, host=args.host,
                              version=args.app_version, privacy_url=args.privacy_url, terms_url=args.terms_url,
                              sign_in_client_id=args.sign_in_client_id)
    try:
        write_package(args.out, manifest)
    except OSError as error:
        print(f"devopsbot: error: cannot write {args.out}: {error.strerror or error}", file=sys.stderr)
        return PACKAGE_WRITE_ERROR
    print(f"{args.out}: Teams app {app_id} (version {manifest['version']}), bot {args.bot_id}, "
          f"dashboard https://{args.host}/api/dashboard")
    return 0


def register(sub: Any) -> None:
    package = sub.add_parser(
        "package", help="write the Teams app package (zip) with this deployment's ids",
        description="Write the Teams app package: appPackage/manifest.json with the ids and host put in, and the "
                    "icons. Upload the zip in the Teams admin center (or Teams: Apps > Manage your apps).")
    package.add_argument("--bot-id", type=guid, required=True,
                         help="the bot's Microsoft App ID (azd output BOT_APP_ID)")
    package.add_argument("--app-id", type=guid,
                         help="the Teams app's id (default: derived from the bot id, the same every time)")
    package.add_argument("--host", type=host_name, required=True,
                         help="the Function App's host name (azd output FUNCTION_APP_HOST)")
    package.add_argument("--app-version", type=app_version,
                         help="the app's version; raise it to update an uploaded app (default: the manifest's)")
    package.add_argument("--privacy-url", type=https_url,
                         help="your organisation's privacy statement (default: the app's own https://HOST/api/privacy)")
    package.add_argument("--terms-url", type=https_url,
                         help="your organisation's terms of use (default: the app's own https://HOST/api/terms)")
    package.add_argument("--sign-in-client-id", type=guid,
                         help="client id of the Entra app registration people sign in to the dashboard with (the "
                              "Bicep's dashboardAuthClientId): turns on the tab's Teams single sign-on")
    package.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"the zip to write (default: {DEFAULT_OUT})")
    package.set_defaults(run=_package_command)
