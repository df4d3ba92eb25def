"""The Microsoft Graph client devopsbot uses to open incident spaces (a team channel or a group chat), send
mail, read the incidents mailbox and read Microsoft 365 service health.

It acts with application permissions only. Tokens come from msal — a client secret, a certificate or a
managed identity — for ``https://graph.microsoft.com/.default``; msal keeps them in its own cache, so one
msal application serves the whole process. Each method names the least-privileged permission it needs.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import aiohttp

from incident.errors import ConfigurationError, GraphError
from incident.service_health import ServiceIssue
from services.tracing_ports import traced

log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
PUBLIC_AUTHORITY_HOST = "https://login.microsoftonline.com"
AUTH_MODES = ("secret", "certificate", "managed_identity")
CHANNEL_NAME_MAX = 50  # Graph's limit on a channel's displayName
CHANNEL_DESCRIPTION_MAX = 1024
_NOT_IN_CHANNEL_NAMES = re.compile(r"""[~#%&*{}+/\\:<>?|'"\x00-\x1f\x7f]""")
_TIMEOUT = 30.0
_ISSUE_FIELDS = ("id", "title", "service", "status", "classification", "isResolved", "impactDescription")
_ISSUE_PAGES = 10  # 100 issues a page: a tenant has a handful of unresolved ones per service


@dataclass(frozen=True)
class GraphIdentity:
    """Who devopsbot is to Entra ID; ``mode`` picks the msal application.

    ``secret`` and ``certificate``: the app registration ``client_id`` in ``tenant_id``, with ``client_secret``,
    or ``certificate_path`` (a PEM file with the private key) and ``certificate_thumbprint`` (SHA-1, hex); without
    a thumbprint the PEM must also hold the certificate and msal signs with its SHA-256 thumbprint.
    ``managed_identity``: ``client_id`` is a user-assigned identity's client id; empty means system-assigned.
    """

    mode: str
    client_id: str = ""
    tenant_id: str = ""
    client_secret: str = field(default="", repr=False)
    certificate_path: str = ""
    certificate_thumbprint: str = ""
    authority_host: str = PUBLIC_AUTHORITY_HOST
    scope: str = GRAPH_SCOPE

    def check(self) -> None:
        """Raise ConfigurationError naming the first setting that is missing for ``mode``."""
        def fail(name: str, reason: str) -> ConfigurationError:
            return ConfigurationError("settings", f"DEVOPSBOT_GRAPH_{name}", reason)

        if self.mode not in AUTH_MODES:
            raise fail("AUTH", f"'{self.mode}' is not one of {', '.join(AUTH_MODES)}")
        if self.mode == "managed_identity":
            return
        if not self.client_id or not self.tenant_id:
            raise fail("CLIENT_ID" if not self.client_id else "TENANT_ID", f"required for {self.mode} authentication")
        if self.mode == "secret" and not self.client_secret:
            raise fail("CLIENT_SECRET", "required for secret authentication")
        if self.mode == "certificate" and not self.certificate_path:
            raise fail("CERTIFICATE_PATH", "required for certificate authentication")
        if not self.authority_host.startswith("https://"):
            raise fail("AUTHORITY_HOST", "must be an https:// URL (msal accepts no other)")


def build_msal_app(identity: GraphIdentity, http_client: Any = None, token_cache: Any = None) -> Any:
    """The msal application ``identity`` asks for. A confidential client fetches the tenant's OpenID
    configuration here, so call it from a worker thread."""
    import msal  # type: ignore[import-untyped]  # msal ships no type information

    if identity.mode == "managed_identity":
        managed = (msal.UserAssignedManagedIdentity(client_id=identity.client_id) if identity.client_id
                   else msal.SystemAssignedManagedIdentity())
        if http_client is None:
            import requests  # msal's own dependency

            http_client = requests.Session()
            # A hung identity endpoint must not hang us; requests has no session-wide timeout (msal patches alike).
            http_client.request = functools.partial(http_client.request, timeout=_TIMEOUT)
        return msal.ManagedIdentityClient(managed, http_client=http_client, token_cache=token_cache)
    credential: str | dict[str, str] = identity.client_secret
    if identity.mode == "certificate":
        pem = Path(identity.certificate_path).read_text(encoding="utf-8")
        thumbprint = identity.certificate_thumbprint.replace(":", "").replace(" ", "")
        credential = {"private_key": pem, "thumbprint": thumbprint} if thumbprint else {
            "private_key": pem, "public_certificate": pem}
    # The authority comes from trusted settings: no instance discovery, so any host (a sovereign cloud, a
    # test double) works; azure_region=False because regional token service is for first-party apps only.
    return msal.ConfidentialClientApplication(
        identity.client_id, client_credential=credential, token_cache=token_cache, http_client=http_client,
        authority=f"{identity.authority_host.rstrip('/')}/{identity.tenant_id}", instance_discovery=False,
        azure_region=False, timeout=_TIMEOUT)


class TokenSource(Protocol):
    async def token(self) -> str: ...

    async def forget(self, token: str) -> None:
        """Drop a token Graph refused, so the next ``token()`` fetches a fresh one."""
        ...


class MsalTokens:
    """Graph tokens from one msal application, built on first use and kept (msal caches the tokens).

    msal is synchronous: building the application and acquiring tokens run in worker threads, one at a time.
    """

    def __init__(self, identity: GraphIdentity, *, http_client: Any = None) -> None:
        identity.check()
        self.identity = identity
        self._http_client = http_client
        self._app: Any = None
        self._cache: Any = None
        self._lock = threading.Lock()  # the callers are worker threads, not coroutines

    async def token(self) -> str:
        return await asyncio.to_thread(self._acquire)

    async def forget(self, token: str) -> None:
        await asyncio.to_thread(self._forget, token)

    def app(self) -> Any:
        """The msal application, built on first call; blocking."""
        with self._lock:
            if self._app is None:
                import msal

                self._cache = msal.TokenCache()
                self._app = build_msal_app(self.identity, self._http_client, self._cache)
            return self._app

    def _acquire(self) -> str:
        try:
            app = self.app()
            with self._lock:
                if self.identity.mode == "managed_identity":
                    result = app.acquire_token_for_client(resource=self.identity.scope.removesuffix("/.default"))
                else:
                    result = app.acquire_token_for_client(scopes=[self.identity.scope])
        except Exception as error:  # msal raises discovery, transport and HTTP errors of many kinds
            raise GraphError("acquiring a token", f"{type(error).__name__}: {error}") from error
        if "access_token" not in result:  # msal answers OAuth errors as a dict, e.g. invalid_client
            code = str(result.get("error") or "no_token")
            description = (str(result.get("error_description") or "no access token") + "\n").splitlines()[0]
            raise GraphError("acquiring a token", f"{code}: {description}", code=code)
        return str(result["access_token"])

    def _forget(self, token: str) -> None:
        with self._lock:
            if self._cache is None:
                return
            kind = self._cache.CredentialType.ACCESS_TOKEN
            for entry in list(self._cache.search(kind, query={"secret": token})):
                self._cache.remove_at(entry)


_SHARED: dict[GraphIdentity, MsalTokens] = {}


def shared_tokens(identity: GraphIdentity) -> MsalTokens:
    """The process's token source for ``identity``: one msal application, one token cache."""
    if identity not in _SHARED:
        _SHARED[identity] = MsalTokens(identity)
    return _SHARED[identity]


def channel_display_name(name: str) -> str:
    """``name`` as Teams accepts it: forbidden characters become spaces, no leading '_' or '.', no
    trailing '.', at most 50 characters."""
    cleaned = " ".join(_NOT_IN_CHANNEL_NAMES.sub(" ", name).split()).lstrip("_. ")
    cleaned = cleaned[:CHANNEL_NAME_MAX].rstrip(". ")
    if not cleaned:
        raise GraphError("naming a channel", f"{name!r} keeps no character Teams accepts in a channel name")
    return cleaned


class GraphClient:
    """The Graph calls that open incident spaces, with throttling honoured and bounded retries.

    429 and 503 wait for ``Retry-After`` (at most ``max_wait`` seconds); other 5xx and transport errors back
    off exponentially; after ``max_retries`` retries, or on any other 4xx, GraphError. A 401 drops the token
    and retries once with a fresh one.
    """

    def __init__(self, tokens: TokenSource, *, base_url: str = GRAPH_URL, session: aiohttp.ClientSession | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, max_retries: int = 4,
                 backoff: float = 1.0, max_wait: float = 30.0, bind_root: str = GRAPH_URL,
                 timeout: float = _TIMEOUT) -> None:
        self._tokens, self._base_url, self._sleep, self._timeout = tokens, base_url.rstrip("/"), sleep, timeout
        self._session, self._owns_session = session, session is None
        self._max_retries, self._backoff, self._max_wait = max_retries, backoff, max_wait
        self._bind_root = bind_root.rstrip("/")  # Graph names users and apps by its own URLs, whatever host we call

    async def create_channel(self, team_id: str, name: str, description: str, *, private: bool,
                             owner_aad_ids: Sequence[str]) -> str:
        """A standard or private channel in the team; its id. Permission: Channel.Create (or the
        resource-specific Channel.Create.Group when the app is installed in the team)."""
        body: dict[str, Any] = {"displayName": channel_display_name(name),
                                "description": description[:CHANNEL_DESCRIPTION_MAX],
                                "membershipType": "private" if private else "standard"}
        operation = f"creating channel '{body['displayName']}'"
        if private:
            owners = list(dict.fromkeys(owner_aad_ids))
            if not owners:
                raise GraphError(operation, "a private channel created by an application needs at least one owner")
            body["members"] = [self._member(aad_id, owner=True) for aad_id in owners]
        return _id_of(operation, await self._call(operation, f"/teams/{_segment(team_id)}/channels", body))

    async def add_channel_members(self, team_id: str, channel_id: str, aad_ids: Sequence[str]) -> None:
        """Add people to a private channel; somebody already in it is fine. Permission: ChannelMember.ReadWrite.All."""
        path = f"/teams/{_segment(team_id)}/channels/{_segment(channel_id)}/members"
        for aad_id in dict.fromkeys(aad_ids):
            await self._call(f"adding {aad_id} to channel {channel_id}", path, self._member(aad_id, owner=False),
                             tolerate=(409,))

    async def create_group_chat(self, topic: str, member_aad_ids: Sequence[str]) -> str:
        """A group chat with everyone as owner; its id. Permission: Chat.Create."""
        members = list(dict.fromkeys(member_aad_ids))
        operation = f"creating group chat '{topic}'"
        # An application is not a member itself, so every participant is listed. Two people make a one-on-one
        # chat, not a group (a two-member group chat also refuses new members later).
        if len(members) < 3:
            raise GraphError(operation, f"a group chat needs at least 3 different members, got {len(members)}")
        body = {"chatType": "group", "topic": topic,
                "members": [self._member(aad_id, owner=True) for aad_id in members]}
        return _id_of(operation, await self._call(operation, "/chats", body))

    async def install_app_in_chat(self, chat_id: str, teams_app_id: str) -> None:
        """Install the Teams app (catalog id) in the chat; already installed is fine.
        Permission: TeamsAppInstallation.ReadWriteSelfForChat.All (the app installs itself)."""
        body = {"teamsApp@odata.bind": f"{self._bind_root}/appCatalogs/teamsApps/{teams_app_id}"}
        await self._call(f"installing app {teams_app_id} in chat {chat_id}",
                         f"/chats/{_segment(chat_id)}/installedApps", body, tolerate=(409,))

    def limited(self, *, timeout: float, max_retries: int) -> GraphClient:
        """A client with the same identity and address that gives up sooner: for calls nobody may wait on long."""
        return GraphClient(self._tokens, base_url=self._base_url, sleep=self._sleep, max_retries=max_retries,
                           backoff=self._backoff, max_wait=min(self._max_wait, timeout), bind_root=self._bind_root,
                           timeout=timeout)

    async def create_online_meeting(self, organizer: str, subject: str, start: str, end: str) -> str:
        """A Teams meeting organised by ``organizer`` (user id or UPN); its join link. Permission:
        OnlineMeetings.ReadWrite.All (application), allowed for that organiser by a Teams application access
        policy (without it Graph answers 403). ``start`` and ``end`` are ISO 8601 instants with their offset."""
        operation = f"creating the online meeting '{subject}'"
        payload = await self._call(operation, f"/users/{_segment(organizer)}/onlineMeetings",
                                   {"subject": subject, "startDateTime": start, "endDateTime": end})
        link = payload.get("joinWebUrl")
        if not isinstance(link, str) or not link.startswith("https://"):
            raise GraphError(operation, "Graph's answer holds no https joinWebUrl")
        return link

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _member(self, aad_id: str, *, owner: bool) -> dict[str, Any]:
        return {"@odata.type": "#microsoft.graph.aadUserConversationMember",
                "roles": ["owner"] if owner else [],
                "user@odata.bind": f"{self._bind_root}/users('{aad_id}')"}

    async def send_mail(self, sender: str, message: dict[str, Any]) -> None:
        """Send ``message`` (Graph's message resource) as ``sender``, not kept in Sent Items.
        Permission: Mail.Send, restricted to the sender's mailbox by an application access policy."""
        await self._call(f"sending mail as {sender}", f"/users/{_segment(sender)}/sendMail",
                         {"message": message, "saveToSentItems": False})

    async def service_issues(self, service: str) -> list[ServiceIssue]:
        """The service's unresolved service health issues, as announced to the tenant (``service`` as Graph
        names it, e.g. "Microsoft Teams"). Permission: ServiceHealth.Read.All (application)."""
        operation = f"reading the service health issues of {service}"
        literal = service.replace("'", "''")  # an OData string literal doubles its quotes
        query = urlencode({"$filter": f"service eq '{literal}' and isResolved eq false",
                           "$select": ",".join(_ISSUE_FIELDS)}, quote_via=quote, safe="$,'")
        link: object = f"/admin/serviceAnnouncement/issues?{query}"
        issues: list[ServiceIssue] = []
        for _ in range(_ISSUE_PAGES):
            page = await self.get(operation, str(link))
            if not isinstance(page.get("value"), list):
                raise GraphError(operation, "Graph's answer holds no list of issues")
            issues += [issue for item in page["value"] if (issue := _service_issue(item)) is not None]
            link = page.get("@odata.nextLink")
            if not isinstance(link, str) or not link:
                return issues
        raise GraphError(operation, f"more than {_ISSUE_PAGES} pages of unresolved issues; refusing to read on")

    async def get(self, operation: str, path_or_link: str) -> dict[str, Any]:
        """GET a path under the Graph address, or a link Graph gave (nextLink, deltaLink) under it too."""
        if path_or_link.startswith(("https://", "http://")):
            if not path_or_link.startswith(self._base_url + "/"):
                raise GraphError(operation, "Graph gave a link outside its own address; refusing to follow it")
            path_or_link = path_or_link[len(self._base_url):]
        return await self._call(operation, path_or_link, None)

    async def _call(self, operation: str, path: str, body: dict[str, Any] | None, *,
                    tolerate: tuple[int, ...] = ()) -> dict[str, Any]:
        # The span is named by the method only: operations and paths carry ids and addresses.
        with traced("graph " + ("GET" if body is None else "POST")):
            return await self._request(operation, path, body, tolerate)

    async def _request(self, operation: str, path: str, body: dict[str, Any] | None,
                       tolerate: tuple[int, ...]) -> dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))
        retries, refreshed = 0, False
        method = "GET" if body is None else "POST"
        while True:
            token = await self._tokens.token()
            try:
                async with self._session.request(method, f"{self._base_url}{path}", json=body,
                                                 headers={"Authorization": f"Bearer {token}"}) as response:
                    status, retry_after = response.status, response.headers.get("Retry-After")
                    payload = _json_object(await response.text())
            except (aiohttp.ClientError, TimeoutError) as error:
                status, retry_after = 0, None
                payload = {"error": {"code": type(error).__name__, "message": "Graph could not be reached"}}
            if 200 <= status < 300 or status in tolerate:
                return payload
            if status == 401 and not refreshed:
                refreshed = True
                await self._tokens.forget(token)
                continue
            if (status in (0, 429) or status >= 500) and retries < self._max_retries:
                retries += 1
                delay = self._delay(status, retry_after, retries)
                log.warning("Graph answered %s while %s; retry %d in %.1f s", status or "nothing", operation,
                            retries, delay)
                await self._sleep(delay)
                continue
            raise _failure(operation, status, payload, retries)

    def _delay(self, status: int, retry_after: str | None, attempt: int) -> float:
        if status in (429, 503) and retry_after:
            try:
                return min(max(float(retry_after), 0.0), self._max_wait)
            except ValueError:
                pass  # an HTTP date; Graph sends seconds, so back off as for any other failure
        return float(min(self._backoff * 2 ** (attempt - 1), self._max_wait))


