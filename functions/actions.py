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
HEADINGS = {"ack": ("Acknowledge the incident", "Acknowledge"), "update": ("Post a status update", "Post update"),
            "resolve": ("Resolve the incident", "Resolve")}
STATUS_BY_PROBLEM = {"malformed": 400, "tampered": 400, "expired": 410, "used": 410}
EXPLANATION = {
    "malformed": "This link is incomplete or damaged. Copy the whole link from the email, or act in Teams.",
    "tampered": "This link is not valid: it was changed after devopsbot signed it. Nothing was done.",
    "expired": "This link has expired. Nothing was done. Use a link from a newer email, or act in Teams.",
    "used": "This link has already been used, and works only once. Nothing more was done.",
}
DONE = {"ack": "Acknowledged. The incident's timeline and cards now say so.",
        "update": "Your update is posted to the incident's timeline and cards.",
        "resolve": "The incident is resolved; the resolution is announced where the incident was."}


def _page(status: int, **data: Any) -> func.HttpResponse:
    from adapters.pages import PAGE_HEADERS, render_page

    page = {"heading": "Incident action", "problem": "", "done": "", "incident": None, "form": None,
            "token": "", "action_url": "act", "text": "", "button": "", **data}
    return func.HttpResponse(render_page("action", **page), status_code=status, mimetype="text/html",
                             charset="utf-8", headers=PAGE_HEADERS)


def _refused(problem: str) -> func.HttpResponse:
    return _page(STATUS_BY_PROBLEM.get(problem, 400), heading="This link cannot be used",
                 problem=EXPLANATION.get(problem, EXPLANATION["malformed"]))


@blueprint.route(route="act", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def act(req: func.HttpRequest) -> func.HttpResponse:
    from devopsbot.bootstrap import get_container
    from incident.errors import DevopsbotError, DomainError, NotFound, NotPermitted
    from services.action_link_tokens import LinkRejected
    from services.action_link_use import open_link, submission_from_form, use_link

    form: dict[str, list[str]] = {}
    if req.method == "POST":
        body = req.get_body()
        if len(body) > MAX_FORM:
            return _page(413, heading="Too much text", problem=f"The form is larger than {MAX_FORM // 1024} KB.")
        try:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50, strict_parsing=False)
        except (UnicodeDecodeError, ValueError):
            return _page(400, heading="The form could not be read", problem="Send the form from the page again.")
    token = (form.get("t") or [req.params.get("t", "")])[0]
    try:
        container = get_container()
        link = await open_link(container.dependencies, token)
    except LinkRejected as rejected:
        return _refused(rejected.problem.value)
    except NotFound:
        return _page(404, heading="No such incident", problem="The incident of this link no longer exists.")
    except NotPermitted as error:  # its person is not (or no longer) allowed: nothing of the incident is shown
        return _page(403, heading="This link cannot be used", problem=f"Nothing was done: {error}")
    except DevopsbotError as error:
        return _page(503, heading="devopsbot is unavailable", problem=f"Nothing was done: {error}. Try again shortly.")
    heading, button = HEADINGS[link.claims.action.value]
    shown = {"heading": heading, "button": button, "incident": link.incident, "token": token}
    if req.method == "GET":
        return _page(200, form=link, **shown)
    submission = submission_from_form(form)
    try:
        incident = await use_link(container.bus, token, submission)
    except LinkRejected as rejected:
        return _refused(rejected.problem.value)
    except DomainError as error:  # e.g. no text, unmet exit criteria, not permitted: correct and resend
        return _page(422, form=link, problem=str(error), text=submission.text, **shown)
    except DevopsbotError as error:
        return _page(503, heading="devopsbot is unavailable", problem=f"Nothing was done: {error}. Try again shortly.")
    return _page(200, heading=heading, incident=incident, done=DONE[link.claims.action.value])
