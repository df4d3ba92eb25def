"""Drive the Microsoft 365 Agents Playground (a local Teams client) headlessly from tests.

The Playground (npm ``@microsoft/m365agentsplayground``, checked with 0.2.28) is a Node process that
plays Teams: a mock user posts through its HTTP API, it forwards Bot Framework activities (no JWT) to
the bot endpoint, and it hosts a mock Bot Connector at ``<base>/_connector`` where the bot's replies
land. What the bot sent comes back to clients on a websocket. :class:`Playground` starts it on a free
loopback port, talks to that API with aiohttp and records everything the websocket says::

    async with Playground(ROOT, "http://127.0.0.1:3978/api/messages", tmp_path, CONFIG_YAML) as pg:
        mark = pg.mark()
        posted = await pg.send_message("team-devops", "help")          # a new thread in General
        reply = await pg.wait_for_message(conversation_id=posted["postConversationId"], since=mark)
        answer = await pg.invoke_action(thread_id(reply), reply["message"]["messageId"], "ack")

The bot must run with authentication off (empty app id): the Playground sends no Authorization header.

Config file (written as ``<workdir>/.m365agentsplayground.yml``). The schema (0.1.1) is strict:
``version``, ``tenantId``, ``bot``, ``currentUser``, exactly 5 ``users``, ``personalChat``,
``groupChat`` and ``team`` are all required, no extra keys are allowed, user objects need all of
``id, name, userPrincipleName`` (sic) ``, aadObjectId, givenName, surname, email``, and
``team.channels`` takes AT MOST ONE channel. A team always has a General channel whose id is the team
id, so a team can have two channels only: "General" + one more. A third channel ("broadcast" next to
"General" and "incidents") is rejected at start-up ("must NOT have more than 1 items")::

    version: "0.1.1"
    tenantId: 00000000-0000-0000-0000-000000000001
    bot: {id: "28:devopsbot", name: DevOps Bot}
    currentUser: {id: user-oncall, name: Olivia Oncall, userPrincipleName: olivia@contoso.example,
                  aadObjectId: 00000000-0000-0000-0000-000000000100, givenName: Olivia,
                  surname: Oncall, email: olivia@contoso.example}
    users:          # exactly five, same keys as currentUser; all are in the group chat and the team
      - {id: user-1, name: ..., userPrincipleName: ..., aadObjectId: ..., givenName: ..., surname: ..., email: ...}
      ...
    personalChat: {id: personal-chat}
    groupChat: {id: group-chat, name: Ops Group}
    team:
      id: team-devops             # also the id of its "General" channel
      name: DevOps
      aadGroupId: 00000000-0000-0000-0000-000000000031
      channels:
        - {id: channel-incidents, name: incidents}

Conversation ids (what to pass as ``conversation_id``):

* channel: the channel id (General = team id). Each post there starts a thread; the response carries
  ``postConversationId`` = ``<channel id>;messageid=<messageId>``, which is the conversation id the bot
  sees and replies to. Posting to a ``...;messageid=...`` id replies inside that thread.
* group chat: ``groupChat.id``; personal chat: ``personalChat.id``.
* In channels and the group chat the bot is only called when the message mentions the bot id
  (``mention_bot=True``); in the personal chat every message reaches it.

Websocket events (``/_ws_conversation/v1/conversations/stream``, kept in :attr:`Playground.events`;
the server buffers them until a client connects, and only bot output is sent, never the user's posts)::

    {"action": "createMessage", "actionConversationId": "team-devops;messageid=1795794055541",
     "message": {"messageId": "1795794055560", "timestamp": 1795794055560, "from": {"id": "28:devopsbot"},
                 "text": "...", "textFormat": "markdown", "attachments": [{"contentType": "...", "content": {}}],
                 "attachmentLayout": "list", "mentions": [],
                 "directLineConversationId": <conversation.id of the bot's activity>}}
    {"action": "updateMessage", "actionConversationId": <same rule>, "message": {<same shape, same messageId>}}
    {"action": "typing", "actionConversationId": "..."}          # (from the source; not observed)

* A reply goes to the conversation it was sent to (a thread, a chat).
* A bot message that STARTS a channel thread (POST /v3/conversations with isGroup and
  channelData.channel.id; by the source also a send to a bare channel id) has ``actionConversationId``
  = the channel id and ``message.postConversationId`` = the new thread id; the create call answers
  {"id": <thread id>, "activityId": <messageId>}. :func:`thread_id` picks the right conversation.
* update_activity (PUT /v3/conversations/{id}/activities/{activityId}) -> ``updateMessage`` with the
  same ``messageId`` and the same actionConversationId rule (by the source the bare channel id is
  accepted as well as the thread id).
* POST /v3/conversations without isGroup (a 1:1 chat with the current user) makes no event and
  returns the personal chat id; sends there then appear as usual. By the source, a 1:1 chat with
  another user is created but its messages never reach the websocket.
* One activity carrying text AND attachments is split into separate messages (text first, then one per
  attachment), unless ``attachmentLayout`` is "carousel"; the connector then answers 202 with no id,
  so such an activity cannot be updated later. Send a card alone to keep its id.
* An Adaptive Card invoke answer is returned by :meth:`Playground.invoke_action` as ``{"type",
  "value"}``; the Playground stores the new card on the message but sends no websocket event for it.

``deliveryMode``: the Playground leaves it out of activities unless started with ``--delivery-mode
expectReplies`` (or ``M365_AGENTS_PLAYGROUND_DELIVERY_MODE``); then the bot must answer the POST with
``{"activities": [...]}`` and those are shown as if sent to the connector. The default needs nothing.

Pitfalls handled here: the Playground listens on every interface (a ``--require`` preload pins it to
127.0.0.1); it silently moves to a random port when the asked one is taken (its stdout line
"Listening on <port>" is checked, with a retry on a new port); ``--dt`` alone does not stop Application
Insights when the config is invalid (the SDK is disabled through its own environment config too);
``POST .../messages`` answers 400 "Invalid input" without ``textFormat``; GET /_internal/v1/config
first waits up to 15 s for the bot endpoint, so readiness is probed with GET /_debug/ping (the bot may
start later); inherited ``M365_AGENTS_PLAYGROUND_*``/``TEAMSAPPTESTER_*`` variables are dropped so only
the arguments given here count. Invoke and submit need ``replyToId`` = a messageId that exists in
that conversation (else 400 ActivityNotFoundInConversation); ``from`` must be a member (else 400
UserNotFound); an unknown conversation id answers 404 ConversationNotFound.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from devopsbot.local.playground import playground_argv, playground_env, write_workdir
from tests.support.processes import free_port

Event = dict[str, Any]

LOG_FILE = Path("devTools") / "m365agentsplayground.log"  # relative to the working directory

_LISTENING = re.compile(rb"Listening on (\d+)")
_HTTP_TIMEOUT = aiohttp.ClientTimeout(total=30)  # an invoke waits for the bot's answer


class PlaygroundError(RuntimeError):
    """The Playground failed to start, answered an error, or did not show the expected output."""


def thread_id(event: Event) -> str:
    """The conversation a websocket event's message lives in: where to reply, invoke or submit on it."""
    message = event.get("message") or {}
    return str(message.get("postConversationId") or event["actionConversationId"])


