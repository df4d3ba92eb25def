"""Who is next when nobody acts: the roster's chain for a role, then the organisation's escalation contact."""

from __future__ import annotations

from collections.abc import Sequence

from incident.people import Person


def next_holder(chain: Sequence[Person], current: Person | None, contact: Person | None) -> Person | None:
    """The person after ``current`` in ``chain`` (primary, then delegates in order), then ``contact``.

    A holder who is not in the chain hands over to its first person. None means the chain is spent:
    the caller says so out loud, it never ends silently.
    """
    people = [p for i, p in enumerate(chain) if p.id not in {q.id for q in chain[:i]}]
    if contact is not None and all(p.id != contact.id for p in people):
        people.append(contact)
    ids = [p.id for p in people]
    position = ids.index(current.id) + 1 if current is not None and current.id in ids else 0
    return next((p for p in people[position:] if current is None or p.id != current.id), None)
