"""The incident document rendered from its content: Markdown with every value escaped, HTML autoescaped.

Rendered by the documents environment of ``adapters/templates.py`` (templates/postmortem/): values are
data, never template source, so text like ``{{ 7*7 }}`` in a postmortem prints as typed; Markdown escapes
every interpolated value (no planted links, headings or HTML) and HTML escapes it for HTML.
"""

from __future__ import annotations

from adapters.templates import document_environment
from services.incident_document import IncidentDocument

FORMATS = {"md": ("document.md.j2", "text/markdown; charset=utf-8"),
           "html": ("document.html.j2", "text/html; charset=utf-8")}


def render_document(document: IncidentDocument, document_format: str) -> str:
    """The document as Markdown (``md``) or HTML (``html``)."""
    template, _ = FORMATS[document_format]
    return document_environment(document_format).get_template(template).render(doc=document, i=document.incident)


def content_type(document_format: str) -> str:
    return FORMATS[document_format][1]
