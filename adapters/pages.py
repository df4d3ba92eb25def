"""Plain HTML pages served to people outside Teams (email action links): autoescaped, no scripts."""

from __future__ import annotations

from typing import Any

from adapters.templates import page_environment

# No script may run and nothing loads from elsewhere; the form posts only back here.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the token is in the URL: never leak it onward
    "Cache-Control": "no-store",
}


def render_page(name: str, **data: Any) -> str:
    return page_environment().get_template(f"{name}.html.j2").render(**data)
