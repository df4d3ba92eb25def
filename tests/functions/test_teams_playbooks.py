"""`playbook` in Teams through the Bot Framework protocol: submit from the message, review on the card."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.clock import FixedClock
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.people import Person
from incident.policy import OrganisationPolicy
from tests.functions.conftest import teams_invoke, teams_message
from tests.functions.test_teams_conversation import declare, send
from tests.support.connector import ConnectorDouble

BOB = ("29:bob", "Bob Durand")
# Typed in Teams: plain lines, with the line breaks and entities a formatted message carries as HTML.
PLAYBOOK = ("playbook submit checkout\n# Checkout\nOwner: Payments team<br>Last tested: 2026-11-20\n"
            "## Symptoms\nTimeouts &amp; errors\n## Diagnosis\nGateway latency\n## Mitigation\nFail over\n"
            "## Rollback\nPrevious release\n## Verification of recovery\nErrors below 1%\n## Contacts\n"
            "Payments on-call")


@pytest.fixture
def reviewed(policy: OrganisationPolicy, connector: ConnectorDouble) -> Iterator[Container]:
    """Bob approves checkout's playbooks; Alice writes them."""
    approvers = {"checkout": (Person("29:bob", "Bob Durand"), Person("29:alice", "Alice Martin"))}
    container = Container(Settings(storage_connection_string="memory"), in_memory=True,
                          clock=FixedClock(datetime(2026, 11, 27, 10, 0, tzinfo=UTC)),
                          policy=replace(policy, playbooks=replace(policy.playbooks, approvers=approvers)))
    bootstrap.reset_container(container)
    yield container
    bootstrap.reset_container(None)


async def answer(activity: dict[str, Any]) -> dict[str, Any]:
    status, body = await send(activity)
    assert status == 200
    return dict(body["activities"][0] if "activities" in body else body)


async def submit() -> dict[str, Any]:
    message = teams_message("")
    message["text"] = "<at>devopsbot</at> " + PLAYBOOK
    return await answer(message)


async def test_a_submitted_playbook_comes_back_as_a_review_card_for_the_approvers(reviewed: Container) -> None:
    reply = await submit()
    [attachment] = reply["attachments"]
    card = attachment["content"]
    assert card["body"][0]["text"] == "Playbook checkout v1 to review"
    assert [e["mentioned"]["id"] for e in card["msteams"]["entities"]] == ["29:bob"]  # not the author
    approve, reject = card["actions"]
    assert (approve["type"], approve["verb"], approve["data"]) == (
        "Action.Execute", "playbook.approve", {"service": "checkout", "version": 1})
    assert reject["card"]["actions"][0]["verb"] == "playbook.reject"
    [stored] = await reviewed.dependencies.playbooks.versions("checkout")  # type: ignore[union-attr]
    assert stored.text.startswith("# Checkout\nOwner: Payments team\nLast tested: 2026-11-20\n## Symptoms")
    assert "Timeouts & errors" in stored.text and "playbook submit" not in stored.text


async def test_the_author_cannot_approve_on_the_card_another_approver_can(reviewed: Container) -> None:
    await submit()
    refused = await answer(teams_invoke("playbook.approve", {"service": "checkout", "version": 1}))
    assert refused["value"].startswith("Sorry, the author of checkout v1 cannot review it")
    done = await answer(teams_invoke("playbook.approve", {"service": "checkout", "version": 1}, user=BOB))
    assert done["value"] == "Playbook checkout v1: approved by Bob Durand (1 of 1)."
    coverage = await answer(teams_message("playbook coverage"))
    assert "checkout" not in coverage["text"] and "payments" in coverage["text"]
    audit = await reviewed.dependencies.playbooks.audit("checkout")  # type: ignore[union-attr]
    assert [(e.kind, e.actor.id) for e in audit] == [("submitted", "29:alice"), ("approved", "29:bob")]


async def test_a_rejection_without_a_comment_is_refused(reviewed: Container) -> None:
    await submit()
    refused = await answer(teams_invoke("playbook.reject", {"service": "checkout", "version": 1, "comment": ""},
                                        user=BOB))
    assert "A rejection needs a comment" in refused["value"]
    done = await answer(teams_message("playbook reject checkout 1 Add the failover command", user=BOB))
    assert done["text"] == "Playbook checkout v1: rejected by Bob Durand: Add the failover command"


async def test_an_incomplete_playbook_is_refused_with_every_problem(reviewed: Container) -> None:
    message = teams_message("")
    message["text"] = "<at>devopsbot</at> playbook submit checkout\n# Checkout\n## Symptoms\nSee [here]()"
    reply = await answer(message)
    assert reply["text"].startswith("Playbook checkout was not submitted: missing sections")
    assert "no owner" in reply["text"] and "empty links" in reply["text"]
    assert await reviewed.dependencies.playbooks.versions("checkout") == []  # type: ignore[union-attr]


async def test_the_incident_card_links_the_services_current_playbook(reviewed: Container,
                                                                    connector: ConnectorDouble) -> None:
    await submit()
    await answer(teams_invoke("playbook.approve", {"service": "checkout", "version": 1}, user=BOB))
    incident_id = await declare(reviewed, services="checkout")
    status = await answer(teams_message(f"status {incident_id}"))
    opens = [a for a in status["attachments"][0]["content"]["actions"] if a["type"] == "Action.OpenUrl"]
    assert opens == [{"type": "Action.OpenUrl", "title": "Playbook: checkout v1",
                      "url": "http://127.0.0.1:7071/api/playbooks/checkout/1"}]
    stored = await reviewed.dependencies.incidents.get(incident_id)
    assert stored.playbooks == (("checkout", 1),)  # attached at declaration: the approved version then
    flagged = [str(m.activity.get("text", "")) for m in connector.messages()]
    assert not any("no approved playbook" in text for text in flagged)  # checkout has one


async def test_the_linked_address_serves_the_current_approved_version_as_text(reviewed: Container) -> None:
    import azure.functions as func

    from tests.functions.conftest import built_function

    def get(version: str) -> func.HttpRequest:
        return func.HttpRequest(method="GET", url=f"http://127.0.0.1/api/playbooks/checkout/{version}", headers={},
                                params={}, route_params={"service": "checkout", "version": version}, body=b"")

    serve = built_function("playbook_version")
    assert (await serve(get("current"))).status_code == 404  # submitted, not approved yet
    await submit()
    await answer(teams_invoke("playbook.approve", {"service": "checkout", "version": 1}, user=BOB))
    served = await serve(get("current"))
    assert served.status_code == 200 and served.mimetype == "text/plain"
    assert served.get_body().decode().startswith("<!-- checkout v1: approved, owner Payments team")
    assert (await serve(get("9"))).status_code == 404
