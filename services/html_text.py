"""Readable text from HTML that people send (a mail body, a formatted Teams message), in one linear pass.

Tags are dropped, line-ending tags become newlines, script and style blocks go with their content and
entities are decoded. The result is only ever shown escaped, so this is about legibility, not safety; what
matters is that no markup can make it slow (the regular expressions it replaced were quadratic on
``'<script>' * n``), so each character is looked at a bounded number of times.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection

_BREAKS = frozenset({"br", "/p", "/div", "/li", "/tr", *(f"/h{level}" for level in range(1, 10))})
_BLOCKS = ("script", "style")  # dropped with everything up to their closing tag
_CLOSING = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in _BLOCKS}
_NAME = re.compile(r"\s*(/?[A-Za-z0-9]*)")


def html_to_text(markup: str, *, keep: Collection[str] = ()) -> str:
    """The text of ``markup``; tags written exactly as in ``keep`` (say ``"<at>"``) stay as they are."""
    parts: list[str] = []
    closing: dict[str, int] = {}  # per block name: where its next closing tag starts, -1 when there is none
    at, size = 0, len(markup)
    while at < size:
        opening = markup.find("<", at)
        end = markup.find(">", opening + 1) if opening >= 0 else -1
        if end < 0:  # no tag can be complete from here on: the rest is text
            parts.append(markup[at:])
            break
        parts.append(markup[at:opening])
        at = end + 1
        tag = markup[opening:at]
        if tag == "<>" or tag in keep:
            parts.append(tag)
            continue
        found = _NAME.match(tag, 1)
        name = found.group(1).lower() if found else ""
        if name in _BREAKS:
            parts.append("\n")
        elif name in _BLOCKS and tag[1:1 + len(name)].lower() == name:
            at = _block_end(markup, name, at, closing)
    return html.unescape("".join(parts)).replace("\xa0", " ")


def _block_end(markup: str, name: str, start: int, closing: dict[str, int]) -> int:
    """Where text resumes after a script or style block opened before ``start``: after its closing tag, or at
    ``start`` when it is never closed. A closing tag found once is remembered, so an unclosed block repeated
    many times costs one search, not one per block."""
    known = closing.get(name)
    if known is None or 0 <= known < start:
        found = _CLOSING[name].search(markup, start)
        known = closing[name] = found.start() if found else -1
    if known < 0:
        return start
    match = _CLOSING[name].match(markup, known)
    return match.end() if match else start
