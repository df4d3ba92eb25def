"""GET /api/privacy and /api/terms: the pages the Teams app manifest links to. Anyone may open them (Teams
shows them before a person signs in anywhere), so they are static, read nothing and need no sign-in."""

from __future__ import annotations

from collections.abc import Mapping

import azure.functions as func

blueprint = func.Blueprint()

PRIVACY = {
    "heading": "devopsbot: privacy statement",
    "sections": [
        {"title": "Who runs this app", "paragraphs": [
            "devopsbot is open-source software that your organisation deploys in its own Azure subscription. "
            "Your organisation, not the devopsbot project, operates this copy and decides what happens to "
            "its data. Questions go to the administrators who installed it in Teams."]},
        {"title": "What it stores", "paragraphs": [
            "Incidents declared with it: their titles, summaries, severity, status updates and timeline; the "
            "names, Teams ids, Entra object ids and email addresses of the people who declare, hold a role, "
            "are invited or answer; the roster of who is on call; playbooks and postmortems.",
            "It is stored in your organisation's Azure Table Storage account. Security incidents are visible "
            "only to the people in them and to incident administrators."]},
        {"title": "Where it goes", "paragraphs": [
            "Messages go to Microsoft Teams and, as a backup path, to the email addresses of the people an "
            "incident concerns, through your organisation's mailbox or mail server. Nothing is sent to the "
            "devopsbot project or to any other third party, and the app sends no usage telemetry of its own."]},
        {"title": "How long it is kept", "paragraphs": [
            "Until your organisation's administrators delete it; incident records are kept for postmortems "
            "and reports."]},
    ],
}

TERMS = {
    "heading": "devopsbot: terms of use",
    "sections": [
        {"title": "Software", "paragraphs": [
            "devopsbot is provided under the MIT licence, as is, without warranty of any kind."]},
        {"title": "Use", "paragraphs": [
            "Your use of this copy is governed by your organisation's policies for incident response and "
            "for Microsoft Teams. Your organisation's administrators operate it and answer questions about it."]},
    ],
}

HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self' "
           "https://teams.microsoft.com https://*.teams.microsoft.com https://*.cloud.microsoft",
           "X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=3600"}


def _page(content: Mapping[str, object]) -> func.HttpResponse:
    from adapters.pages import render_page

    return func.HttpResponse(render_page("legal", **content), status_code=200, mimetype="text/html",
                             charset="utf-8", headers=HEADERS)


@blueprint.route(route="privacy", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def privacy(req: func.HttpRequest) -> func.HttpResponse:
    return _page(PRIVACY)


@blueprint.route(route="terms", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def terms(req: func.HttpRequest) -> func.HttpResponse:
    return _page(TERMS)
