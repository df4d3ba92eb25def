"""The incident document rendered from its content: Markdown with every value escaped, HTML autoescaped.

Rendered by the documents environment of ``adapters/templates.py`` (templates/postmortem/): values are
data, never template source, so text like ``{{ 7*7 }}`` in a postmortem prints as typed; Markdown escapes
every interpolated value (no planted links, headings or HTML) and HTML escapes it for HTML. The document's
own words (``w``, services/document_language.py) are devopsbot's, marked safe, in English or French.
"""

from __future__ import annotations

from markupsafe import Markup

from adapters.templates import document_environment
from services.document_language import status_word, template_keys, words
from services.incident_document import IncidentDocument

FORMATS = {"md": ("document.md.j2", "text/markdown; charset=utf-8"),
           "html": ("document.html.j2", "text/html; charset=utf-8")}


def render_document(document: IncidentDocument, document_format: str, language: str = "en") -> str:
    """The document as Markdown (``md``) or HTML (``html``), its own words in ``language`` ("fr", else English).
    ``document`` should be built in the same language (services.incident_document.build_document)."""
    template, _ = FORMATS[document_format]
    shown = "fr" if language == "fr" else "en"
    return document_environment(document_format).get_template(template).render(
        doc=document, i=document.incident, language=shown, w={k: Markup(v) for k, v in words(shown).items()},  # noqa: S704
        status=status_word(document.incident.status.value, shown), keys=template_keys(shown))


def content_type(document_format: str) -> str:
    return FORMATS[document_format][1]
