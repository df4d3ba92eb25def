"""The words of the action-link page (functions/actions.py) in English and French: the reader's language comes
signed in the link, or, before the link is known to be good, from the browser's Accept-Language."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, Any]] = {
    "en": {
        "headings": {"ack": ("Acknowledge the incident", "Acknowledge"),
                     "update": ("Post a status update", "Post update"), "resolve": ("Resolve the incident", "Resolve")},
        "explanation": {
            "malformed": "This link is incomplete or damaged. Copy the whole link from the email, or act in Teams.",
            "tampered": "This link is not valid: it was changed after devopsbot signed it. Nothing was done.",
            "expired": "This link has expired. Nothing was done. Use a link from a newer email, or act in Teams.",
            "used": "This link has already been used, and works only once. Nothing more was done.",
        },
        "done": {"ack": "Acknowledged. The incident's timeline and cards now say so.",
                 "update": "Your update is posted to the incident's timeline and cards.",
                 "resolve": "The incident is resolved; the resolution is announced where the incident was."},
        "page": {"heading": "Incident action", "refused": "This link cannot be used", "too_much": "Too much text",
                 "too_much_problem": "The form is larger than {kb} KB.", "unreadable": "The form could not be read",
                 "unreadable_problem": "Send the form from the page again.", "no_incident": "No such incident",
                 "no_incident_problem": "The incident of this link no longer exists.",
                 "nothing_done": "Nothing was done: {error}", "unavailable": "devopsbot is unavailable",
                 "unavailable_problem": "Nothing was done: {error}. Try again shortly.",
                 "acting_as": "You are acting as", "update": "Status update", "resolution": "Resolution",
                 "criteria": "Exit criteria met",
                 "override": "Reason to resolve although a criterion is unmet (optional)"},
    },
    "fr": {
        "headings": {"ack": ("Accuser réception de l'incident", "Accuser réception"),
                     "update": ("Publier un point de situation", "Publier le point"),
                     "resolve": ("Résoudre l'incident", "Résoudre")},
        "explanation": {
            "malformed": "Ce lien est incomplet ou abîmé. Copiez le lien entier depuis le courriel, ou agissez "
                         "dans Teams.",
            "tampered": "Ce lien n'est pas valide : il a été modifié après sa signature par devopsbot. Rien n'a été "
                        "fait.",
            "expired": "Ce lien a expiré. Rien n'a été fait. Utilisez le lien d'un courriel plus récent, ou agissez "
                       "dans Teams.",
            "used": "Ce lien a déjà servi, et ne sert qu'une fois. Rien de plus n'a été fait.",
        },
        "done": {"ack": "Réception accusée. La chronologie et les cartes de l'incident l'indiquent désormais.",
                 "update": "Votre point est publié dans la chronologie et sur les cartes de l'incident.",
                 "resolve": "L'incident est résolu ; la résolution est annoncée là où se trouvait l'incident."},
        "page": {"heading": "Action sur un incident", "refused": "Ce lien ne peut pas servir",
                 "too_much": "Texte trop long", "too_much_problem": "Le formulaire dépasse {kb} Ko.",
                 "unreadable": "Le formulaire est illisible",
                 "unreadable_problem": "Renvoyez le formulaire depuis la page.",
                 "no_incident": "Incident introuvable", "no_incident_problem": "L'incident de ce lien n'existe plus.",
                 "nothing_done": "Rien n'a été fait : {error}", "unavailable": "devopsbot est indisponible",
                 "unavailable_problem": "Rien n'a été fait : {error}. Réessayez dans un instant.",
                 "acting_as": "Vous agissez en tant que", "update": "Point de situation", "resolution": "Résolution",
                 "criteria": "Critères de sortie remplis",
                 "override": "Raison de résoudre bien qu'un critère ne soit pas rempli (facultatif)"},
    },
}


def texts(language: str) -> dict[str, Any]:
    """The page's words in ``language``; English for any language not shipped."""
    return TEXTS.get(language, TEXTS["en"])
