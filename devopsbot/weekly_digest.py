"""Sends the weekly leadership digest: a card in the leadership channel and an email with the chart inline.

Composed here (it needs the chart renderer, the card and Teams); the content comes from ``services.digest``.
A week's digest is sent once even when the timer fires twice (an idempotency key per ISO week).
"""

from __future__ import annotations

import asyncio
import base64
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from incident.errors import DevopsbotError, NotificationFailed
from services.once import once
from services.ports import Attachment, ChannelPoster

if TYPE_CHECKING:
    from devopsbot.bootstrap import Container

log = logging.getLogger(__name__)
CHART_CID = "weekly-chart"
LEASE = timedelta(minutes=30)


@dataclass(frozen=True)
class DigestOutcome:
    sent: bool  # False: this week's digest was already sent (or is being sent)
    channel: str = ""
    posted: bool = False
    mailed_to: tuple[str, ...] = ()


def leadership_channel(container: Container) -> str:
    return container.organisation.teams.leadership_channel or container.teams_setup.default_broadcast


def _teams_poster(container: Container) -> ChannelPoster | None:
    from bot.channel_poster import TeamsChannelPoster
    from bot.notifier import TeamsNotifier

    notifier = container.teams_notifier
    if not isinstance(notifier, TeamsNotifier):
        return None
    return TeamsChannelPoster(notifier, container.dependencies.conversations)


async def send_weekly_digest(container: Container, *, poster: ChannelPoster | None = None) -> DigestOutcome:
    from adapters.weekly_chart import WEEKLY_CHART_SIZE, render_weekly_chart, weekly_chart_description
    from bot.digest_card import digest_card
    from services.digest import build_digest

    deps = container.dependencies
    now = deps.clock.now()
    year, week, _ = now.isocalendar()
    key = f"digest:{year}-W{week:02d}"
    # Nothing (or not everything) went out: released, so a rerun may send it.
    async with once(deps.idempotency, key, now, LEASE, release_on=(DevopsbotError, OSError)) as claim:
        if not claim.owned:
            return DigestOutcome(sent=False)
        channel = leadership_channel(container)
        digest = await build_digest(deps)
        chart = await asyncio.to_thread(render_weekly_chart, digest.trend.weeks)  # matplotlib blocks a while
        description = weekly_chart_description(digest.trend.weeks)
        language = deps.policy.language
        dashboard_url = f"{deps.public_url.rstrip('/')}/api/dashboard"
        card = digest_card(digest, dashboard_url=dashboard_url, chart_description=description,
                           chart_url="data:image/png;base64," + base64.b64encode(chart).decode())
        posted = False
        poster = poster or _teams_poster(container)
        if poster is None:
            log.warning("weekly digest: Teams is not available here; the digest goes by email only")
        else:
            try:
                await poster.post_card(channel, card)
                posted = True
            except NotificationFailed as error:  # email still goes: leadership hears it one way
                log.error("weekly digest: could not post to the '%s' channel: %s", channel, error)
        recipients = deps.policy.escalation.leadership_emails
        if deps.mailer is not None and recipients:
            width, height = WEEKLY_CHART_SIZE
            subject = (f"Bilan hebdomadaire des incidents, semaine du {now:%Y-%m-%d}" if language == "fr"
                       else f"Weekly incident digest, week of {now:%Y-%m-%d}")
            await deps.mailer.send_template(
                recipients, subject, "weekly_digest",
                {"now": now, "figures": digest.figures_in(language), "past_due": digest.past_due,
                 "days_late": digest.days_late, "chart_cid": CHART_CID, "language": language,
                 "chart_description": weekly_chart_description(digest.trend.weeks, language), "chart_width": width,
                 "chart_height": height, "dashboard_url": dashboard_url},
                attachments=(Attachment("incidents-per-week.png", "image/png", chart, CHART_CID),))
        elif not posted:
            raise NotificationFailed("the weekly digest reached nobody: no Teams channel and no leadership email "
                                     "(set [escalation] leadership_audience)")
        claim.result = "sent"
    return DigestOutcome(sent=True, channel=channel, posted=posted,
                         mailed_to=recipients if deps.mailer is not None else ())
