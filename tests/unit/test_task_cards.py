"""Tasks on cards and in what people type: the incident card's list stays under 28 KB and renders without a
warning in the reference renderer, the resolve form asks per open task, and due times are read linearly."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.locale import Translator
from bot.views import incident_card, resolve_card
from incident import tasks
from incident.errors import IllegalTransition, InvalidValue
from incident.lifecycle import Status
from incident.model import Incident, Person
from incident.policy import OrganisationPolicy
from tests.support.card_check import card_problems
from tests.unit.test_cards import HOSTILE, NOW, hostile_incident

PARIS = ZoneInfo("Europe/Paris")


def busy_incident(policy: OrganisationPolicy) -> Incident:
    """The most tasks an incident may have, each as long as allowed, with long hostile owners."""
    incident = hostile_incident(policy)
    for n in range(tasks.MAX_TASKS):
        owner = Person(id=f"29:{'o' * 150}{n}", name=(HOSTILE * 5)[:200])
        tasks.add_task(incident, text=(HOSTILE * 10)[:tasks.MAX_TASK_TEXT], owner=owner, actor=owner, at=NOW,
                       due_at=NOW + timedelta(minutes=n + 1))
    return incident


def test_the_busiest_task_list_stays_under_28_kb_with_and_n_more(policy: OrganisationPolicy) -> None:
    for language in ("en", "fr"):
        card = incident_card(busy_incident(policy), policy, Translator(language), NOW + timedelta(hours=1), [],
                             manage=True)
        assert len(json.dumps(card).encode()) < 28_000
        more = {"en": "and ", "fr": "et "}[language]
        assert any(str(item.get("text", "")).startswith(more) for item in card["body"])


def test_cards_with_tasks_pass_the_reference_renderer(policy: OrganisationPolicy) -> None:
    """The incident card with its busiest task list and the resolve form asking about each task: no warning from
    the adaptivecards library, as for every card."""
    cards = {}
    for name, incident in (("tasks", busy_incident(policy)), ("none", hostile_incident(policy))):
        for lang in ("en", "fr"):
            cards[f"incident {lang} {name}"] = incident_card(incident, policy, Translator(lang), NOW, [], manage=True)
            cards[f"resolve {lang} {name}"] = resolve_card(incident, policy, Translator(lang))
    assert card_problems(cards) == {name: [] for name in cards}


def test_the_resolve_form_asks_about_each_open_task(policy: OrganisationPolicy) -> None:
    incident = busy_incident(policy)
    ids = [str(item.get("id")) for item in resolve_card(incident, policy, Translator("en"))["body"]]
    assert "task_1" in ids and "task_1_reason" in ids and f"task_{tasks.MAX_TASKS}" in ids


@pytest.mark.parametrize(("typed", "due"), [
    ("Roll back by 12:30", datetime(2026, 11, 27, 11, 30, tzinfo=UTC)),  # 12:30 in Paris, later today
    ("Roll back by 9:15", datetime(2026, 11, 28, 8, 15, tzinfo=UTC)),  # already past today: tomorrow
    ("Roll back avant 12h30", datetime(2026, 11, 27, 11, 30, tzinfo=UTC)),
    ("Roll back in 30m", NOW + timedelta(minutes=30)),
    ("Roll back dans 2h", NOW + timedelta(hours=2)),
    ("Roll back 2026-12-01T10:30", datetime(2026, 12, 1, 9, 30, tzinfo=UTC)),  # no zone: the organisation's
    ("Roll back 2026-12-01T10:30Z", datetime(2026, 12, 1, 10, 30, tzinfo=UTC)),
])
def test_a_due_time_is_read_from_the_end_of_the_task(typed: str, due: datetime) -> None:
    assert tasks.split_due(typed, NOW, PARIS) == ("Roll back", due)


def test_text_without_a_time_keeps_every_word() -> None:
    assert tasks.split_due("Check what came in by email", NOW, PARIS) == ("Check what came in by email", None)


def test_a_long_text_is_refused_before_it_is_read() -> None:
    started = time.perf_counter()
    with pytest.raises(InvalidValue, match="characters long"):
        tasks.split_due("by " * 200_000, NOW, PARIS)
    assert time.perf_counter() - started < 0.5


def test_tasks_are_refused_once_the_incident_is_closed(policy: OrganisationPolicy) -> None:
    incident = hostile_incident(policy)
    incident.status = Status.CLOSED
    with pytest.raises(IllegalTransition, match="closed"):
        tasks.add_task(incident, text="Too late", owner=incident.declared_by, actor=incident.declared_by, at=NOW)
