"""A fix for a CPU cost botbuilder pays on every Bot Connector client it builds (one per turn and per
proactive message).

msrest's ``ClientRetryPolicy.__init__`` computes its retry codes as ``[i for i in range(999) if i not in
self.safe_codes]`` with ``safe_codes`` a 500-item list: half a million comparisons, about 6 ms of CPU per
client. In a declaration storm that was two thirds of the process's CPU time (bench/declaration_storm.py).
The same codes as a frozenset give the same retry codes in microseconds.
"""

from __future__ import annotations

from msrest.universal_http.requests import ClientRetryPolicy


def make_retry_policy_cheap() -> None:
    """Idempotent; the retry codes msrest derives are unchanged (a test compares them)."""
    codes: object = ClientRetryPolicy.safe_codes
    if not isinstance(codes, frozenset):
        # Typed as a list by msrest; only ``in`` is ever asked of it.
        ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]
