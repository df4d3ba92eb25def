"""The status page's email subscriptions: POST /api/status/subscribe (the page's form), and the pages behind
the links mailed to subscribers, /api/status/confirm and /api/status/unsubscribe.

Anonymous at the Functions level on purpose: the form is public, and a signed, expiring link is the credential
of the others. GET only shows a button (mail scanners open links); POST acts. An unsubscribe POST is also what
a mail client sends for RFC 8058's one-click unsubscribe (body ``List-Unsubscribe=One-Click``, token in the URL).
The form is size-capped before parsing, and its answer is the same whatever the address's state.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import azure.functions as func

from functions.accept_language import preferred_language

blueprint = func.Blueprint()

MAX_FORM = 8 * 1024  # an address, a language and the components' keys
MAX_LINK_FORM = 20 * 1024  # a confirm or unsubscribe button's form: the token (services/subscription_tokens.py)
MAX_FIELDS = 210  # the form's fields: a checkbox per component (at most a couple of hundred) and two more
STATUS_BY_PROBLEM = {"malformed": 400, "tampered": 400, "expired": 410, "used": 410}
TEXT: dict[str, dict[str, str]] = {
    "en": {
        "heading": "Status updates by email", "refused": "This link cannot be used",
        "malformed": "This link is incomplete or damaged, or was made for something else. Nothing was done.",
        "tampered": "This link is not valid: it was changed after it was sent. Nothing was done.",
        "expired": "This link has expired. Nothing was done. Subscribe again from the status page.",
        "used": "This link has already been used, or a newer one was sent. Nothing more was done.",
        "requested": "Thank you. If this address can receive email, a message is on its way with a link to "
                     "confirm. Nothing is sent to it until the link is used.",
        "confirm": "Confirm that you want the status updates of: {components}.", "confirm_button": "Confirm",
        "confirmed": "Subscribed: you will receive the public updates of: {components}.",
        "unsubscribe": "Stop the status update emails to {address}?", "unsubscribe_button": "Unsubscribe",
        "unsubscribed": "Unsubscribed: {address} will receive no more status updates.",
        "too_large": "The form is too large. Send it again from the status page.",
        "unreadable": "The form could not be read. Send it again from the status page.",
        "off": "Email subscriptions are not available here.",
        "unavailable": "The service is unavailable. Nothing was done. Try again shortly.",
        "email": "Give one email address, such as name@example.com.",
        "components": "Choose at least one component from the list on the status page.",
    },
    "fr": {
        "heading": "Mises à jour par email", "refused": "Ce lien n'est pas utilisable",
        "malformed": "Ce lien est incomplet ou abîmé, ou a été fait pour autre chose. Rien n'a été fait.",
        "tampered": "Ce lien n'est pas valide : il a été modifié après son envoi. Rien n'a été fait.",
        "expired": "Ce lien a expiré. Rien n'a été fait. Abonnez-vous à nouveau depuis la page d'état.",
        "used": "Ce lien a déjà servi, ou un plus récent a été envoyé. Rien de plus n'a été fait.",
        "requested": "Merci. Si cette adresse peut recevoir des emails, un message est en route avec un lien de "
                     "confirmation. Rien ne lui est envoyé avant que le lien soit utilisé.",
        "confirm": "Confirmez que vous voulez les mises à jour de : {components}.", "confirm_button": "Confirmer",
        "confirmed": "Abonnement confirmé : vous recevrez les mises à jour publiques de : {components}.",
        "unsubscribe": "Arrêter les emails de mise à jour vers {address} ?", "unsubscribe_button": "Se désabonner",
        "unsubscribed": "Désabonné : {address} ne recevra plus de mises à jour.",
        "too_large": "Le formulaire est trop grand. Renvoyez-le depuis la page d'état.",
        "unreadable": "Le formulaire est illisible. Renvoyez-le depuis la page d'état.",
        "off": "Les abonnements par email ne sont pas disponibles ici.",
        "unavailable": "Le service est indisponible. Rien n'a été fait. Réessayez dans un instant.",
        "email": "Donnez une adresse email, comme nom@exemple.fr.",
        "components": "Choisissez au moins un composant dans la liste de la page d'état.",
    },
}


def _page(status: int, language: str, *, problem: str = "", done: str = "", heading: str = "",
          **data: Any) -> func.HttpResponse:
    from adapters.pages import PAGE_HEADERS, render_page

    text = TEXT[language]
    page = {"language": language, "heading": heading or text["heading"], "problem": problem, "done": done,
            "question": "", "token": "", "action_url": "", "button": "", **data}
    return func.HttpResponse(render_page("subscription", **page), status_code=status, mimetype="text/html",
                             charset="utf-8", headers=PAGE_HEADERS)


def _form(req: func.HttpRequest, language: str, limit: int = MAX_FORM) -> dict[str, list[str]] | func.HttpResponse:
    body = req.get_body()
    if len(body) > limit:
        return _page(413, language, problem=TEXT[language]["too_large"])
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return _page(400, language, problem=TEXT[language]["unreadable"])


def _language(req: func.HttpRequest) -> str:
    return preferred_language(req.headers.get("accept-language"))


@blueprint.route(route="status/subscribe", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def subscribe(req: func.HttpRequest) -> func.HttpResponse:
    from devopsbot.bootstrap import get_container
    from incident.errors import DevopsbotError, InvalidValue
    from services.subscription_ports import language_of
    from services.subscriptions import SubscriptionsOff
    from services.subscriptions import subscribe as keep_pending

    form = _form(req, _language(req))
    if isinstance(form, func.HttpResponse):
        return form
    language = language_of((form.get("lang") or [""])[0])
    text = TEXT[language]
    try:
        await keep_pending(get_container().dependencies, (form.get("email") or [""])[0], form.get("c", []), language)
    except SubscriptionsOff:
        return _page(404, language, problem=text["off"])
    except InvalidValue as error:
        return _page(422, language, problem=text["email" if error.field == "email" else "components"])
    except DevopsbotError:
        return _page(503, language, problem=text["unavailable"])
    return _page(200, language, done=text["requested"])


async def _link_page(req: func.HttpRequest, purpose: str) -> func.HttpResponse:
    from devopsbot.bootstrap import get_container
    from incident.errors import DevopsbotError
    from services.action_link_tokens import LinkRejected
    from services.subscriptions import SubscriptionsOff, component_names, confirm, unsubscribe

    language = _language(req)
    form: dict[str, list[str]] = {}
    if req.method == "POST":  # the button's form holds the link's token: a long choice of components makes it long
        parsed = _form(req, language, MAX_LINK_FORM)
        if isinstance(parsed, func.HttpResponse):
            return parsed
        form = parsed
    token = (form.get("t") or [req.params.get("t", "")])[0]
    act = req.method == "POST"
    try:
        deps = get_container().dependencies
        check = confirm if purpose == "confirm" else unsubscribe
        claims = await check(deps, token, act=act)
    except SubscriptionsOff:
        return _page(404, language, problem=TEXT[language]["off"])
    except LinkRejected as rejected:
        problem = rejected.problem.value
        return _page(STATUS_BY_PROBLEM.get(problem, 400), language, heading=TEXT[language]["refused"],
                     problem=TEXT[language].get(problem, TEXT[language]["malformed"]))
    except DevopsbotError:
        return _page(503, language, problem=TEXT[language]["unavailable"])
    language = claims.language if claims.language in TEXT else "en"
    text, names = TEXT[language], component_names(deps)
    values = {"components": ", ".join(names.get(c, c) for c in claims.components), "address": claims.address}
    if act:
        return _page(200, language, done=text["confirmed" if purpose == "confirm" else "unsubscribed"].format(**values))
    return _page(200, language, question=text[purpose].format(**values), token=token, action_url=purpose,
                 button=text[f"{purpose}_button"])


@blueprint.route(route="status/confirm", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def confirm_subscription(req: func.HttpRequest) -> func.HttpResponse:
    return await _link_page(req, "confirm")


@blueprint.route(route="status/unsubscribe", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def unsubscribe_link(req: func.HttpRequest) -> func.HttpResponse:
    return await _link_page(req, "unsubscribe")
