"""The weekly leadership digest's content: last week's figures, the weekly trend, and the past-due
follow-ups grouped by owner. Plain data; the card, the email and the chart are rendered at the edge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from incident.people import Person
from services.bus import Dependencies
from services.metrics import FollowUpFacts, Report
from services.report_views import human_duration, percent
from services.reporting import build_report, past_due_follow_ups, recent_weeks

DIGEST_PERIOD = timedelta(days=7)


FIGURE_LABELS_FR = {
    "Incidents declared": "Incidents déclarés", "By severity": "Par gravité", "By type": "Par type",
    "Time to acknowledge (mean / median)": "Délai de prise en charge (moyenne / médiane)",
    "Time to mitigate (mean / median)": "Délai d'atténuation (moyenne / médiane)",
    "Time to resolve (mean / median)": "Délai de résolution (moyenne / médiane)",
    "Postmortems completed": "Postmortems terminés", "Follow-ups done": "Actions de suivi faites",
    "Follow-ups past due (all incidents)": "Actions de suivi en retard (tous incidents)",
}


def _french_value(label: str, value: str) -> str:
    """The few English words of a figure's value ("none", "of", days as "d") in French; names are left as named."""
    if value in ("none", "— (none owed)"):
        return {"none": "aucun", "— (none owed)": "— (aucun dû)"}[value]
    if label.startswith("By "):
        return value
    return value.replace(" of ", " sur ").replace(" d ", " j ")


@dataclass(frozen=True)
class OwnerFollowUps:
    owner: Person
    follow_ups: tuple[FollowUpFacts, ...]


@dataclass(frozen=True)
class Digest:
    now: datetime
    week: Report  # incidents declared in the last seven days
    trend: Report  # the recent weeks, for the chart
    past_due: tuple[OwnerFollowUps, ...]  # most late follow-ups first

    @property
    def figures(self) -> list[tuple[str, str]]:
        """(label, value) of last week's figures, as the card and the email show them."""
        return self.figures_in("en")

    def figures_in(self, language: str) -> list[tuple[str, str]]:
        """``figures`` in ``language`` ("fr" or English)."""
        if language != "fr":
            return self._figures()
        return [(FIGURE_LABELS_FR.get(label, label), _french_value(label, value)) for label, value in self._figures()]

    def _figures(self) -> list[tuple[str, str]]:
        w = self.week
        return [
            ("Incidents declared", str(w.total)),
            ("By severity", ", ".join(f"{k}: {v}" for k, v in w.by_severity.items()) or "none"),
            ("By type", ", ".join(f"{k}: {v}" for k, v in w.by_type.items()) or "none"),
            ("Time to acknowledge (mean / median)", f"{human_duration(w.acknowledge.mean)} / "
                                                    f"{human_duration(w.acknowledge.median)}"),
            ("Time to mitigate (mean / median)", f"{human_duration(w.mitigate.mean)} / "
                                                 f"{human_duration(w.mitigate.median)}"),
            ("Time to resolve (mean / median)", f"{human_duration(w.resolve.mean)} / "
                                                f"{human_duration(w.resolve.median)}"),
            ("Postmortems completed", percent(w.postmortems)),
            ("Follow-ups done", percent(w.follow_ups)),
            ("Follow-ups past due (all incidents)", str(sum(len(o.follow_ups) for o in self.past_due))),
        ]

    def days_late(self, follow_up: FollowUpFacts) -> int:
        return max(0, (self.now - follow_up.due_at).days)


def by_owner(late: tuple[FollowUpFacts, ...]) -> tuple[OwnerFollowUps, ...]:
    """Grouped by owner; the owner with the oldest past-due follow-up first."""
    groups: dict[str, list[FollowUpFacts]] = {}
    owners: dict[str, Person] = {}
    for follow_up in late:  # already oldest due first
        groups.setdefault(follow_up.owner.id, []).append(follow_up)
        owners.setdefault(follow_up.owner.id, follow_up.owner)
    return tuple(OwnerFollowUps(owners[key], tuple(items)) for key, items in groups.items())


async def build_digest(deps: Dependencies) -> Digest:
    now = deps.clock.now()
    week = await build_report(deps, now - DIGEST_PERIOD, now)
    since, until = recent_weeks(now)
    trend = await build_report(deps, since, until, with_timelines=False)
    return Digest(now=now, week=week, trend=trend, past_due=by_owner(await past_due_follow_ups(deps)))
