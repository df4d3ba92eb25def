"""Every parser of text a user or a mailbox sends returns in linear time: 100 kB of the shapes that make
backtracking patterns slow (and, through hypothesis, shapes built from repeated fragments) take each parser
less than 100 ms of CPU time. The known attacks are replayed through the public surface too: a playbook
submitted in Teams, a mail file ingested.

Timing is CPU time of this process (``time.process_time``), the best of a few runs, so other work on the
machine does not make a linear parser look slow; a quadratic one takes seconds on these sizes, not 0.1 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.inbound_sources import body_text, parse_eml
from bot.commands import mentions_of, parse_command, without_mention_tags, without_recipient_mention
from bot.declaration import DeclarationForm
from bot.playbook_commands import message_markdown
from bot.submissions import PayloadError, UpdateAction, parse_payload
from bot.timeline_capture import captured_message
from bot.views import mention_text
from devopsbot.bootstrap import Container
from devopsbot.cli.roster import person as cli_person
from devopsbot.organisation import load_organisation
from incident.errors import InvalidValue
from incident.instants import parse_instant
from incident.notes import plain_text
from incident.people import Person
from incident.playbook import PlaybookPolicy, verify
from incident.policy import OrganisationPolicy
from services.html_text import html_to_text
from services.inbound_mail import InboundMessage, Outcome, ingest, new_text, understand
from services.markdown import markdown_escape
from services.roster_csv import COLUMNS, RosterFileError, parse
from tests.conftest import ROOT
from tests.functions.conftest import teams_message, teams_message_payload
from tests.functions.test_teams_playbooks import answer, reviewed

__all__ = ["reviewed"]  # a fixture, used by name

SIZE = 100_000
BUDGET = 0.1  # seconds of CPU time per parse
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
# Large enough that the whole 100 kB is verified, not refused for its size before it is read.
ROOMY = PlaybookPolicy(max_bytes=4 * SIZE)


def _fill(head: str, repeated: str, tail: str = "") -> str:
    return head + repeated * ((SIZE - len(head) - len(tail)) // len(repeated)) + tail


# The shapes that made the old patterns slow, and their kin: runs of each character a pattern repeats,
# openings that never close, nesting, and lines that almost match a rule.
SHAPES = {
    "heading with spaces": _fill("# x", " ", "y"),
    "heading with tabs": _fill("## a", "\t", "b#"),
    "scripts never closed": _fill("", "<script>"),
    "styles never closed": _fill("", "<style "),
    "tags never closed": _fill("", "<"),
    "break tags never closed": _fill("", "<br"),
    "nested tags": _fill("", "<div>", "") + "</div>" * 10,
    "newlines": _fill("", "\n"),
    "crlf": _fill("", "\r\n"),
    "spaces": _fill("", " "),
    "tabs": _fill("", "\t"),
    "quotes": _fill("", '"'),
    "single quotes": _fill("", "'"),
    "backslashes": _fill("", "\\"),
    "mentions never closed": _fill("", "<at>"),
    "one long mention": _fill("<at>", "a", "</at>"),
    "mentions across lines": _fill("", "<at>\n", "</at>"),
    "brackets never closed": _fill("", "["),
    "empty link with spaces": _fill("[a](", " ", "x"),
    "link texts": _fill("", "[a]", "("),
    "owner with colons": _fill("Owner", ":", " x"),
    "owner with spaces": _fill("Owner: a", " ", "b"),
    "last tested with stars": _fill("Last tested:", "*", "x"),
    "non-word runs": _fill("", "*-_ :"),
    "numbered lines": _fill("", "1"),
    "dotted domain": _fill("a@", ".", "@"),
    "quote markers": _fill("", "-"),
    "underscores": _fill("", "_"),
    "reply headers": _fill("On ", "x wrote:", " y"),
    "subject prefixes": _fill("", "re: "),
    "declare with spaces": _fill("DECLARE SEV1: a", " ", "b"),
    "entities": _fill("", "&#"),
    "parentheses": _fill("", "(") + ")" * 10,
    "angle-bracket person": _fill("a", " ", "b <id>") + "x",
}


def _csv(cell: str) -> str:
    """A roster file with ``cell`` in each free-text column of one row (quoted: it may hold anything)."""
    quoted = '"' + cell.replace('"', '""') + '"'
    return ",".join(COLUMNS) + "\n" + ",".join(["checkout", "commander", "primary", quoted, quoted, quoted,
                                                "", "", "", "", "", quoted]) + "\n"


def _eml(text: str, *, headers: bool = True) -> bytes:
    """A mail file with ``text`` in its HTML body and (``headers``) its sender's name and its subject."""
    folded = text.replace("\r", " ").replace("\n", " ") if headers else "Mallory"
    return (f"From: {folded} <mallory@evil.example>\r\nSubject: {folded}\r\nMessage-ID: <m1@evil.example>\r\n"
            f"Content-Type: text/html; charset=utf-8\r\n\r\n{text}").encode()


