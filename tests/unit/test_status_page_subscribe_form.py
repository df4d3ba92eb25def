"""The status page's subscription form: plain HTML (no script), labelled for screen readers, posting to the
app's public address, and the page still under 50 KB with it for 100 components and 200 past incidents."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from adapters.status_files import render_status_files
from incident.lifecycle import Status
from incident.policy import OrganisationPolicy
from incident.public_face import Component, PublicFace, PublicUpdate, StatusPagePolicy
from incident.status_page import build_status_page
from tests.unit.test_incident_lifecycle import T0, declare
from tests.unit.test_status_page_files import outline
from tests.unit.test_status_page_model import page, published

URL = "https://devopsbot.contoso.example/api/status/subscribe"


def test_the_page_offers_a_labelled_form_without_script_posting_to_the_app(policy: OrganisationPolicy) -> None:
    files = render_status_files(page(policy, published(policy, "SEV1")), 90, subscribe_url=URL)
    parsed = outline(files)
    tags = parsed.tags
    assert "script" not in {tag for tag, _ in tags} and not any(k.startswith("on") for _, a in tags for k in a)
    assert ("form", {"method": "post", "action": URL}) in tags
    assert "Get updates by email" in parsed.headings
    boxes = [a["value"] for tag, a in tags if tag == "input" and a.get("type") == "checkbox"]
    assert boxes == list(policy.services)
    email = next(a for tag, a in tags if tag == "input" and a.get("type") == "email")
    assert email["name"] == "email" and ("label", {"for": email["id"]}) in tags
    assert "required" in email and email["maxlength"] == "254" and email["autocomplete"] == "email"
    select = next(a for tag, a in tags if tag == "select")
    assert select["name"] == "lang" and ("label", {"for": select["id"]}) in tags
    assert [a["value"] for tag, a in tags if tag == "option"] == ["en", "fr"]
    assert ("legend", {}) in tags  # the checkboxes are a group with a name
    # Without a key to sign the links (no subscribe_url), the page has no form.
    assert "form" not in {tag for tag, _ in outline(render_status_files(page(policy, published(policy, "SEV1")),
                                                                        90)).tags}


def test_with_the_form_the_html_stays_under_50_kb_for_100_components_and_200_incidents(
        policy: OrganisationPolicy) -> None:
    services = [f"service-{n:03}" for n in range(100)]
    big = StatusPagePolicy(title="Contoso status", components=tuple(
        Component(key, f"Service number {n:03}", f"Group {n // 10}") for n, key in enumerate(services)))
    incidents = []
    for n in range(200):
        at = T0 - timedelta(days=80) + timedelta(hours=n * 9)
        updates = tuple(PublicUpdate(at + timedelta(minutes=m), f"Update {m} on a disruption of moderate length.",
                                     "investigating") for m in range(3))
        incidents.append(replace(
            declare(policy), id=f"INC-2026-{n:04}", status=Status.RESOLVED, declared_at=at,
            resolved_at=at + timedelta(hours=2), services=(services[n % 100],),
            public=PublicFace(title=f"Slow responses from service {n % 100:03} in one region", updates=updates)))
    shown = build_status_page(incidents, policy=big, services=services, severity_ranks={"SEV2": 2}, now=T0)
    html = render_status_files(shown, 90, subscribe_url=URL)["index.html"]
    assert html.count(b"type=checkbox") == 100
    assert len(html) < 50_000, len(html)


def test_app_service_authentication_lets_the_form_and_its_links_through_and_nothing_else_under_status() -> None:
    from devopsbot.settings import DEFAULT_ANONYMOUS_PATHS
    from functions.signed_in import left_anonymous

    for path in ("status/subscribe", "status/confirm?t=x", "status/unsubscribe?t=x"):
        assert left_anonymous(f"https://app.example/api/{path}", DEFAULT_ANONYMOUS_PATHS)
    assert not left_anonymous("https://app.example/api/statuses", DEFAULT_ANONYMOUS_PATHS)
