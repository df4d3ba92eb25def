"""GET /api/dashboard and /api/dashboard/chart.svg, called as built functions on the in-memory stack."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta

import pytest

from adapters.clock import FixedClock
from devopsbot import bootstrap
from devopsbot.bootstrap import Container
from incident.model import Incident, Person
from incident.policy import OrganisationPolicy
from tests.conftest import ALICE, BOB
from tests.functions.conftest import built_function, request

SVG = "{http://www.w3.org/2000/svg}"
CAROL = Person(id="29:carol", name="Carol O'Brien & Co", email="carol@contoso.example")


@pytest.fixture
async def stack(memory_container: Container, policy: OrganisationPolicy, clock: FixedClock) -> Iterator[Container]:
    """Open incidents (one with a hostile title, one private), one resolved with a late follow-up."""
    now = clock.now()
    incidents = memory_container.dependencies.incidents
    await incidents.add(Incident.declare(
        incident_id="INC-2026-0001", title="<script>alert('x')</script> checkout", summary="", incident_type="outage",
        severity="SEV1", declared_by=ALICE, at=now - timedelta(hours=2, minutes=5), policy=policy,
        roles={"commander": CAROL}, priority="P1"))
    await incidents.add(Incident.declare(
        incident_id="INC-2026-0002", title="Leaked credentials in repo", summary="", incident_type="security",
        severity="SEV2", declared_by=ALICE, at=now - timedelta(minutes=40), policy=policy, private=True))
    resolved = Incident.declare(
        incident_id="INC-2026-0003", title="Slow search", summary="", incident_type="outage", severity="SEV2",
        declared_by=ALICE, at=now - timedelta(days=20), policy=policy, roles={"commander": BOB})
    resolved.resolve(actor=BOB, at=now - timedelta(days=20) + timedelta(hours=3), policy=policy,
                     resolution="fixed", override_reason="test data")
    resolved.add_follow_up(title="Add <b>search</b> alerts", owner=BOB, actor=BOB, at=now - timedelta(days=19),
                           policy=policy, due_at=now - timedelta(days=2), link='https://tracker.example/1?q="><b>x')
    await incidents.add(resolved)
    bootstrap.reset_container(memory_container)
    yield memory_container
    bootstrap.reset_container(None)


async def test_the_page_lists_open_incidents_with_severity_priority_age_and_commander(stack: Container) -> None:
    response = await built_function("dashboard")(request("GET", "dashboard"))
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_body().decode()
    row = page[page.index("<td>INC-2026-0001</td>"):page.index("</tr>", page.index("INC-2026-0001"))]
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; checkout" in row and "<script>" not in page
    assert ">SEV1</span>" in row and "<td>P1</td>" in row and "2 h 05 min" in row
    assert "Carol O&#39;Brien &amp; Co" in row


async def test_a_missing_priority_or_commander_shows_a_dash_and_a_security_title_stays_hidden(
        stack: Container) -> None:
    page = (await built_function("dashboard")(request("GET", "dashboard"))).get_body().decode()
    row = page[page.index("<td>INC-2026-0002</td>"):page.index("</tr>", page.index("INC-2026-0002"))]
    assert row.count("<td>—</td>") == 2  # priority and commander
    assert "Leaked credentials" not in page and "Security incident (details restricted)" in row


async def test_past_due_follow_ups_are_listed_with_their_escaped_link(stack: Container) -> None:
    page = (await built_function("dashboard")(request("GET", "dashboard"))).get_body().decode()
    assert "Past-due follow-ups (1)" in page
    assert '<a href="https://tracker.example/1?q=&#34;&gt;&lt;b&gt;x"' in page
    assert "#1 Add &lt;b&gt;search&lt;/b&gt; alerts</a>" in page
    assert "<td>Bob Durand</td>" in page and "2 d 0 h" in page


async def test_the_page_may_be_framed_by_teams_only_and_runs_no_script(stack: Container) -> None:
    response = await built_function("dashboard")(request("GET", "dashboard"))
    headers = {k.lower(): v for k, v in response.headers.items()}
    assert "x-frame-options" not in headers
    policy = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
    assert policy["frame-ancestors"] == ("'self' https://teams.microsoft.com https://*.teams.microsoft.com "
                                         "https://*.office.com https://*.cloud.microsoft")
    assert policy["default-src"] == "'none'" and "script-src" not in policy
    page = response.get_body().decode()
    [css] = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert policy["style-src"] == f"'sha256-{digest}'"  # the inline stylesheet is the one allowed
    assert headers["cache-control"] == "no-store"


async def test_the_chart_is_an_svg_named_and_described_in_the_page(stack: Container) -> None:
    chart = await built_function("dashboard_chart")(request("GET", "dashboard/chart.svg"))
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    svg = ET.fromstring(chart.get_body())  # noqa: S314 - the app's own SVG
    assert svg.tag == f"{SVG}svg" and svg.find(f".//{SVG}script") is None
    assert svg.findtext(f"{SVG}title") == "Incidents per week and median time to resolve"
    assert chart.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    page = (await built_function("dashboard")(request("GET", "dashboard"))).get_body().decode()
    assert '<img src="dashboard/chart.svg" width="720" height="456" alt="Incidents per week' in page
    # 12 weeks up to Friday 27 November 2026 (W48): W37 to W48; the resolved SEV2 was declared on 7 Nov (W45).
    assert "2026-W37: 0 declared" in page and "2026-W45: 1 declared, median 3 h 00 min to resolve" in page
    assert "2026-W48: 2 declared" in page
    assert svg.findtext(f"{SVG}desc") == html.unescape(re.findall(r'alt="([^"]*)"', page)[0])


async def test_a_two_minute_incident_is_charted_in_minutes_as_the_header_says(
        memory_container: Container, policy: OrganisationPolicy, clock: FixedClock) -> None:
    now = clock.now()
    quick = Incident.declare(
        incident_id="INC-2026-0004", title="Blip", summary="", incident_type="outage", severity="SEV3",
        declared_by=ALICE, at=now - timedelta(hours=1), policy=policy, roles={"commander": BOB})
    quick.resolve(actor=BOB, at=now - timedelta(hours=1) + timedelta(minutes=2, seconds=25), policy=policy,
                  resolution="restarted", override_reason="test data")
    await memory_container.dependencies.incidents.add(quick)
    bootstrap.reset_container(memory_container)
    try:
        page = (await built_function("dashboard")(request("GET", "dashboard"))).get_body().decode()
        chart = await built_function("dashboard_chart")(request("GET", "dashboard/chart.svg"))
    finally:
        bootstrap.reset_container(None)
    assert "median time to resolve 2 min 25 s." in page
    assert "Incidents per week and median time to resolve (in minutes)." in page
    assert "2026-W48: 1 declared, median 2 min 25 s to resolve." in page
    row = page[page.index("<th scope=\"row\">2026-W48</th>"):]
    assert row[:row.index("</tr>")].endswith('<td class="number">2 min 25 s</td>')
    svg = ET.fromstring(chart.get_body())  # noqa: S314 - the app's own SVG
    assert "(in minutes)" in (svg.findtext(f"{SVG}desc") or "")


@pytest.mark.parametrize("route", ["dashboard", "dashboard_chart"])
async def test_in_azure_the_dashboard_needs_a_signed_in_caller(stack: Container, route: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from tests.functions.test_documents import principal

    monkeypatch.setattr(stack, "settings", replace(stack.settings, bot_app_id="11111111-2222-3333-4444-555555555555",
                                                   platform_auth_enabled=True))  # App Service Authentication on
    anonymous = await built_function(route)(request("GET", "dashboard"))
    assert anonymous.status_code == 401
    signed_in = await built_function(route)(request("GET", "dashboard", headers={
        "X-MS-CLIENT-PRINCIPAL": principal("aad-object-id-of-dana", "Dana Admin")}))
    assert signed_in.status_code == 200


async def test_active_incidents_are_counted_apart_from_resolved_ones_awaiting_their_postmortem(
        stack: Container) -> None:
    page = (await built_function("dashboard")(request("GET", "dashboard"))).get_body().decode()
    active = page[page.index("Active incidents (2)"):page.index("Resolved, awaiting a postmortem or closing (1)")]
    assert "<td>INC-2026-0001</td>" in active and "<td>INC-2026-0002</td>" in active
    assert "INC-2026-0003" not in active and "Open incidents" not in page
    resolved = page[page.index("Resolved, awaiting a postmortem or closing (1)"):page.index("Past-due follow-ups")]
    assert "<td>INC-2026-0003</td>" in resolved and "Slow search" in resolved and "19 d 21 h ago" in resolved


async def test_a_french_browser_gets_the_page_in_french(stack: Container) -> None:
    response = await built_function("dashboard")(request("GET", "dashboard",
                                                         headers={"Accept-Language": "fr-FR,fr;q=0.9"}))
    assert response.status_code == 200 and response.headers["Content-Language"] == "fr"
    page = response.get_body().decode()
    assert '<html lang="fr">' in page and "Tableau de bord des incidents" in page
    assert "Incidents en cours (2)" in page and "Actions de suivi en retard (1)" in page and "il y a 19 d 21 h" in page
    for english in ("Incidents dashboard", "Active incidents", "Past-due follow-ups", "No active incidents",
                    "Severity", "Commander", " ago", "median time to resolve"):
        assert english not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; checkout" in page and "<script>" not in page


@pytest.mark.parametrize("header", ["", "de-DE,de;q=0.9", "en-GB,fr;q=0.5", "fr;q=0", "x" * 100_000 + ",fr"])
async def test_any_other_browser_gets_the_page_in_english(stack: Container, header: str) -> None:
    response = await built_function("dashboard")(request("GET", "dashboard", headers={"Accept-Language": header}))
    page = response.get_body().decode()
    assert '<html lang="en">' in page and "Active incidents (2)" in page and "Tableau de bord" not in page