def _payload(text: str) -> None:
    try:
        parse_payload(UpdateAction, {"incident_id": text, "text": text})
    except PayloadError:
        pass
    try:
        DeclarationForm.model_validate({"form_id": text, "title": text, "services": text, "severity": text})
    except ValueError:
        pass


def _refused_or_read(parser: Callable[[str], object]) -> Callable[[str], object]:
    """A parser that may refuse its input: a clear refusal is a fine answer, as fast as any other."""
    def run(text: str) -> object:
        try:
            return parser(text)
        except (InvalidValue, ValueError) as error:
            return error
    return run


def _mention_entity(text: str) -> list[Any]:
    return [SimpleNamespace(type="mention", additional_properties={"text": text, "mentioned": {
        "id": "28:devopsbot", "name": text}}), SimpleNamespace(type="mention", additional_properties={
            "text": text, "mentioned": {"id": "29:bob", "name": text}})]


POLICY: OrganisationPolicy = load_organisation(ROOT / "config" / "organisation.toml")
PARSERS: dict[str, Callable[[str], object]] = {
    "command": parse_command,
    "bot mention removed": lambda text: without_recipient_mention(text, _mention_entity(text), "28:devopsbot"),
    "bot mention removed (short)": lambda text: without_recipient_mention(
        text, _mention_entity("<at>" + text[:200] + "</at>"), "28:devopsbot"),
    "mentions found": lambda text: mentions_of(_mention_entity(text), "28:devopsbot"),
    "mention tags": without_mention_tags,
    "mention written": lambda text: (mention_text(Person("29:x", text)), mention_text(Person("29:x", text), card=True)),
    "card fields": _payload,
    "teams message html": message_markdown,
    "playbook markdown": lambda text: verify(text, NOW, ROOMY),
    "playbook markdown (usual limit)": lambda text: verify(text, NOW, PlaybookPolicy()),
    "mail html": html_to_text,
    "mail body": lambda text: body_text(text, True),
    "mail reply text": new_text,
    "mail subject": lambda text: understand(InboundMessage("<m1@x>", "a@x.example", text, text, text),
                                            "INC", ("SEV1", "SEV2"), ("outage", "security")),
    "mail file": _refused_or_read(lambda text: parse_eml(_eml(text))),
    "mail file (short headers)": lambda text: parse_eml(_eml(text, headers=False)),
    "roster csv": _refused_or_read(lambda text: parse(_csv(text), POLICY)),
    "instant": _refused_or_read(lambda text: parse_instant(text, "time")),
    "cli person": _refused_or_read(cli_person),
    "markdown escaping": markdown_escape,
    "captured teams message": lambda text: captured_message(
        {"messagePayload": teams_message_payload(text, author=("aad-x", text))}, NOW),
    "note text": plain_text,
}


