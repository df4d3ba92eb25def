"""Hostile input, generated (hypothesis): every card action, command text and HTTP body the app accepts.

Whatever arrives, the app answers without a 5xx and without a traceback, and the stored state stays whole:
every incident's timeline is numbered without gaps and counted, and no request is left claimed half-done.
The examples are derived from a fixed seed (``derandomize``) and kept few, so the suite stays fast and a
failure reproduces anywhere.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from yarl import URL

from bot.declaration import DeclarationForm
from bot.submissions import _Payload
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.local.host import discover
from function_app import app
from tests.functions.conftest import SERVICE, teams_invoke, teams_message
from tests.support.connector import ConnectorDouble, running_connector
from tests.support.storm import INCIDENT_ID, declaration_form, post_activity, served_app

pytestmark = pytest.mark.asyncio(loop_scope="module")
FEW = settings(max_examples=100, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

INJECTIONS = [
    "{{ 7*7 }}", "{% for x in range(9) %}{{ x }}{% endfor %}", "{{ config.items() }}",
    "INC-2026-0001' or PartitionKey ne '", "' or '1' eq '1", "PartitionKey eq 'x'",
    '"}], "actions": [{"type": "Action.OpenUrl", "url": "https://evil.example"}], "x": [{"',
    "[click me](https://evil.example)", "# heading\n- item\n1. one", "<at>Everyone</at>", "<script>alert(1)</script>",
    "\u0000\u0001\u202e", "\U0001f600" * 50, "\ud800 lone surrogate", "x" * 5000, "", " ", "null", "None", "-1",
    "99999999999999999999",
]
TEXT = st.one_of(st.sampled_from(INJECTIONS), st.text(max_size=300))
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3),
    max_leaves=8)


def _payload_models() -> list[type[BaseModel]]:
    import bot.turn_handler  # noqa: F401 - loads every module whose card actions have payload models

    found: list[type[BaseModel]] = [DeclarationForm]
    pending = list(_Payload.__subclasses__())
    while pending:
        model = pending.pop()
        found.append(model)
        pending += model.__subclasses__()
    return found


FIELDS = sorted({name for model in _payload_models() for name in model.model_fields})


class App:
    """The app on the in-memory stores, served over HTTP; one incident declared to aim at."""

    def __init__(self, container: Container, connector: ConnectorDouble, url: str,
                 session: aiohttp.ClientSession, incident_id: str) -> None:
        self.container, self.connector, self.url, self.session = container, connector, url, session
        self.incident_id = incident_id

    async def send(self, activity: dict[str, Any]) -> tuple[int, str]:
        async with self.session.post(f"{self.url}/api/messages", json=activity) as response:
            return response.status, await response.text()

    async def assert_whole(self) -> None:
        """Nothing half-written: timelines complete and counted, no request claimed and left unfinished."""
        await self.container.bus.drain()
        deps = self.container.dependencies
        for incident in await deps.incidents.list_open():
            timeline = await deps.incidents.timeline(incident.id)
            assert [e.sequence for e in timeline] == list(range(1, len(timeline) + 1)), incident.id
            assert incident.event_count == len(timeline), incident.id
        unfinished = [key for key, record in vars(deps.idempotency)["_records"].items() if not record.done]
        assert unfinished == [], "requests claimed and never finished or released"


def assert_no_traceback(status: int, body: str) -> None:
    assert status < 500, body[:500]
    assert "Traceback" not in body and 'File "/' not in body, body[:500]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def target(policy: Any) -> AsyncIterator[App]:
    from adapters.clock import SystemClock
    from devopsbot.settings import Settings

    container = Container(Settings(storage_connection_string="memory"), clock=SystemClock(), in_memory=True,
                          policy=policy)
    bootstrap.reset_container(container)
    try:
        async with running_connector() as connector, served_app() as url, aiohttp.ClientSession() as session:
            SERVICE["url"] = connector.url
            _, answer = await post_activity(session, url, teams_invoke("declare.submit", declaration_form(1)))
            [incident_id] = set(INCIDENT_ID.findall(json.dumps(answer)))
            yield App(container, connector, url, session, incident_id)
    finally:
        SERVICE["url"] = "http://127.0.0.1:9/_connector"
        bootstrap.reset_container(None)
        await container.aclose()


@FEW
@given(draw=st.data(),
       data=st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=12)),
                            st.one_of(JUNK, st.sampled_from(["INC-2026-0001", "inc-2026-0001"])), max_size=8),
       aim=st.booleans(), as_submit=st.booleans())
async def test_any_card_action_is_answered_without_a_server_error_or_a_partial_write(
        target: App, draw: st.DataObject, data: dict[str, Any], aim: bool, as_submit: bool) -> None:
    known = sorted(target.container.bot.bot.verbs)  # every verb the bot routes, its modules' included
    verb = draw.draw(st.one_of(st.sampled_from(known), st.text(max_size=40)), label="verb")
    if aim:
        data = {**data, "incident_id": target.incident_id}
    if as_submit:  # older clients send the Action.Submit fallback: a message whose value carries the verb
        activity = teams_message("", expect_replies=True)
        activity["value"] = {**data, "verb": verb}
    else:
        activity = teams_invoke(verb, data)
    status, body = await target.send(activity)
    assert_no_traceback(status, body)
    assert status == 200
    await target.assert_whole()


COMMAND_WORDS = ["help", "declare", "status", "list", "ack", "update", "assign", "severity", "resolve", "reopen", ""]


@FEW
@given(word=st.sampled_from(COMMAND_WORDS), rest=TEXT, aim=st.booleans())
async def test_any_command_text_is_answered_without_a_server_error_or_a_partial_write(
        target: App, word: str, rest: str, aim: bool) -> None:
    text = f"{word} {target.incident_id + ' ' if aim else ''}{rest}"
    status, body = await target.send(teams_message(text))
    assert_no_traceback(status, body)
    assert status == 200 and json.loads(body)["activities"], "every message gets an answer"
    await target.assert_whole()


def _http_routes() -> list[tuple[str, str]]:
    http, _ = discover(app, {})
    return sorted((method, function.route) for function in http for method in function.methods)


ROUTES = _http_routes()
BODIES = st.one_of(st.binary(max_size=600), JUNK.map(lambda v: json.dumps(v).encode()),
                   st.sampled_from([b"\xff\xfe\x00", b"{" * 400, b'{"type": "message"}', b"\xc3\x28",
                                    json.dumps({"type": "invoke", "value": None}).encode()]))


def _quoted(value: str) -> str:
    """URL-quoted; a lone surrogate becomes bytes that are not UTF-8, as a hostile client may send."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _fill(route: str, values: list[str]) -> str:
    """The route with each ``{param}`` replaced by a hostile value, URL-quoted."""
    parts, index = [], 0
    for segment in route.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            segment = _quoted(values[index % len(values)] or "x")
            index += 1
        parts.append(segment)
    return "/".join(parts)


@FEW
@given(route=st.sampled_from(ROUTES), body=BODIES, params=st.lists(TEXT, min_size=1, max_size=3),
       query=st.dictionaries(st.sampled_from(["format", "token", "since", "until", "id", "t", "week"]), TEXT,
                             max_size=3))
async def test_every_http_function_answers_any_body_without_a_server_error(
        target: App, route: tuple[str, str], body: bytes, params: list[str], query: dict[str, str]) -> None:
    method, path = route
    query_string = "&".join(f"{_quoted(k)}={_quoted(v)}" for k, v in query.items())
    url = URL(f"{target.url}{_fill(path, params)}" + (f"?{query_string}" if query_string else ""), encoded=True)
    async with target.session.request(method, url, data=body,
                                      headers={"Content-Type": "application/json"}) as response:
        text = await response.text(errors="replace")
        assert_no_traceback(response.status, text)
    await target.assert_whole()
