"""Local doubles of Microsoft Graph and Entra ID, so the Graph client's tests need no Microsoft host.

``GraphDouble`` is an aiohttp server on 127.0.0.1 answering the calls that open incident spaces, recording
each request, with switches for throttling, server errors, refusals and rejected tokens. ``IdentityDouble``
is the requests-like ``http_client`` msal is given: it answers the OpenID discovery document, the token
endpoint and the App Service managed-identity endpoint in-process, so msal's real flows run with no socket.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from aiohttp import web

from tests.support.processes import serving


@dataclass
class GraphRequest:
    method: str
    path: str  # below the version, e.g. /teams/t1/channels
    body: dict[str, Any]
    authorization: str


def graph_error(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message,
                                        "innerError": {"request-id": str(uuid.uuid4())}}},
                             status=status, headers=headers)


@dataclass
class GraphDouble:
    requests: list[GraphRequest] = field(default_factory=list)
    throttled: int = 0  # answer this many next requests with throttled_status and Retry-After
    throttled_status: int = 429
    retry_after: str = "7"
    failing: int = 0  # answer this many next requests with 500
    forbidden_code: str = ""  # answer every request with 403 and this Graph error code
    rejected_tokens: set[str] = field(default_factory=set)  # bearer tokens answered with 401
    # When set, only the tokens it accepts are valid (an identity server's issued, unexpired tokens); others 401.
    accepts: Callable[[str], bool] | None = None
    channel_members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    channel_privacy: dict[str, str] = field(default_factory=dict)  # channel id -> membershipType
    chats: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # group chat id -> its members
    installed_apps: dict[str, list[str]] = field(default_factory=dict)
    url: str = ""  # the base URL a client is given, ending in /v1.0
    sent_mail: list[dict[str, Any]] = field(default_factory=list)  # (sender, message) of each accepted sendMail
    inbox: list[dict[str, Any]] = field(default_factory=list)  # messages in the incidents mailbox, oldest first
    page_size: int = 2  # messages per delta page, so paging is exercised
    service_issues: list[dict[str, Any]] = field(default_factory=list)  # the tenant's serviceHealthIssue objects
    service_health_granted: bool = True  # ServiceHealth.Read.All granted to the app; else 403 as Graph answers
    # Online meetings: the organisers a Teams application access policy lets the app act for (anyone else: 403),
    # the meetings made, and how long each creation takes (past the client's timeout: Graph "times out").
    meeting_organizers: set[str] = field(default_factory=set)
    meetings: list[dict[str, Any]] = field(default_factory=list)
    meeting_delay: float = 0.0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._switches])
        app.router.add_post("/v1.0/teams/{team}/channels", self._create_channel)
        app.router.add_post("/v1.0/teams/{team}/channels/{channel}/members", self._add_member)
        app.router.add_post("/v1.0/chats", self._create_chat)
        app.router.add_post("/v1.0/chats/{chat}/installedApps", self._install_app)
        app.router.add_post("/v1.0/users/{user}/sendMail", self._send_mail)
        app.router.add_get("/v1.0/users/{user}/mailFolders/inbox/messages/delta", self._delta)
        app.router.add_get("/v1.0/admin/serviceAnnouncement/issues", self._issues)
        app.router.add_post("/v1.0/users/{user}/onlineMeetings", self._create_meeting)
        return app

    async def _create_meeting(self, request: web.Request) -> web.Response:
        """POST /users/{id}/onlineMeetings with an application token: refused (403) unless an application access
        policy grants the organiser; a body that is not an onlineMeeting Graph accepts is a 400."""
        organizer = unquote(request.match_info["user"])
        if organizer not in self.meeting_organizers:
            return graph_error(403, "Forbidden", "Application is not allowed to perform operations on the user "
                                                 f"'{organizer}', neither is allowed access through a user policy.")
        body = await request.json()
        known = {"subject", "startDateTime", "endDateTime", "participants", "lobbyBypassSettings", "chatInfo"}
        times = [_instant(body.get(name)) for name in ("startDateTime", "endDateTime")]
        if (not isinstance(body, dict) or set(body) - known or not isinstance(body.get("subject"), str)
                or None in times or times[0] >= times[1]):  # type: ignore[operator]
            return graph_error(400, "BadRequest", "Invalid onlineMeeting: subject, startDateTime < endDateTime.")
        await asyncio.sleep(self.meeting_delay)
        number = next(self._ids)
        meeting = {"id": f"MSo1N2Y5ZGFjYy03MWJm{number}", "subject": body["subject"],
                   "startDateTime": body["startDateTime"], "endDateTime": body["endDateTime"],
                   "joinWebUrl": f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{number}%40thread.v2/0"
                                 "?context=%7b%22Tid%22%3a%22tenant-1%22%7d",
                   "participants": {"organizer": {"identity": {"user": {"id": organizer}}}}}
        self.meetings.append(meeting)
        return web.json_response(meeting, status=201)

    def announce(self, issue_id: str, status: str, *, service: str = "Microsoft Teams",
                 classification: str = "Incident", resolved: bool = False, title: str = "") -> None:
        """Microsoft announces (or updates) a service health issue, shaped as Graph's serviceHealthIssue sample."""
        issue = {"id": issue_id, "title": title or f"Users may be unable to use {service}",
                 "impactDescription": f"Users may be unable to use {service}.", "classification": classification,
                 "origin": "Microsoft", "status": status, "service": service, "feature": "Teams Components",
                 "featureGroup": "Teams Components", "isResolved": resolved,
                 "startDateTime": "2026-11-27T09:40:00Z", "lastModifiedDateTime": "2026-11-27T09:55:00Z",
                 "details": [], "posts": [{"createdDateTime": "2026-11-27T09:50:00Z", "postType": "Regular",
                                           "description": {"contentType": "Html", "content": "Investigating."}}]}
        self.service_issues = [i for i in self.service_issues if i["id"] != issue_id] + [issue]

    async def _issues(self, request: web.Request) -> web.Response:
        """GET /admin/serviceAnnouncement/issues with the OData options Graph takes: $filter (eq clauses joined
        by and), $select (serviceHealthIssue's properties), $skip. Anything else is refused, as Graph does."""
        if not self.service_health_granted:
            return graph_error(403, "Forbidden", "Caller does not have the required permission "
                                                 "ServiceHealth.Read.All to perform this operation.")
        unknown = set(request.query) - {"$filter", "$select", "$skip"}
        if unknown:
            return graph_error(400, "BadRequest", f"Query option '{sorted(unknown)[0]}' is not allowed.")
        clauses = odata_eq_clauses(request.query.get("$filter", ""))
        if clauses is None or any(name not in ISSUE_PROPERTIES or name == "details" for name, _ in clauses):
            return graph_error(400, "BadRequest", "Invalid filter clause.")
        selected = [n for n in request.query.get("$select", "").split(",") if n] or sorted(ISSUE_PROPERTIES)
        if missing := [n for n in selected if n not in ISSUE_PROPERTIES]:
            return graph_error(400, "BadRequest", f"Could not find a property named '{missing[0]}' on type "
                                                  "'microsoft.graph.serviceHealthIssue'.")
        found = [i for i in self.service_issues if all(_odata_value(i.get(n)) == v for n, v in clauses)]
        start = int(request.query.get("$skip", "0"))
        page = [{n: i[n] for n in selected if n in i} for i in found[start:start + self.page_size]]
        answer: dict[str, Any] = {"@odata.context": f"{self.url}/$metadata#admin/serviceAnnouncement/issues",
                                  "value": page}
        if start + self.page_size < len(found):
            kept = urlencode({**{k: v for k, v in request.query.items() if k != "$skip"},
                              "$skip": str(start + self.page_size)}, quote_via=quote)
            answer["@odata.nextLink"] = f"{self.url}/admin/serviceAnnouncement/issues?{kept}"
        return web.json_response(answer)

    def deliver(self, sender: str, subject: str, text: str, *, message_id: str = "", html: bool = False) -> None:
        """A message arrives in the incidents mailbox."""
        number = next(self._ids)
        self.inbox.append({
            "id": f"AAMk{number}", "internetMessageId": message_id or f"<m{number}@contoso.example>",
            "subject": subject, "from": {"emailAddress": {"address": sender, "name": sender.split("@")[0]}},
            "body": {"contentType": "html" if html else "text", "content": text},
            "receivedDateTime": "2026-11-27T10:00:00Z"})

    async def _send_mail(self, request: web.Request) -> web.Response:
        body = await request.json()
        message = body.get("message") or {}
        recipients = [r for kind in ("toRecipients", "ccRecipients", "bccRecipients") for r in message.get(kind, [])]
        if not recipients or len(recipients) > 500:  # Exchange Online refuses more than 500 per message
            return graph_error(400, "ErrorTooManyRecipients", "A message can have at most 500 recipients.")
        if not message.get("subject") or "\n" in message["subject"] or "\r" in message["subject"]:
            return graph_error(400, "ErrorInvalidSubject", "Invalid subject.")
        self.sent_mail.append({"sender": unquote(request.match_info["user"]), "message": message})
        return web.Response(status=202)

    async def _delta(self, request: web.Request) -> web.Response:
        """Graph's delta query, in small pages: a skip token walks the current messages, and the final
        page's delta token remembers how many there were, so the next round returns only newer ones."""
        skip = request.query.get("$skiptoken")
        delta = request.query.get("$deltatoken")
        start = int(skip) if skip is not None else int(delta) if delta is not None else 0
        page = self.inbox[start:start + self.page_size]
        base = f"{self.url}/users/{request.match_info['user']}/mailFolders/inbox/messages/delta"
        answer: dict[str, Any] = {"value": page}
        end = start + len(page)
        if end < len(self.inbox):
            answer["@odata.nextLink"] = f"{base}?$skiptoken={end}"
        else:
            answer["@odata.deltaLink"] = f"{base}?$deltatoken={end}"
        return web.json_response(answer)

    def bodies(self, path_suffix: str) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.path.endswith(path_suffix)]

    @web.middleware
    async def _switches(self, request: web.Request,
                        handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        body = await request.json() if request.can_read_body and request.method == "POST" else {}
        authorization = request.headers.get("Authorization", "")
        self.requests.append(GraphRequest(request.method, request.path.removeprefix("/v1.0"), body, authorization))
        token = authorization.removeprefix("Bearer ")
        if (not authorization.startswith("Bearer ") or token in self.rejected_tokens
                or (self.accepts is not None and not self.accepts(token))):
            return graph_error(401, "InvalidAuthenticationToken", "Access token validation failure.")
        if self.throttled:
            self.throttled -= 1
            return graph_error(self.throttled_status, "TooManyRequests", "Too many requests.",
                               **{"Retry-After": self.retry_after})
        if self.failing:
            self.failing -= 1
            return graph_error(500, "InternalServerError", "Something went wrong.")
        if self.forbidden_code:
            return graph_error(403, self.forbidden_code, "Missing role permissions on the request.")
        return await handler(request)

    async def _create_channel(self, request: web.Request) -> web.Response:
        body = await request.json()
        name = body.get("displayName", "")
        if not 0 < len(name) <= 50 or body.get("membershipType") not in ("standard", "private"):
            return graph_error(400, "BadRequest", "Invalid channel.")
        if body["membershipType"] == "private" and not _members_valid(body.get("members"), owners=True):
            # An application is no member: a private channel it creates needs an owner among its members.
            return graph_error(400, "BadRequest", "A private channel needs owners.")
        if len(body.get("members") or []) > 200:
            return graph_error(400, "BadRequest", "A private channel takes at most 200 members at creation.")
        channel_id = f"19:channel{next(self._ids)}@thread.tacv2"
        self.channel_members[channel_id] = list(body.get("members", []))
        self.channel_privacy[channel_id] = body["membershipType"]
        return web.json_response({"id": channel_id, "displayName": name,
                                  "membershipType": body["membershipType"]}, status=201)

    async def _add_member(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not _members_valid([body], owners=False):
            return graph_error(400, "BadRequest", "Invalid member.")
        members = self.channel_members.setdefault(unquote(request.match_info["channel"]), [])
        if any(m["user@odata.bind"] == body["user@odata.bind"] for m in members):
            return graph_error(409, "Conflict", "The user is already a member of the channel.")
        members.append(body)
        return web.json_response({"id": str(uuid.uuid4()), **body}, status=201)

    async def _create_chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("chatType") != "group" or not _members_valid(body.get("members"), owners=True):
            return graph_error(400, "BadRequest", "Invalid chat.")
        # Every participant is listed (an application is none of them); two people make a one-on-one chat.
        members = body["members"]
        if len({m["user@odata.bind"] for m in members}) != len(members) or len(members) < 3:
            return graph_error(400, "BadRequest", "A group chat needs at least 3 different members.")
        chat_id = f"19:chat{next(self._ids)}@thread.v2"
        self.chats[chat_id] = list(members)
        return web.json_response({"id": chat_id, "topic": body.get("topic"), "chatType": "group"}, status=201)

    async def _install_app(self, request: web.Request) -> web.Response:
        bound = (await request.json()).get("teamsApp@odata.bind", "")
        if not bound.partition("/appCatalogs/teamsApps/")[2]:
            return graph_error(400, "BadRequest", "teamsApp@odata.bind is required.")
        apps = self.installed_apps.setdefault(unquote(request.match_info["chat"]), [])
        if bound in apps:
            return graph_error(409, "Conflict", "The app is already installed.")
        apps.append(bound)
        return web.Response(status=201)


ISSUE_PROPERTIES = frozenset({"id", "title", "impactDescription", "classification", "origin", "status", "service",
                              "feature", "featureGroup", "isResolved", "startDateTime", "endDateTime",
                              "lastModifiedDateTime", "details", "posts"})


def odata_eq_clauses(text: str) -> list[tuple[str, str]] | None:
    """``name eq 'text'`` or ``name eq true|false`` clauses joined by `` and ``, as (name, value); None when the
    filter is anything else (Graph answers 400). String literals double their quotes."""
    clauses: list[tuple[str, str]] = []
    rest = text.strip()
    while rest:
        name, _, rest = rest.partition(" eq ")
        if not name.isidentifier() or not rest:
            return None
        if rest.startswith("'"):
            value, position = [], 1
            while True:
                end = rest.find("'", position)
                if end < 0:
                    return None
                value.append(rest[position:end])
                if rest[end + 1:end + 2] != "'":
                    break
                value.append("'")
                position = end + 2
            clauses.append((name, "".join(value)))
            rest = rest[end + 1:]
        else:
            literal, _, after = rest.partition(" ")
            if literal not in ("true", "false"):
                return None
            clauses.append((name, literal))
            rest = " " + after if after else ""
        if rest and not rest.startswith(" and "):
            return None
        rest = rest.removeprefix(" and ")
    return clauses


def _instant(value: Any) -> datetime | None:
    """An ISO 8601 instant with its offset (Graph's DateTimeOffset), or None."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _odata_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _members_valid(members: Any, *, owners: bool) -> bool:
    if not isinstance(members, list) or not members:
        return False
    return all(m.get("@odata.type") == "#microsoft.graph.aadUserConversationMember"
               and str(m.get("user@odata.bind", "")).startswith("https://graph.microsoft.com/v1.0/users('")
               and (m.get("roles") == ["owner"] or not owners) for m in members)


@asynccontextmanager
async def running_graph() -> AsyncIterator[GraphDouble]:
    double = GraphDouble()
    async with serving(double.app()) as url:
        double.url = f"{url}/v1.0"
        yield double


@dataclass
class FakeResponse:
    """What msal reads from a requests.Response."""

    status_code: int
    text: str
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})

    def json(self) -> Any:
        return json.loads(self.text)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}")


@dataclass
class IdentityDouble:
    """Entra ID (one tenant) and the App Service identity endpoint, as msal's injected ``http_client``."""

    authority_host: str = "https://login.identity.test"  # https because msal insists; never resolved
    tenant: str = "11111111-2222-3333-4444-555555555555"
    managed_identity_endpoint: str = "http://127.0.0.1:9/msi/token"  # IDENTITY_ENDPOINT; never connected
    token_error: str = ""  # answer token requests with this OAuth error
    expires_in: int = 3600
    discovery_requests: int = 0
    token_requests: list[dict[str, str]] = field(default_factory=list)  # form fields, plus "basic" if sent
    managed_identity_requests: list[dict[str, Any]] = field(default_factory=list)  # params and headers
    issued: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)  # URLs nobody should have asked for
    _lock: threading.Lock = field(default_factory=threading.Lock)  # msal calls from worker threads

    @property
    def authority(self) -> str:
        return f"{self.authority_host}/{self.tenant}"

    @property
    def token_endpoint(self) -> str:
        return f"{self.authority}/oauth2/v2.0/token"

    def get(self, url: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
            **_: Any) -> FakeResponse:
        if url == f"{self.authority}/v2.0/.well-known/openid-configuration":
            with self._lock:
                self.discovery_requests += 1
            return FakeResponse(200, json.dumps({
                "issuer": f"{self.authority}/v2.0", "token_endpoint": self.token_endpoint,
                "authorization_endpoint": f"{self.authority}/oauth2/v2.0/authorize",
                "jwks_uri": f"{self.authority}/discovery/v2.0/keys"}))
        if url == self.managed_identity_endpoint:
            with self._lock:
                self.managed_identity_requests.append({"params": dict(params or {}), "headers": dict(headers or {})})
            return FakeResponse(200, json.dumps({
                "access_token": self._issue(), "expires_on": str(int(time.time()) + self.expires_in),
                "resource": (params or {}).get("resource"), "token_type": "Bearer"}))
        return self._unexpected(url)

    def post(self, url: str, params: dict[str, Any] | None = None, data: Any = None,
             headers: dict[str, str] | None = None, **_: Any) -> FakeResponse:
        if url != self.token_endpoint:
            return self._unexpected(url)
        # A form body, as requests would encode it: msal gives the client assertion as bytes.
        fields = {str(k): v.decode() if isinstance(v, bytes) else str(v) for k, v in dict(data or {}).items()}
        basic = (headers or {}).get("Authorization", "")
        if basic.startswith("Basic "):
            fields["basic"] = base64.b64decode(basic.removeprefix("Basic ")).decode()
        with self._lock:
            self.token_requests.append(fields)
        if self.token_error:
            return FakeResponse(400, json.dumps({"error": self.token_error,
                                                 "error_description": f"AADSTS7000215: {self.token_error}."}))
        return FakeResponse(200, json.dumps({"token_type": "Bearer", "expires_in": self.expires_in,
                                             "ext_expires_in": self.expires_in, "access_token": self._issue()}))

    def close(self) -> None:
        pass

    def _issue(self) -> str:
        with self._lock:
            token = f"graph-token-{len(self.issued) + 1}"
            self.issued.append(token)
        return token

    def _unexpected(self, url: str) -> FakeResponse:
        with self._lock:
            self.unexpected.append(url)
        return FakeResponse(404, json.dumps({"error": "not_found", "error_description": urlsplit(url).path}))


CLIENT_ID = "aaaaaaaa-0000-0000-0000-00000000c11e"
SECRET = "s3cret-value-never-shown"


class Sleeps(list[float]):
    """The injected sleep: records the seconds instead of waiting."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def secret_identity(identity: IdentityDouble) -> Any:
    """The client-secret identity of the test app registration, against the identity double."""
    from adapters.graph import GraphIdentity

    return GraphIdentity(mode="secret", client_id=CLIENT_ID, tenant_id=identity.tenant, client_secret=SECRET,
                         authority_host=identity.authority_host)