class Playground:
    """One Playground process against one bot endpoint. Use ``async with`` or ``start()``/``stop()``,
    all from one event loop (its HTTP session, websocket readers and events belong to that loop)."""

    def __init__(self, repo_root: Path | str, bot_endpoint: str, workdir: Path | str, config_yaml: str, *,
                 delivery_mode: str | None = None, startup_timeout: float = 60.0) -> None:
        self.binary = Path(repo_root) / "node_modules" / ".bin" / "agentsplayground"
        self.bot_endpoint = bot_endpoint
        self.workdir = Path(workdir)
        self.config_yaml = config_yaml
        self.delivery_mode = delivery_mode
        self.startup_timeout = startup_timeout
        self.port = 0
        self.events: list[Event] = []  # every conversation websocket message, in arrival order
        self.logs: list[dict[str, Any]] = []  # the Playground's log panel (/_ws/log/stream), e.g. bot errors
        self.mock: dict[str, Any] = {}  # the loaded mock data ("config" of GET /_internal/v1/testConfig)
        self._process: subprocess.Popen[bytes] | None = None
        self._stdout: Any = None  # the Playground's stdout+stderr file, shared by start attempts
        self._stdout_start = 0  # where the current attempt's output begins in it
        self._session: aiohttp.ClientSession | None = None
        self._readers: list[asyncio.Task[None]] = []
        self._stream_closed = False
        self._new_event = asyncio.Event()

    # -- lifecycle -------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def service_url(self) -> str:
        """The mock Bot Connector the bot replies to (sent to the bot as activity.serviceUrl)."""
        return f"{self.base_url}/_connector"

    @property
    def log_path(self) -> Path:
        return self.workdir / LOG_FILE

    @property
    def bot(self) -> dict[str, Any]:
        return dict(self.mock["bot"])

    @property
    def current_user(self) -> dict[str, Any]:
        return dict(self.mock["currentUser"])

    async def __aenter__(self) -> Playground:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    async def start(self) -> Playground:
        """Write the config, start the process, wait until it answers and attach the websocket readers."""
        if not self.binary.exists():
            raise PlaygroundError(f"{self.binary} is missing: run 'npm ci' in the repository root")
        preload = write_workdir(self.workdir, self.config_yaml)
        # No overall deadline on the session: requests take _HTTP_TIMEOUT, the websockets live until stop().
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_connect=10))
        try:
            for _attempt in range(3):
                self._spawn(free_port(), preload)
                if await self._wait_until_ready():
                    break
                self._kill()  # another process took the port first; the Playground moved elsewhere
            else:
                raise PlaygroundError(f"could not get a free port for the Playground:\n{self.log_tail()}")
            self.mock = (await self._request("GET", "/_internal/v1/testConfig"))["config"]
            await self._attach("/_ws_conversation/v1/conversations/stream", self.events)
            await self._attach("/_ws/log/stream", self.logs)
        except BaseException:
            await self.stop()
            raise
        return self

    def _spawn(self, port: int, preload: Path) -> None:
        self.port = port
        env = playground_env(os.environ, preload)
        argv = playground_argv(self.binary, self.bot_endpoint, port, self.delivery_mode)
        if self._stdout is None:
            self._stdout = open(self.workdir / "playground.stdout.log", "ab")  # noqa: SIM115 - closed in stop()
        self._stdout_start = os.fstat(self._stdout.fileno()).st_size
        self._process = subprocess.Popen(argv, cwd=self.workdir, env=env, stdin=subprocess.DEVNULL,
                                         stdout=self._stdout, stderr=subprocess.STDOUT, start_new_session=True)
        atexit.register(self._kill)

    async def _wait_until_ready(self) -> bool:
        """True once our port answers /_debug/ping (mounted only after the config file loaded); False if
        the Playground fell back to another port. (/_internal/v1/config is no probe: see config().)"""
        assert self._process is not None and self._session is not None
        deadline = time.monotonic() + self.startup_timeout
        listening: int | None = None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise PlaygroundError(f"the Playground exited with {self._process.returncode}:\n{self.log_tail()}")
            if listening is None:
                listening = self._listening_port()
                if listening is not None and listening != self.port:
                    return False
            if listening is not None:
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with self._session.get(f"{self.base_url}/_debug/ping",
                                                 timeout=aiohttp.ClientTimeout(total=2)) as response:
                        if response.status == 200:
                            return True
            await asyncio.sleep(0.1)
        raise PlaygroundError(f"the Playground did not answer within {self.startup_timeout} s:\n{self.log_tail()}")

    def _listening_port(self) -> int | None:
        """The port from this attempt's "Listening on <port>" stdout line (printed when stdout is no TTY)."""
        self._stdout.flush()
        with open(self._stdout.name, "rb") as out:
            out.seek(self._stdout_start)
            found = _LISTENING.search(out.read())
        return int(found.group(1)) if found else None

    async def _attach(self, path: str, sink: list[Any]) -> None:
        assert self._session is not None
        ws = await self._session.ws_connect(f"ws://127.0.0.1:{self.port}{path}")
        self._readers.append(asyncio.create_task(self._read(ws, sink), name=f"playground{path}"))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse, sink: list[Any]) -> None:
        try:
            async for frame in ws:
                if frame.type == aiohttp.WSMsgType.TEXT:
                    data = json.loads(frame.data)
                    if sink is self.logs:
                        self.logs.append(data.get("log", data))
                    else:
                        self.events.append(data)
                        self._notify()
        finally:
            await ws.close()
            if sink is self.events:
                self._stream_closed = True
                self._notify()

    def _notify(self) -> None:
        self._new_event.set()
        self._new_event = asyncio.Event()

    async def stop(self) -> None:
        """Stop readers, the HTTP session and the whole process group. Safe to call more than once."""
        for task in self._readers:
            task.cancel()
        for task in self._readers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._readers.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None
        process = self._process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(process.wait, 10)
        self._kill()
        if self._stdout is not None:
            self._stdout.close()
            self._stdout = None

    def _kill(self) -> None:
        """SIGKILL the process group (also what atexit runs if stop() was never reached)."""
        process, self._process = self._process, None
        atexit.unregister(self._kill)
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the group: node and anything it started
        process.wait()

    def log_tail(self, lines: int = 40) -> str:
        """The end of the Playground's stdout and of its log file, for error messages."""
        parts = []
        if self._stdout is not None:
            self._stdout.flush()
        for path in (self.workdir / "playground.stdout.log", self.log_path):
            if path.exists():
                text = "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
                parts.append(f"--- {path}\n{text}")
        return "\n".join(parts)

    # -- the mock user's side ------------------------------------------------------------------------

    async def config(self) -> dict[str, Any]:
        """GET /_internal/v1/config: {"config": {tenantId, bot, currentUser, users, personalChat, groupChats,
        teams: [{id, name, aadGroupId, channels: [{id, name, channelType}], members}]}, "internalConfig":
        {locale, localTimezone, channelId, debugConfig}}. Like the browser UI, this first waits (up to 15 s)
        for the bot endpoint to accept connections; the same data without that wait is :attr:`mock`."""
        return await self._request("GET", "/_internal/v1/config")  # type: ignore[no-any-return]

    async def send_message(self, conversation_id: str, text: str, *, mention_bot: bool = True,
                           from_user_id: str | None = None) -> dict[str, Any]:
        """Post as a user. Returns {"messageId", "timestamp"} plus "postConversationId" (the new thread)
        when posted to a bare channel id. The bot is called in the personal chat, or when mentioned."""
        body: dict[str, Any] = {"from": {"id": from_user_id or self.current_user["id"]}, "textFormat": "plain"}
        if mention_bot:
            tag = f"<at>{self.bot['name']}</at>"
            body["text"] = f"{tag} {text}"
            body["mentions"] = [{"mentioned": {"id": self.bot["id"], "name": self.bot["name"]}, "text": tag}]
        else:
            body["text"] = text
        path = f"/_conversation/v1/conversations/{quote(conversation_id, safe='')}/messages"
        return await self._request("POST", path, body)  # type: ignore[no-any-return]

    async def invoke_action(self, conversation_id: str, reply_to_id: str, verb: str,
                            data: dict[str, Any] | None = None, *, from_user_id: str | None = None) -> dict[str, Any]:
        """Press an Action.Execute button on the bot's message ``reply_to_id`` (a messageId) in
        ``conversation_id`` (see :func:`thread_id`). Returns the bot's invoke answer as {"type", "value"},
        e.g. {"type": "application/vnd.microsoft.card.adaptive", "value": <card>}."""
        body = {"name": "adaptiveCard/action",
                "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data or {}}},
                "from": {"id": from_user_id or self.current_user["id"]},
                "conversation": {"id": conversation_id}, "replyToId": reply_to_id}
        return await self._request("POST", "/_conversation/v1/invoke", body)  # type: ignore[no-any-return]

    async def submit(self, conversation_id: str, reply_to_id: str, value: dict[str, Any], *,
                     from_user_id: str | None = None) -> None:
        """Press an Action.Submit button: the bot receives a message activity with ``value`` and replyToId."""
        body = {"conversation": {"id": conversation_id}, "replyToId": reply_to_id, "value": value,
                "from": {"id": from_user_id or self.current_user["id"]}}
        await self._request("POST", "/_conversation/v1/submit", body)

    async def _request(self, method: str, path: str, body: Any = None) -> Any:
        if self._session is None:
            raise PlaygroundError("the Playground is not started")
        url = URL(f"{self.base_url}{path}", encoded=True)
        async with self._session.request(method, url, json=body, timeout=_HTTP_TIMEOUT) as response:
            text = await response.text()
            if response.status >= 300:
                raise PlaygroundError(f"{method} {path} -> {response.status}: {text}")
            return json.loads(text) if text else None

    # -- what the bot sent -----------------------------------------------------------------------------

    def mark(self) -> int:
        """A position in :attr:`events`; pass it as ``since`` to only match what arrives afterwards."""
        return len(self.events)

    async def wait_for_event(self, predicate: Callable[[Event], bool],
                             timeout: float = 10.0, *, since: int = 0) -> Event:  # noqa: ASYNC109 - per-call deadline
        """The first event from index ``since`` on that matches, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        index = since
        while True:
            arrived = self._new_event  # taken before scanning, so nothing appended meanwhile is missed
            while index < len(self.events):  # resumes where the previous scan stopped
                if predicate(self.events[index]):
                    return self.events[index]
                index += 1
            remaining = deadline - time.monotonic()
            if self._stream_closed or remaining <= 0:
                why = "the websocket closed" if self._stream_closed else f"nothing matched within {timeout} s"
                raise PlaygroundError(f"{why}; events since {since}:\n{self.describe(since)}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), remaining)

    async def wait_for_message(self, predicate: Callable[[Event], bool] | None = None,
                               timeout: float = 10.0, *,  # noqa: ASYNC109 - per-call deadline
                               conversation_id: str | None = None, action: str = "createMessage",
                               since: int = 0) -> Event:
        """The first ``action`` event (createMessage or updateMessage) in ``conversation_id`` (matched
        against both actionConversationId and message.postConversationId) that satisfies ``predicate``."""

        def matches(event: Event) -> bool:
            if event.get("action") != action:
                return False
            if conversation_id is not None and conversation_id not in (
                    event.get("actionConversationId"), (event.get("message") or {}).get("postConversationId")):
                return False
            return predicate is None or predicate(event)

        return await self.wait_for_event(matches, timeout, since=since)

    def describe(self, since: int = 0) -> str:
        """A short listing of the events from ``since`` and the Playground's recent warnings."""
        lines = []
        for event in self.events[since:]:
            message = event.get("message") or {}
            kinds = [a.get("contentType") for a in message.get("attachments") or []]
            lines.append(f"  {event.get('action')} {event.get('actionConversationId')} "
                         f"id={message.get('messageId')} text={str(message.get('text'))[:80]!r} attachments={kinds}")
        warnings = [log.get("displayText") for log in self.logs if log.get("level") in ("warning", "error")]
        lines += [f"  log: {text}" for text in warnings[-10:]]
        return "\n".join(lines) or "  (none)"
