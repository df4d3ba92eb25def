"""Every form the action-link page shows, in both languages, labels its fields with the catalogue's words
(functions/action_texts.py): a word read from the catalogue as an attribute can meet a method of the mapping
(``update``), and the page then showed "<built-in method update of dict object ...>" as the label."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.clock import FixedClock
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from functions.action_texts import texts
from incident import commands
from services.action_link_tokens import ActionLinkSigner, LinkAction
from tests.conftest import ALICE
from tests.functions.conftest import built_function
from tests.functions.test_person_language import act_request

KEY = bytes(range(32, 64))


@pytest.fixture
def container(clock: FixedClock) -> Iterator[Container]:
    built = Container(Settings(storage_connection_string="memory", action_link_key=KEY), clock=clock,
                      in_memory=True)
    bootstrap.reset_container(built)
    yield built
    bootstrap.reset_container(None)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(("action", "field"), [(LinkAction.UPDATE, "update"), (LinkAction.RESOLVE, "resolution")])
async def test_each_form_labels_its_text_field_with_the_catalogues_word(
        container: Container, language: str, action: LinkAction, field: str) -> None:
    incident = await container.bus.handle(commands.DeclareIncident(
        title="Checkout failing", incident_type="outage", severity="SEV2", actor=ALICE, roles={"commander": ALICE}))
    token = ActionLinkSigner(KEY).issue(incident.id, ALICE, action, container.clock.now(), language)
    page = await built_function("act")(act_request("GET", token))
    html = page.get_body().decode()
    assert page.status_code == 200, html
    assert f'<label for="text">{texts(language)["page"][field]}</label>' in html
    assert "built-in method" not in html and "object at 0x" not in html
