"""A local Bot Connector double: answers what the bot asks Teams (members, channels) and records
what it sends (messages, updates, new threads), so protocol tests need no Teams and no network."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.processes import serving


@dataclass
class Sent:
    kind: str  # "message", "update", "thread" or "personal" (a one-on-one chat made, its activity empty)
    conversation_id: str
    activity_id: str
    activity: dict[str, Any]


# Teams refuses a message over about 28 KB (text, cards and entities together).
MAX_ACTIVITY_BYTES = 28 * 1024


def refusal(activity: dict[str, Any]) -> str | None:
    """Why Teams (and the Agents Playground) would refuse this activity with 400 BadArgument, or None."""
    if activity.get("type") not in ("message", None) and activity.get("type") != "typing":
        return f"Unknown activity type {activity.get('type')!r}"
    text = activity.get("text") or ""
    for entity in activity.get("entities") or []:
        if entity.get("type") != "mention":
            continue
        mentioned = entity.get("mentioned") or {}
        if not mentioned.get("id"):
            return "Mention entity has no mentioned id"
        # Each mention's text must appear in the message text, as Teams checks it.
        if not entity.get("text") or entity["text"] not in text:
            return "Mention entity does not match text"
    if len(json.dumps(activity, ensure_ascii=False).encode()) > MAX_ACTIVITY_BYTES:
        return "Message size too big"
    return None


def bad_argument(message: str) -> web.Response:
    return web.json_response({"error": {"code": "BadArgument", "message": message}}, status=400)


@dataclass
class ConnectorDouble:
    members: list[dict[str, Any]] = field(default_factory=lambda: [
        {"id": "29:alice", "name": "Alice Martin", "email": "alice@contoso.example", "aadObjectId": "aad-alice"},
        {"id": "29:bob", "name": "Bob Durand", "email": "bob@contoso.example", "aadObjectId": "aad-bob"},
        {"id": "29:chloe", "name": "Chloe Nguyen", "email": "chloe@contoso.example", "aadObjectId": "aad-chloe"}])
    channels: list[dict[str, Any]] = field(default_factory=lambda: [
        {"id": "team-id", "name": None}, {"id": "channel-broadcast", "name": "broadcast"}])
    sent: list[Sent] = field(default_factory=list)
    teams_looked_up: list[str] = field(default_factory=list)  # whose channels the bot asked for
    url: str = ""
    delay: float = 0.0  # seconds every answer takes, to stand in for Teams' own latency
    failures: list[int] = field(default_factory=list)  # statuses to answer the next sends with, in order
    retry_after: str = "0"
    hanging: bool = False  # while set, every answer waits (a Teams that stopped answering) until release()
    requests: int = 0  # every request the bot made, answered or not
    connections: set[tuple[str, int]] = field(default_factory=set)  # the bot's ends of the TCP connections used
    # Group chats (ids 19:...@thread.v2) the bot was installed in, when given (the Graph double's record):
    # Teams refuses a bot's messages to a chat it is not in, as it does.
    bot_installed_in: Callable[[str], bool] | None = None
    unreachable_users: set[str] = field(default_factory=set)  # Teams ids no personal chat can be made with
    refused: list[tuple[str, str]] = field(default_factory=list)  # (conversation, reason) of every 400 it gave
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._slow])
        app.router.add_get("/v3/conversations/{conversation}/members", self._members)
        app.router.add_get("/v3/conversations/{conversation}/pagedmembers", self._paged_members)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        app.router.add_get("/v3/teams/{team}/conversations", self._channels)
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._post)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._post)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._put)
        return app

    @web.middleware
    async def _slow(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests += 1
        if request.transport is not None:
            self.connections.add(tuple(request.transport.get_extra_info("peername"))[:2])
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.hanging:
            await self._released.wait()
        if self.failures and request.method in ("POST", "PUT"):
            status = self.failures.pop(0)
            return web.json_response({"error": {"code": "Throttled" if status == 429 else "ServiceError"}},
                                     status=status, headers={"Retry-After": self.retry_after})
        response: web.StreamResponse = await handler(request)
        return response

    def hang(self) -> None:
        self.hanging = True
        self._released.clear()

    def release(self) -> None:
        """Teams answers again: held requests get their answers (their callers may have given up)."""
        self.hanging = False
        self._released.set()

    def messages(self, kind: str = "message") -> list[Sent]:
        return [s for s in self.sent if s.kind == kind]

    async def _members(self, request: web.Request) -> web.Response:
        return web.json_response(self.members)

    async def _member(self, request: web.Request) -> web.Response:
        wanted = request.match_info["member"]
        for member in self.members:
            if wanted in (member["id"], member.get("aadObjectId")):
                return web.json_response(member)
        return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)

    async def _paged_members(self, request: web.Request) -> web.Response:
        return web.json_response({"members": self.members})

    async def _channels(self, request: web.Request) -> web.Response:
        self.teams_looked_up.append(request.match_info["team"])
        return web.json_response({"conversations": self.channels})

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not body.get("isGroup"):  # a one-on-one chat with one user: Teams answers its id, every time the same
            members = body.get("members") or []
            tenant = ((body.get("channelData") or {}).get("tenant") or {}).get("id")  # Teams needs the tenant
            if len(members) != 1 or not members[0].get("id") or not tenant:
                return web.json_response({"error": {"code": "BadArgument", "message": "Invalid members"}}, status=400)
            if members[0]["id"] in self.unreachable_users:
                return web.json_response({"error": {"code": "Forbidden", "message": "User blocked the bot"}},
                                         status=403)
            conversation = f"a:personal-{members[0]['id']}"
            self.sent.append(Sent("personal", conversation, "", {}))
            return web.json_response({"id": conversation})
        channel = (body.get("channelData") or {}).get("channel", {}).get("id", "chat")
        if (problem := refusal(body.get("activity") or {})) is not None:
            self.refused.append((channel, problem))
            return bad_argument(problem)
        activity_id = str(next(self._ids))
        thread = f"{channel};messageid={activity_id}"
        self.sent.append(Sent("thread", thread, activity_id, body.get("activity") or {}))
        return web.json_response({"id": thread, "activityId": activity_id})

    async def _post(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        if (self.bot_installed_in is not None and conversation.endswith("@thread.v2")
                and not self.bot_installed_in(conversation)):
            return web.json_response({"error": {"code": "BotNotInConversationRoster",
                                                "message": "The bot is not part of the conversation roster."}},
                                     status=403)
        body = await request.json()
        if (problem := refusal(body)) is not None:
            self.refused.append((conversation, problem))
            return bad_argument(problem)
        activity_id = str(next(self._ids))
        self.sent.append(Sent("message", conversation, activity_id, body))
        return web.json_response({"id": activity_id})

    async def _put(self, request: web.Request) -> web.Response:
        body = await request.json()
        if (problem := refusal(body)) is not None:
            self.refused.append((request.match_info["conversation"], problem))
            return bad_argument(problem)
        self.sent.append(Sent("update", request.match_info["conversation"], request.match_info["activity"], body))
        return web.json_response({"id": request.match_info["activity"]})


@asynccontextmanager
async def running_connector() -> AsyncIterator[ConnectorDouble]:
    double = ConnectorDouble()
    async with serving(double.app()) as url:
        double.url = f"{url}/"
        yield double
