"""Markdown escaping of user text, for Teams cards and messages and for Markdown reports alike.

It lives below the adapters so services (reports, digests) and the card templates share one escaping.
"""

from __future__ import annotations

import re

_MARKDOWN_INLINE = str.maketrans({marker: "\\" + marker for marker in "\\`*_[]<>~|"})
# Indentation within one line only: a run of blank lines is then read once, not once per line (``\s*``
# spanning lines made escaping quadratic in the number of newlines).
_MARKDOWN_LINE_START = re.compile(r"^([^\S\n]*)([#>+-]|\d+\.)", re.MULTILINE)


def markdown_escape(text: str) -> str:
    """User text shown in Teams: markdown escaped, so nobody can plant a link, a heading or a list.
    Inline markers everywhere; list and heading markers only where they would start a line."""
    escaped = text.translate(_MARKDOWN_INLINE)
    def at_line_start(match: re.Match[str]) -> str:
        marker = match.group(2)
        return match.group(1) + (marker[:-1] + "\\." if marker.endswith(".") else "\\" + marker)

    return _MARKDOWN_LINE_START.sub(at_line_start, escaped)
