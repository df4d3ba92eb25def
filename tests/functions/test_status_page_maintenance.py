"""Scheduled maintenance on the status page, through Teams activities and the CLI: who may schedule it, the
sentences bad input gets (in English and French), and the page flipping by itself at the window's start and
end when the timer ticks (time travel with the injected clock)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from adapters.clock import FixedClock
from adapters.memory_status_files import MemoryStatusFiles
from devopsbot.bootstrap import Container
from devopsbot.cli.main import main
from incident.people import Person
from incident.roster_commands import SetRole
from services.maintenance import MAINTENANCE_EDGE
from services.timers import run_tick
from tests.functions.test_teams_conversation import BOB, say

ADD = "maintenance add 2026-11-28T22:00Z 2026-11-28T23:30Z checkout,payments Database upgrade"
DESCRIBED = ADD + " | Checkout may be slow for a few minutes."


async def page(container: Container) -> tuple[MemoryStatusFiles, dict[str, Any]]:
    await container.bus.drain()
    files = container.status_page.files
    assert isinstance(files, MemoryStatusFiles)
    return files, json.loads(files.files["status.json"]) if "status.json" in files.files else {}


def states(data: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in data["components"]}


async def test_an_admin_schedules_lists_and_cancels_maintenance_in_teams(admin_installed: Container) -> None:
    reply = await say(DESCRIBED)
    assert reply["text"].startswith("Maintenance MNT-") and "Database upgrade, from 2026-11-28 22:00 to " \
        "2026-11-28 23:30 UTC (Checkout, Payments)" in reply["text"]
    files, data = await page(admin_installed)
    [window] = data["scheduled_maintenance"]
    assert window == {"id": window["id"], "title": "Database upgrade",
                      "description": "Checkout may be slow for a few minutes.", "status": "scheduled",
                      "components": ["Checkout", "Payments"], "starts_at": "2026-11-28T22:00:00Z",
                      "ends_at": "2026-11-28T23:30:00Z"}
    assert states(data)["checkout"] == "operational"  # not under maintenance before it starts
    assert "Scheduled maintenance" in files.files["index.html"].decode()
    listing = (await say("maintenance list"))["text"]
    assert f"**{window['id']}** · scheduled · 2026-11-28 22:00 → 2026-11-28 23:30" in listing
    cancelled = await say(f"maintenance cancel {window['id'].lower()}")
    assert cancelled["text"] == f"Maintenance {window['id']} (Database upgrade) cancelled. The status page is " \
                                "being published."
    files, data = await page(admin_installed)
    assert data["scheduled_maintenance"] == [] and data["maintenance_history"] == []
    assert "Database upgrade" not in files.files["index.html"].decode()
    assert (await say("maintenance list"))["text"] == "No maintenance is scheduled or in progress."


async def test_a_responder_may_not_schedule_or_cancel_maintenance(admin_installed: Container) -> None:
    reply = await say(ADD, user=BOB)
    assert reply["text"] == ("Sorry, only incident admins or the communications lead on the roster for checkout, "
                             "payments may schedule or cancel maintenance.")
    files, _ = await page(admin_installed)
    assert files.files == {} and await admin_installed.status_page.maintenance.all() == []
    await say(ADD)
    [window] = await admin_installed.status_page.maintenance.all()
    refused = await say(f"maintenance cancel {window.id}", user=BOB)
    assert refused["text"].startswith("Sorry, only incident admins")
    assert (await admin_installed.status_page.maintenance.get(window.id)) == window


async def test_the_communications_lead_on_the_roster_may_schedule_maintenance(admin_installed: Container) -> None:
    await admin_installed.bus.handle(SetRole("*", "communications_lead", (Person(id=BOB[0], name=BOB[1]),),
                                             Person(id="cli:op", name="op"), enforce_roles=False))
    reply = await say(ADD, user=BOB)
    assert reply["text"].startswith("Maintenance MNT-")


@pytest.mark.parametrize(("command", "said"), [
    ("maintenance add 2026-11-28T23:00Z 2026-11-28T22:00Z checkout Upgrade",
     "The maintenance must end after it starts: 2026-11-28 22:00 is not after 2026-11-28 23:00."),
    ("maintenance add 2026-11-28T22:00Z 2026-11-28T23:00Z checkout,chekout Upgrade",
     "Unknown component 'chekout' (known: checkout, payments, search, identity, mobile-api, data-platform)."),
    ("maintenance add 2026-11-26T22:00Z 2026-11-26T23:00Z checkout Upgrade",
     "The maintenance window is already over: it ended at 2026-11-26 23:00 and it is 2026-11-27 10:00 now "
     "(times in UTC)."),
    (f"maintenance add 2026-11-28T22:00Z 2026-11-28T23:00Z checkout {'x' * 201}",
     "The title is 201 characters long; the limit is 200."),
    (f"maintenance add 2026-11-28T22:00Z 2026-11-28T23:00Z checkout Upgrade | {'y' * 1001}",
     "The description is 1001 characters long; the limit is 1000."),
    (f"maintenance add 2026-11-28T22:00Z 2026-11-28T23:00Z checkout {'z' * 1500}",
     "The command is 1545 characters long; the limit is 1500."),
    ("maintenance add tomorrow 2026-11-28T23:00Z checkout Upgrade",
     "'tomorrow' is not a time like 2026-12-05T22:00Z (UTC) or 2026-12-05T23:00+01:00."),
    ("maintenance add 2026-11-28T22:00Z 2026-12-20T23:00Z checkout Upgrade",
     "The maintenance lasts 529 hours; a window lasts at most 14 days."),
    ("maintenance cancel MNT-NOPE42", "There is no maintenance window MNT-NOPE42."),
])
async def test_bad_input_is_refused_in_a_sentence_and_nothing_is_scheduled(
        admin_installed: Container, command: str, said: str) -> None:
    assert (await say(command))["text"] == said
    assert await admin_installed.status_page.maintenance.all() == []


async def test_the_refusals_are_said_in_french_and_a_zone_is_honoured(admin_installed: Container) -> None:
    reply = await say("maintenance add 2026-11-28T23:00+01:00 2026-11-28T21:00Z checkout Upgrade", locale="fr-FR")
    assert reply["text"] == ("La maintenance doit finir après son début : 2026-11-28 21:00 n'est pas après "
                             "2026-11-28 22:00.")
    reply = await say("maintenance add 2026-11-28T23:00+01:00 2026-11-28T23:00Z checkout Mise à niveau",
                      locale="fr-FR")
    assert "du 2026-11-28 22:00 au 2026-11-28 23:00 UTC" in reply["text"]


async def test_the_timer_flips_the_page_when_the_window_starts_and_ends(admin_installed: Container) -> None:
    clock = admin_installed.clock
    assert isinstance(clock, FixedClock)
    await say(DESCRIBED)
    files, data = await page(admin_installed)
    assert data["status"]["indicator"] == "operational"
    due = await admin_installed.dependencies.due_work.due(clock.now() + timedelta(days=3))
    assert [(d.kind, d.due_at.isoformat()) for d in due] == [
        (MAINTENANCE_EDGE, "2026-11-28T22:00:00+00:00"), (MAINTENANCE_EDGE, "2026-11-28T23:30:00+00:00")]

    clock.at = due[0].due_at  # the window starts: nobody acts but the timer
    report = await run_tick(admin_installed.bus, clock.now())
    assert report.kinds == {MAINTENANCE_EDGE: 1}
    files, data = await page(admin_installed)
    assert [w["status"] for w in data["scheduled_maintenance"]] == ["in_progress"]
    assert states(data)["checkout"] == "under_maintenance" and states(data)["search"] == "operational"
    assert data["status"] == {"indicator": "under_maintenance", "description": "Maintenance in progress"}
    assert "Under maintenance" in files.files["index.html"].decode()

    clock.at = due[1].due_at + timedelta(seconds=30)  # it ends: into the history
    await run_tick(admin_installed.bus, clock.now())
    files, data = await page(admin_installed)
    assert data["scheduled_maintenance"] == []
    assert [(w["title"], w["status"]) for w in data["maintenance_history"]] == [("Database upgrade", "completed")]
    assert states(data)["checkout"] == "operational"
    assert "Maintenance completed: Database upgrade" in files.files["index.html"].decode()


async def test_cancelling_a_window_in_progress_ends_it_now(admin_installed: Container) -> None:
    clock = admin_installed.clock
    assert isinstance(clock, FixedClock)
    await say(ADD)
    [window] = await admin_installed.status_page.maintenance.all()
    clock.at = window.starts_at + timedelta(minutes=10)
    await say(f"maintenance cancel {window.id}")
    _, data = await page(admin_installed)
    assert [(w["status"], w["ends_at"]) for w in data["maintenance_history"]] == [("completed", "2026-11-28T22:10:00Z")]
    assert (await say(f"maintenance cancel {window.id}"))["text"] == f"Maintenance {window.id} was already cancelled."


def test_the_cli_adds_lists_and_cancels_maintenance(admin_installed: Container,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "maintenance", "add", "2026-11-28T22:00Z", "2026-11-28T23:30Z", "checkout",
                 "Database upgrade", "--description", "Slow checkout"]) == 0
    out = capsys.readouterr().out
    assert "scheduled: Database upgrade, from 2026-11-28 22:00 to 2026-11-28 23:30 UTC (checkout)." in out
    window_id = out.split()[1]
    files = admin_installed.status_page.files
    assert isinstance(files, MemoryStatusFiles) and b"Slow checkout" in files.files["status.json"]
    assert main(["status", "maintenance", "list"]) == 0
    assert f"{window_id}  scheduled    2026-11-28 22:00 → 2026-11-28 23:30  checkout  Database upgrade" in \
        capsys.readouterr().out
    assert main(["status", "--as", "Bob Durand <29:bob>", "maintenance", "cancel", window_id]) == 4
    assert "Only incident admins or the communications lead" in capsys.readouterr().err
    assert main(["status", "maintenance", "cancel", window_id]) == 0
    assert main(["status", "maintenance", "list"]) == 0
    assert "No maintenance is scheduled or in progress." in capsys.readouterr().out
    assert main(["status", "maintenance", "add", "2026-11-28T22:00Z", "2026-11-28T21:00Z", "checkout", "X"]) == 4
    assert "must end after it starts" in capsys.readouterr().err