def _segment(value: str) -> str:
    return quote(value, safe=":@")  # channel and chat ids look like 19:abc@thread.v2


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text.strip() else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _service_issue(item: Any) -> ServiceIssue | None:
    """One serviceHealthIssue; an entry without an id, service or status is left out (nothing to act on)."""
    if not isinstance(item, dict):
        return None
    text = {name: item.get(name) if isinstance(item.get(name), str) else "" for name in _ISSUE_FIELDS}
    if not (text["id"] and text["service"] and text["status"]):
        return None
    return ServiceIssue(id=str(text["id"])[:50], title=str(text["title"])[:300], service=str(text["service"]),
                        status=str(text["status"]), classification=str(text["classification"] or "incident"),
                        resolved=item.get("isResolved") is True, impact=str(text["impactDescription"])[:1000])


def _id_of(operation: str, payload: dict[str, Any]) -> str:
    if not isinstance(payload.get("id"), str) or not payload["id"]:
        raise GraphError(operation, "Graph's answer holds no id")
    return str(payload["id"])


def _failure(operation: str, status: int, payload: dict[str, Any], retries: int) -> GraphError:
    error = payload.get("error")
    error = error if isinstance(error, dict) else {}
    code, message = str(error.get("code") or ""), str(error.get("message") or "")[:300]
    reason = " ".join(filter(None, [f"HTTP {status}" if status else "no answer", code]))
    reason += (f": {message}" if message else "") + (f" (after {retries} retries)" if retries else "")
    return GraphError(operation, reason, status=status, code=code)