def cpu_seconds(parser: Callable[[str], object], text: str, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        parser(text)
        best = min(best, time.process_time() - started)
        if best < BUDGET:
            break
    return best


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("parser", PARSERS)
def test_each_parser_reads_100_kb_of_each_hostile_shape_within_100_ms(parser: str, shape: str) -> None:
    text = SHAPES[shape]
    assert len(text) > 0.9 * SIZE
    assert cpu_seconds(PARSERS[parser], text) < BUDGET, f"{parser} on {shape}"


# Runs of white space (the usual culprit) drawn half the time, any other fragment otherwise.
FRAGMENTS = st.sampled_from([" ", "\t", "\n", "\r\n", "\u00a0"]) | st.sampled_from([
    " ", "\t", "\n", "\r\n", "#", "# x", "<", ">", "<script>", "</script>", "<style>", "<br", "<at>", "</at>", "[",
    "]", "(", ")", "](", "<>", "\\", '"', "'", "*", "_", ":", "-", "=", "@", ".", "&#", "1", "1.", "a", "Owner",
    "Last tested", "On ", " wrote:", "re:", "DECLARE", "SEV1", "\u00a0", "\u2028", "é",
])
# Up to 100 kB: a few fragments, each repeated up to 100,000 times (long runs drawn often: they are what a
# backtracking pattern chokes on, and hypothesis alone favours small numbers).
REPEATS = st.one_of(st.sampled_from([1_000, 10_000, 25_000, 50_000, 100_000]), st.integers(1, 25_000))
SHAPE_TEXT = st.lists(st.tuples(st.lists(FRAGMENTS, min_size=1, max_size=3).map("".join), REPEATS),
                      min_size=1, max_size=4).map(
    lambda parts: "".join(fragment * count for fragment, count in parts)[:SIZE])


@pytest.mark.parametrize("parser", PARSERS)
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=SHAPE_TEXT)
def test_each_parser_reads_generated_shapes_up_to_100_kb_within_100_ms(parser: str, text: str) -> None:
    assert cpu_seconds(PARSERS[parser], text) < BUDGET, f"{parser} on {text[:60]!r}… ({len(text)} characters)"


def test_a_mail_file_with_a_header_longer_than_mail_has_is_refused_saying_which() -> None:
    with pytest.raises(ValueError, match="its From header is 100"):
        parse_eml(_eml(SHAPES["parentheses"]))


def test_a_refused_roster_file_and_instant_say_why() -> None:
    with pytest.raises(RosterFileError):
        parse(_csv(SHAPES["dotted domain"]), POLICY)
    with pytest.raises(InvalidValue, match="characters long"):
        parse_instant("2026-12-01" + " " * SIZE, "time")


async def test_a_playbook_submitted_in_teams_with_the_cubic_heading_shape_is_answered_at_once(
        reviewed: Container) -> None:
    """The reported attack: `playbook submit` with '# x', spaces and 'y' once blocked /api/messages for
    seconds per 1,500 spaces; 50 kB (under the playbook size limit, so all of it is read) now costs little."""
    message = teams_message("")
    message["text"] = "<at>devopsbot</at> playbook submit checkout\n# x" + " " * 50_000 + "y"
    started = time.process_time()
    reply = await answer(message)
    assert time.process_time() - started < 1.0  # the whole turn, Bot Framework included
    assert reply["text"].startswith("Playbook checkout was not submitted: missing sections")


async def test_a_mail_file_of_unclosed_script_tags_is_read_and_refused_at_once(memory_container: Container) -> None:
    """The reported attack: '<script>' * 16,000 in a body kept the tag stripper busy for 13 s, before any
    check of who sent it."""
    data = _eml("<script>" * 12_500, headers=False).replace(b"Subject: Mallory", b"Subject: DECLARE SEV1: x", 1)
    started = time.process_time()
    message = parse_eml(data)
    handled = await ingest(memory_container.bus, message, _nobody)
    assert time.process_time() - started < 0.5
    # A stranger is not answered (no backscatter); the reason is kept for the operator.
    assert handled.outcome is Outcome.UNANSWERED and "not a known responder" in handled.reply
    assert message.text == "" and message.sender == "mallory@evil.example"  # tags without text


async def _nobody(address: str) -> Person | None:
    return None
