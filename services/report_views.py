"""The incident report as JSON (a stable, versioned contract) and as Markdown (for people).

JSON contract ``devopsbot.report/1`` (fields are only ever added; a breaking change bumps the version):

    {
      "schema": "devopsbot.report/1",
      "period": {"since": "<ISO 8601 UTC>", "until": "<ISO 8601 UTC, excluded>"},
      "generated_at": "<ISO 8601 UTC>",
      "incidents": {"total": int, "by_severity": {name: int}, "by_type": {key: int},
                    "by_service": {name: int}, "by_status": {status: int}},
      "time_to_acknowledge": {"count": int, "mean_seconds": float|null, "median_seconds": float|null},
      "time_to_mitigate":    (same shape),
      "time_to_resolve":     (same shape),
      "postmortems": {"completed": int, "owed": int, "rate": float|null},
      "follow_ups": {"done": int, "total": int, "rate": float|null,
                     "overdue": [{"incident_id": str, "number": int, "title": str, "owner": str,
                                  "due_at": "<ISO 8601 UTC>", "link": str}]},
      "weeks": [{"week": "2026-W40", "starts": "2026-09-28", "declared": int, "resolved": int,
                 "median_time_to_resolve_seconds": float|null}]
    }

Counts are ordered most frequent first, then by name; a service counts once per incident it is
named in, so ``by_service`` may add up to more than ``total``. Rates are 0..1, null when there is
nothing to complete. Follow-ups are those of the incidents declared in the period.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.markdown import markdown_escape
from services.metrics import Durations, Rate, Report

SCHEMA = "devopsbot.report/1"


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _seconds(span: timedelta | None) -> float | None:
    return round(span.total_seconds(), 1) if span is not None else None


def _durations(durations: Durations) -> dict[str, Any]:
    return {"count": durations.count, "mean_seconds": _seconds(durations.mean),
            "median_seconds": _seconds(durations.median)}


def _ratio(rate: Rate) -> float | None:
    return round(rate.ratio, 4) if rate.ratio is not None else None


def report_json(report: Report) -> dict[str, Any]:
    follow_ups = {
        "done": report.follow_ups.done, "total": report.follow_ups.total, "rate": _ratio(report.follow_ups),
        "overdue": [{"incident_id": f.incident_id, "number": f.number, "title": f.title, "owner": f.owner.name,
                     "due_at": _instant(f.due_at), "link": f.link} for f in report.overdue_follow_ups],
    }
    return {
        "schema": SCHEMA,
        "period": {"since": _instant(report.since), "until": _instant(report.until)},
        "generated_at": _instant(report.now),
        "incidents": {"total": report.total, "by_severity": report.by_severity, "by_type": report.by_type,
                      "by_service": report.by_service, "by_status": report.by_status},
        "time_to_acknowledge": _durations(report.acknowledge),
        "time_to_mitigate": _durations(report.mitigate),
        "time_to_resolve": _durations(report.resolve),
        "postmortems": {"completed": report.postmortems.done, "owed": report.postmortems.total,
                        "rate": _ratio(report.postmortems)},
        "follow_ups": follow_ups,
        "weeks": [{"week": w.label, "starts": w.starts.isoformat(), "declared": w.declared,
                   "resolved": w.resolved, "median_time_to_resolve_seconds": _seconds(w.median_time_to_resolve)}
                  for w in report.weeks],
    }


def human_duration(span: timedelta | None) -> str:
    """``2 d 4 h``, ``1 h 05 min``, ``3 min 20 s``, ``45 s``; an em dash when there is nothing to show."""
    if span is None:
        return "—"
    seconds = round(span.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


def percent(rate: Rate) -> str:
    if rate.ratio is None:
        return "— (none owed)"
    return f"{rate.ratio:.0%} ({rate.done} of {rate.total})"


def _cell(text: str) -> str:
    """Names come from the organisation file, but a pipe or a newline would still break a table row, and
    markdown in a name must not become a link or emphasis where the report is shown."""
    return markdown_escape(text.replace("\r", " ").replace("\n", " "))


def _count_table(title: str, counts: dict[str, int]) -> list[str]:
    lines = [f"### {title}", ""]
    if not counts:
        return [*lines, "None.", ""]
    lines += [f"| {title.split()[-1]} | incidents |", "|---|---:|"]
    lines += [f"| {_cell(name)} | {count} |" for name, count in counts.items()]
    return [*lines, ""]


def report_markdown(report: Report) -> str:
    since, until, now = (t.astimezone(UTC) for t in (report.since, report.until, report.now))
    period = f"{since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC (end excluded)"
    lines = [f"# Incident report, {period}", "", f"Generated {now:%Y-%m-%d %H:%M} UTC.", "",
             f"**{report.total}** incident{'s' if report.total != 1 else ''} declared.", ""]
    lines += _count_table("By severity", report.by_severity)
    lines += _count_table("By type", report.by_type)
    lines += _count_table("By service", report.by_service)
    lines += _count_table("By status", report.by_status)
    lines += ["## Response times", "", "| measure | incidents | mean | median |", "|---|---:|---:|---:|"]
    for name, durations in (("time to acknowledge", report.acknowledge), ("time to mitigate", report.mitigate),
                            ("time to resolve", report.resolve)):
        lines.append(f"| {name} | {durations.count} | {human_duration(durations.mean)} | "
                     f"{human_duration(durations.median)} |")
    lines += ["", "## Learning", "", f"- Postmortems completed: {percent(report.postmortems)}",
              f"- Follow-ups done: {percent(report.follow_ups)}"]
    if report.overdue_follow_ups:
        lines += ["", "### Past-due follow-ups", "", "| incident | follow-up | owner | due |", "|---|---|---|---|"]
        lines += [f"| {f.incident_id} | #{f.number} {_cell(f.title)} | {_cell(f.owner.name)} | {f.due_at:%Y-%m-%d} |"
                  for f in report.overdue_follow_ups]
    lines += ["", "## Weekly trend", "", "| week | starts | declared | resolved | median time to resolve |",
              "|---|---|---:|---:|---:|"]
    lines += [f"| {w.label} | {w.starts:%Y-%m-%d} | {w.declared} | {w.resolved} | "
              f"{human_duration(w.median_time_to_resolve)} |" for w in report.weeks]
    return "\n".join(lines) + "\n"
