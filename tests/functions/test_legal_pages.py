"""The privacy and terms pages the Teams manifest links to open for anyone, even where sign-in is required."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from devopsbot.settings import Settings
from incident.policy import OrganisationPolicy
from tests.functions.conftest import built_function, request


@pytest.fixture
def signed_in_required(policy: OrganisationPolicy) -> Iterator[Container]:
    """An app running with a bot identity, where the dashboard refuses anonymous callers."""
    container = Container(Settings(storage_connection_string="memory",
                                   bot_app_id="0f8fad5b-d9cb-469f-a165-70867728950e"), in_memory=True, policy=policy)
    bootstrap.reset_container(container)
    yield container
    bootstrap.reset_container(None)


@pytest.mark.parametrize(("route", "heading"), [("privacy", "privacy statement"), ("terms", "terms of use")])
async def test_the_page_opens_without_sign_in(signed_in_required: Container, route: str, heading: str) -> None:
    assert (await built_function("dashboard")(request("GET", "dashboard"))).status_code == 401
    response = built_function(route)(request("GET", route))
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_body().decode()
    assert f"devopsbot: {heading}</h1>" in page
    assert "<script" not in page and "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_the_privacy_statement_says_what_is_stored_and_where_it_goes() -> None:
    page = built_function("privacy")(request("GET", "privacy")).get_body().decode()
    for words in ("What it stores", "Azure Table Storage", "email addresses", "Nothing is sent to the devopsbot "
                  "project", "Security incidents are visible only to the people in them"):
        assert words in page
