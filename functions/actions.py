"""GET and POST /api/act: the page behind an email's action link (acknowledge, post an update, resolve).

Anonymous at the Functions level on purpose: the signed, expiring, single-use link is the credential.
GET only shows the form (mail scanners open links); POST acts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import azure.functions as func

blueprint = func.Blueprint()

MAX_FORM = 32 * 1024
STATUS_BY_PROBLEM = {"malformed": 400, "tampered": 400, "expired": 410, "used": 410}


def _page(status: int, language: str, **data: Any) -> func.HttpResponse:
    from adapters.pages import PAGE_HEADERS, render_page
    from functions.action_texts import texts

    words = texts(language)
    page = {"heading": words["page"]["heading"], "problem": "", "done": "", "incident": None, "form": None,
            "token": "", "action_url": "act", "text": "", "button": "", "language": language, "words": words["page"],
            **data}
    return func.HttpResponse(render_page("action", **page), status_code=status, mimetype="text/html",
                             charset="utf-8", headers={**PAGE_HEADERS, "Content-Language": language})


def _refused(problem: str, language: str) -> func.HttpResponse:
    from functions.action_texts import texts

    explanation = texts(language)["explanation"]
    return _page(STATUS_BY_PROBLEM.get(problem, 400), language, heading=texts(language)["page"]["refused"],
                 problem=explanation.get(problem, explanation["malformed"]))


@blueprint.route(route="act", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def act(req: func.HttpRequest) -> func.HttpResponse:
    from devopsbot.bootstrap import get_container
    from functions.accept_language import preferred_language
    from functions.action_texts import texts
    from incident.errors import DevopsbotError, DomainError, NotFound, NotPermitted
    from services.action_link_tokens import LinkRejected
    from services.action_link_use import open_link, submission_from_form, use_link

    # Until the link is known to be good, the browser's language; then the one signed in the link.
    language = preferred_language(req.headers.get("Accept-Language"))
    words = texts(language)["page"]
    form: dict[str, list[str]] = {}
    if req.method == "POST":
        body = req.get_body()
        if len(body) > MAX_FORM:
            return _page(413, language, heading=words["too_much"],
                         problem=words["too_much_problem"].format(kb=MAX_FORM // 1024))
        try:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50, strict_parsing=False)
        except (UnicodeDecodeError, ValueError):
            return _page(400, language, heading=words["unreadable"], problem=words["unreadable_problem"])
    token = (form.get("t") or [req.params.get("t", "")])[0]
    try:
        container = get_container()
        link = await open_link(container.dependencies, token)
    except LinkRejected as rejected:
        return _refused(rejected.problem.value, rejected.claims.language if rejected.claims else language)
    except NotFound:
        return _page(404, language, heading=words["no_incident"], problem=words["no_incident_problem"])
    except NotPermitted as error:  # its person is not (or no longer) allowed: nothing of the incident is shown
        return _page(403, language, heading=words["refused"], problem=words["nothing_done"].format(error=error))
    except DevopsbotError as error:
        return _page(503, language, heading=words["unavailable"], problem=words["unavailable_problem"].format(
            error=error))
    language = link.claims.language
    words = texts(language)["page"]
    heading, button = texts(language)["headings"][link.claims.action.value]
    shown = {"heading": heading, "button": button, "incident": link.incident, "token": token}
    if req.method == "GET":
        return _page(200, language, form=link, **shown)
    submission = submission_from_form(form)
    try:
        incident = await use_link(container.bus, token, submission)
    except LinkRejected as rejected:
        return _refused(rejected.problem.value, language)
    except DomainError as error:  # e.g. no text, unmet exit criteria, not permitted: correct and resend
        return _page(422, language, form=link, problem=str(error), text=submission.text, **shown)
    except DevopsbotError as error:
        return _page(503, language, heading=words["unavailable"], problem=words["unavailable_problem"].format(
            error=error))
    return _page(200, language, heading=heading, incident=incident, done=texts(language)["done"][
        link.claims.action.value])
