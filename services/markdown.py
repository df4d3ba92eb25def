"""Markdown escaping of user text, for Teams cards and messages and for Markdown reports alike.

It lives below the adapters so services (reports, digests) and the card templates share one escaping.
"""

from __future__ import annotations

import re

_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>~|])")
_MARKDOWN_LINE_START = re.compile(r"^(\s*)([#>+-]|\d+\.)", re.MULTILINE)


def markdown_escape(text: str) -> str:
    """User text shown in Teams: markdown escaped, so nobody can plant a link, a heading or a list.
    Inline markers everywhere; list and heading markers only where they would start a line."""
    escaped = _MARKDOWN_INLINE.sub(r"\\\1", text)
    def at_line_start(match: re.Match[str]) -> str:
        marker = match.group(2)
        return match.group(1) + (marker[:-1] + "\\." if marker.endswith(".") else "\\" + marker)

    return _MARKDOWN_LINE_START.sub(at_line_start, escaped)
