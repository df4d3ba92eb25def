"""GET /api/incidents/{id}/document: downloadable, and only for a caller who may see the incident."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import azure.functions as func
import pytest

from adapters.clock import FixedClock
from adapters.memory import RecordingNotifier
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.model import Incident
from incident.policy import OrganisationPolicy
from tests.conftest import ALICE
from tests.functions.conftest import built_function
from tests.unit.postmortem_fixtures import rich_incident


def principal(object_id: str, name: str = "Someone") -> str:
    """What App Service Authentication puts in X-MS-CLIENT-PRINCIPAL: base64 JSON of the token's claims."""
    claims = [{"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": object_id},
              {"typ": "name", "val": name}]
    return base64.b64encode(json.dumps({"auth_typ": "aad", "claims": claims}).encode()).decode()


def get(incident_id: str, document_format: str = "md", caller: str = "") -> func.HttpRequest:
    headers = {"X-MS-CLIENT-PRINCIPAL": caller} if caller else {}
    return func.HttpRequest(method="GET", url=f"http://127.0.0.1/api/incidents/{incident_id}/document",
                            headers=headers, params={"format": document_format}, route_params={"id": incident_id},
                            body=b"")


async def stored(policy: OrganisationPolicy, container: Container, *, private: bool = False) -> Incident:
    incident = rich_incident(policy)
    incident.private = private
    await container.dependencies.incidents.add(incident)
    return incident


def installed(policy: OrganisationPolicy, clock: FixedClock, *, bot_app_id: str = "") -> Container:
    """No bot app id: the local stack (documents open); with one: Azure, App Service Authentication on."""
    settings = Settings(storage_connection_string="memory", bot_app_id=bot_app_id,
                        bot_tenant_id="tenant-1" if bot_app_id else "", platform_auth_enabled=bool(bot_app_id))
    container = Container(settings, clock=clock, in_memory=True, policy=policy, notifier=RecordingNotifier())
    bootstrap.reset_container(container)
    return container


@pytest.fixture(autouse=True)
def reset() -> Iterator[None]:
    yield
    bootstrap.reset_container(None)


async def test_locally_the_document_downloads_as_markdown_or_html(policy: OrganisationPolicy,
                                                                  clock: FixedClock) -> None:
    incident = await stored(policy, installed(policy, clock))
    markdown = await built_function("incident_document")(get(incident.id, "md"))
    assert markdown.status_code == 200
    assert markdown.mimetype == "text/markdown"
    assert markdown.headers["Content-Disposition"] == 'attachment; filename="INC-2026-0042-document.md"'
    assert markdown.get_body().decode().startswith("# INC-2026-0042: Checkout failing")
    html = await built_function("incident_document")(get(incident.id, "html"))
    assert (html.status_code, html.mimetype) == (200, "text/html")
    assert "default-src 'none'" in html.headers["Content-Security-Policy"]


async def test_an_unknown_format_or_incident_is_refused(policy: OrganisationPolicy, clock: FixedClock) -> None:
    incident = await stored(policy, installed(policy, clock))
    assert (await built_function("incident_document")(get(incident.id, "pdf"))).status_code == 400
    assert (await built_function("incident_document")(get("INC-2026-9999"))).status_code == 404


async def test_a_private_incident_is_served_only_to_its_people(policy: OrganisationPolicy, clock: FixedClock) -> None:
    incident = await stored(policy, installed(policy, clock), private=True)
    document = built_function("incident_document")
    assert (await document(get(incident.id))).status_code == 404  # nobody named: as if it did not exist
    assert (await document(get(incident.id, caller=principal("outsider-oid")))).status_code == 404
    declarer = await document(get(incident.id, caller=principal(ALICE.aad_id, ALICE.name)))
    assert declarer.status_code == 200


async def test_in_azure_a_caller_must_be_signed_in(policy: OrganisationPolicy, clock: FixedClock) -> None:
    container = installed(policy, clock, bot_app_id="app-id")
    incident = await stored(policy, container)
    document = built_function("incident_document")
    assert (await document(get(incident.id))).status_code == 401
    assert (await document(get(incident.id, caller="not base64!"))).status_code == 401
    assert (await document(get(incident.id, caller=principal("any-colleague")))).status_code == 200
