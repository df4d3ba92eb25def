"""``public`` and ``public-title`` in Teams: who may publish, what is kept apart from internal updates, and
that a private incident is refused with a sentence, in English and French."""

from __future__ import annotations

from bot.locale import Translator
from devopsbot.bootstrap import Container
from incident import commands
from tests.conftest import BOB
from tests.functions.test_teams_conversation import BOB as BOB_IN_TEAMS
from tests.functions.test_teams_conversation import declare, say

PLAN_STEP = "Update the public status page"


async def test_the_commander_posts_a_public_update_kept_apart_from_internal_ones(installed: Container) -> None:
    incident_id = await declare(installed)
    reply = await say(f"public {incident_id} Investigating elevated errors at checkout")
    assert reply["text"] == f"Public update posted on {incident_id}: the status page is being published."
    stored = await installed.dependencies.incidents.get(incident_id)
    assert [u.text for u in stored.public.updates] == ["Investigating elevated errors at checkout"]
    assert stored.public.updates[0].state == "investigating"
    assert stored.public.title == ""  # never the internal title unless one is given
    assert stored.last_update == ""  # a public update is not an internal one


async def test_a_public_update_ticks_the_plans_status_page_step(installed: Container) -> None:
    incident_id = await declare(installed)
    steps = installed.dependencies.policy.incident_type("outage").response_plan.steps
    index = next(i for i, s in enumerate(steps) if s.title == PLAN_STEP)
    await say(f"public {incident_id} We are looking into it")
    stored = await installed.dependencies.incidents.get(incident_id)
    assert index in stored.plan_done
    timeline = await installed.dependencies.incidents.timeline(incident_id)
    assert [e.summary for e in timeline if e.kind == "plan_step_done"] == [PLAN_STEP]


async def test_public_title_sets_what_the_page_calls_the_incident(installed: Container) -> None:
    incident_id = await declare(installed)
    reply = await say(f"public-title {incident_id} Checkout slow for some customers")
    assert reply["text"] == f"The status page now shows {incident_id} under its public title."
    assert (await installed.dependencies.incidents.get(incident_id)).public.title == (
        "Checkout slow for some customers")


async def test_someone_outside_the_incidents_command_may_not_publish(installed: Container) -> None:
    incident_id = await declare(installed)
    refused = await say(f"public {incident_id} All good", user=BOB_IN_TEAMS)
    assert refused["text"].startswith("Sorry, only the commander, the deputy, an incident admin or the "
                                      "communications lead may publish a public update on")
    assert not (await installed.dependencies.incidents.get(incident_id)).public.published


async def test_the_communications_lead_may_publish(installed: Container) -> None:
    incident_id = await declare(installed)
    alice = (await installed.dependencies.incidents.get(incident_id)).holder("commander")
    assert alice is not None
    await installed.bus.handle(commands.AssignRole(incident_id, "communications_lead", BOB, alice))
    await say(f"public {incident_id} Fixed in most regions", user=BOB_IN_TEAMS)
    assert (await installed.dependencies.incidents.get(incident_id)).public.updates[0].text == (
        "Fixed in most regions")


async def test_a_private_incident_is_refused_with_a_sentence_in_the_users_language(installed: Container) -> None:
    incident_id = await declare(installed, type="security", severity="SEV1", title="Ransomware on a file server",
                                private="true")
    english = await say(f"public {incident_id} We are investigating")
    assert english["text"] == (
        f"{incident_id} is private: a private incident is never published on the status page.")
    french = await say(f"public-title {incident_id} Incident", locale="fr-FR")
    assert french["text"] == Translator("fr-FR")("reply.public_private", id=incident_id) != english["text"]
    stored = await installed.dependencies.incidents.get(incident_id)
    assert not stored.public.published and stored.public.title == ""


async def test_public_without_text_says_how(installed: Container) -> None:
    incident_id = await declare(installed)
    assert (await say(f"public {incident_id}"))["text"] == (
        "Say what goes with it, like this: 'public <text for customers>'.")
