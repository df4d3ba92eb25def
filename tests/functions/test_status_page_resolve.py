"""Closing the loop: resolving a published incident offers a final public update (the organisation file's
default text), posted on the status page with the resolution; an unpublished incident is not asked."""

from __future__ import annotations

import json

from devopsbot.bootstrap import Container
from incident.lifecycle import Status
from tests.conftest import OUTAGE_CRITERIA
from tests.functions.test_status_page_publication import published
from tests.functions.test_teams_conversation import click, declare, inputs, say
from tests.support.card_check import card_problems

DEFAULT = "This incident has been resolved. Thank you for your patience."


def resolving(incident_id: str, **extra: str) -> dict[str, str]:
    return {"incident_id": incident_id, "resolution": "Rolled back release 42",
            **{f"criterion_{c}": "true" for c in OUTAGE_CRITERIA}, **extra}


async def test_the_resolve_form_of_a_published_incident_offers_the_final_update(installed: Container) -> None:
    incident_id = await declare(installed)
    await say(f"public {incident_id} Investigating")
    form = (await click("incident.resolve_form", {"incident_id": incident_id}))["value"]
    field = inputs(form)["final_public_update"]
    assert field["value"] == DEFAULT and field["maxLength"] == 1000
    assert card_problems({"resolve": form}) == {"resolve": []}


async def test_an_unpublished_incidents_resolve_form_asks_nothing_about_the_page(installed: Container) -> None:
    incident_id = await declare(installed)
    form = (await click("incident.resolve_form", {"incident_id": incident_id}))["value"]
    assert "final_public_update" not in inputs(form)


async def test_resolving_posts_the_final_public_update_and_the_page_moves_it_to_the_history(
        installed: Container) -> None:
    incident_id = await declare(installed)
    await say(f"public {incident_id} Investigating")
    await click("incident.resolve", resolving(incident_id, final_public_update="All payments work again."))
    stored = await installed.dependencies.incidents.get(incident_id)
    assert stored.status is Status.RESOLVED
    assert [(u.text, u.state) for u in stored.public.updates][-1] == ("All payments work again.", "resolved")
    files, data = await published(installed)
    assert data["active_incidents"] == [] and data["status"]["indicator"] == "operational"
    assert [u["text"] for u in data["history"][0]["updates"]] == ["All payments work again.", "Investigating"]
    assert b"All payments work again." in files.files["feed.atom"]


async def test_an_empty_final_update_posts_none(installed: Container) -> None:
    incident_id = await declare(installed)
    await say(f"public {incident_id} Investigating")
    await click("incident.resolve", resolving(incident_id, final_public_update=""))
    stored = await installed.dependencies.incidents.get(incident_id)
    assert stored.status is Status.RESOLVED and [u.text for u in stored.public.updates] == ["Investigating"]


async def test_a_final_update_too_long_is_refused_beside_it_before_anything_is_resolved(
        installed: Container) -> None:
    incident_id = await declare(installed)
    await say(f"public {incident_id} Investigating")
    answer = await click("incident.resolve", resolving(incident_id, final_public_update="x" * 1001))
    assert "public update" in json.dumps(answer["value"]) and "final_public_update" in inputs(answer["value"])
    assert (await installed.dependencies.incidents.get(incident_id)).status is not Status.RESOLVED
