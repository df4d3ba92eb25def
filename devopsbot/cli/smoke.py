"""``python -m devopsbot smoke --host HOST``: a deployed devopsbot checked from outside, as a stranger sees it.

Run by azd after every deploy (azure.yaml, postdeploy) and by hand. Four checks, each one request: /api/health is
ready; /api/dashboard refuses an anonymous caller (App Service Authentication in front of it); /api/messages refuses
an activity without a Bot Framework token; the alert endpoint refuses a request without its secret (skipped while
the host answers 404 there: alerts not deployed). Redirects are not followed: a sign-in redirect is a refusal.
Exit status 0 when nothing failed, 1 otherwise; one line per check.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from incident.errors import ConfigurationError

FAILED_EXIT = 1
MAX_BODY = 64 * 1024  # a health answer is a few hundred bytes; never read a huge one
REFUSALS = (401, 403)
ALERT_PATH = "/api/alerts/generic"
# A typing activity changes nothing even where it is accepted, and its service URL can never be reached (.invalid).
SERVICE_URL = "https://smoke.invalid/"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Outcome:
    verdict: str  # "ok", "FAIL", "skip" or "note" (a note never fails the run)
    check: str
    detail: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx itself is the answer (App Service Authentication's sign-in redirect)


@dataclass(frozen=True)
class Probe:
    """Requests to one host, none of them carrying a credential."""

    base_url: str
    timeout: float
    tenant: str = ""

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Answer:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data else {}
        request = urllib.request.Request(  # noqa: S310 - base_url() admits only http:// and https://
            self.base_url + path, data=data, method=method, headers=headers)
        opener = urllib.request.build_opener(_NoRedirects)
        try:
            with opener.open(request, timeout=self.timeout) as response:
                return Answer(int(response.status), dict(response.headers), response.read(MAX_BODY))
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers or {}), error.read(MAX_BODY))


def _json(answer: Answer) -> dict[str, Any]:
    try:
        parsed = json.loads(answer.body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _sign_in_redirect(answer: Answer) -> bool:
    location = answer.headers.get("Location", answer.headers.get("location", ""))
    host = (urlsplit(location).hostname or "").lower()
    return answer.status in (302, 307) and ("/.auth/login" in location or host.startswith("login."))


def check_health(probe: Probe, wait: float) -> list[Outcome]:
    """Ready: 200 with status ok. Right after a deploy the app may still be starting, so ask again until ``wait``."""
    deadline = time.monotonic() + wait
    while True:
        try:
            answer = probe.send("GET", "/api/health")
        except OSError:
            if time.monotonic() >= deadline:
                raise
        else:
            if answer.status == 200 or time.monotonic() >= deadline:
                break
        time.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
    body = _json(answer)
    if answer.status != 200 or body.get("status") != "ok":
        why = body.get("configuration") if body.get("configuration") not in (None, "ok") else (
            body.get("storage", {}).get("detail") if isinstance(body.get("storage"), dict) else "")
        return [Outcome("FAIL", "health", f"GET /api/health answered {answer.status} "
                        f"(status {body.get('status', 'unknown')}){f': {why}' if why else ''}")]
    switched_off = body.get("switched_off")
    notes = [Outcome("note", "health", f"{feature.replace('_', ' ')} switched off: {reason}")
             for feature, reason in sorted(switched_off.items() if isinstance(switched_off, dict) else ())]
    return [Outcome("ok", "health", "GET /api/health: ready (configuration ok, storage reachable)"), *notes]


def check_dashboard(probe: Probe) -> list[Outcome]:
    answer = probe.send("GET", "/api/dashboard")
    if answer.status in REFUSALS:
        return [Outcome("ok", "dashboard", f"GET /api/dashboard without signing in: refused ({answer.status})")]
    if _sign_in_redirect(answer):
        return [Outcome("ok", "dashboard", "GET /api/dashboard without signing in: sent to the sign-in page")]
    return [Outcome("FAIL", "dashboard", f"GET /api/dashboard answered an anonymous caller with {answer.status}: "
                    "App Service Authentication is off or /api/dashboard is among the anonymous paths, "
                    "and the app does not ask for a sign-in either")]


def check_messages(probe: Probe) -> list[Outcome]:
    activity: dict[str, Any] = {"type": "typing", "id": "devopsbot-smoke", "channelId": "msteams",
                                "serviceUrl": SERVICE_URL, "from": {"id": "29:devopsbot-smoke"},
                                "recipient": {"id": "28:devopsbot-smoke"}, "conversation": {"id": "devopsbot-smoke"}}
    if probe.tenant:
        activity["conversation"]["tenantId"] = probe.tenant
        activity["channelData"] = {"tenant": {"id": probe.tenant}}
    answer = probe.send("POST", "/api/messages", activity)
    if answer.status == 401:
        return [Outcome("ok", "messages", "POST /api/messages without a Bot Framework token: refused (401)")]
    if answer.status == 403:
        return [Outcome("FAIL", "messages", "POST /api/messages refused the activity's tenant (403) before looking "
                        "at its token, so the token check was not tested: give --tenant (or AZURE_TENANT_ID) "
                        "the bot's own tenant id")]
    return [Outcome("FAIL", "messages", f"POST /api/messages answered an activity without a token with "
                    f"{answer.status}: Bot Framework authentication is off (DEVOPSBOT_BOT_APP_ID empty?)")]


def check_alerts(probe: Probe) -> list[Outcome]:
    answer = probe.send("POST", ALERT_PATH, {})
    if answer.status == 404:
        return [Outcome("skip", "alerts", f"POST {ALERT_PATH} answered 404: the alert endpoints are not deployed "
                        "yet, so there is nothing to check")]
    if answer.status in REFUSALS:
        return [Outcome("ok", "alerts", f"POST {ALERT_PATH} without its secret: refused ({answer.status})")]
    return [Outcome("FAIL", "alerts", f"POST {ALERT_PATH} answered a request without any secret with "
                    f"{answer.status}: anyone could send alerts")]


def run_checks(probe: Probe, wait: float) -> list[Outcome]:
    checks: tuple[tuple[str, Callable[[Probe], list[Outcome]]], ...] = (
        ("health", lambda p: check_health(p, wait)), ("dashboard", check_dashboard), ("messages", check_messages),
        ("alerts", check_alerts))
    outcomes: list[Outcome] = []
    for name, check in checks:
        try:
            outcomes.extend(check(probe))
        except OSError as error:  # refused, timed out, no such host, TLS
            outcomes.append(Outcome("FAIL", name, f"{probe.base_url} cannot be reached: "
                                    f"{getattr(error, 'reason', error)}"))
    return outcomes


def base_url(host: str) -> str:
    """``func-x.azurewebsites.net`` (azd's FUNCTION_APP_HOST) or a URL such as ``http://127.0.0.1:7071``."""
    text = host.strip().rstrip("/")
    if not text:
        raise ConfigurationError("smoke", "--host", "is empty: give the app's host name, e.g. "
                                 "--host \"$(azd env get-value FUNCTION_APP_HOST)\"")
    url = text if "://" in text else f"https://{text}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
        raise ConfigurationError("smoke", "--host", f"'{host}' is not a host name or an http(s)://host[:port] URL")
    return url


def register(sub: Any) -> None:
    smoke = sub.add_parser("smoke", help="check a deployed host from outside: health, sign-in, bot token, alerts")
    smoke.add_argument("--host", required=True, help="the app's host name (FUNCTION_APP_HOST) or its URL")
    smoke.add_argument("--tenant", default=os.environ.get("AZURE_TENANT_ID", ""),
                       help="the bot's tenant id, so the bot endpoint's tenant allow-list lets the test activity "
                            "reach its token check (default: AZURE_TENANT_ID)")
    smoke.add_argument("--wait", type=float, default=120,
                       help="seconds to keep asking /api/health while the app starts (default 120)")
    smoke.add_argument("--timeout", type=float, default=30, help="seconds per request (default 30)")
    smoke.set_defaults(run=_smoke_command)


def _smoke_command(args: argparse.Namespace) -> int:
    probe = Probe(base_url(args.host), timeout=args.timeout, tenant=args.tenant.strip())
    outcomes = run_checks(probe, max(0.0, args.wait))
    for outcome in outcomes:
        print(f"{outcome.verdict:<4} {outcome.check:<9} {outcome.detail}", flush=True)
    failed = sum(o.verdict == "FAIL" for o in outcomes)
    passed, skipped = sum(o.verdict == "ok" for o in outcomes), sum(o.verdict == "skip" for o in outcomes)
    print(f"smoke: {passed} passed, {skipped} skipped, {failed} failed against {probe.base_url}")
    return FAILED_EXIT if failed else 0
