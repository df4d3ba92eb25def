"""Notes in an incident's timeline: what people said, typed by hand (``note``) or captured from a Teams message
with its author, time and a link back, and the key events among them that the incident document sets apart."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from incident.errors import IllegalTransition, InvalidValue
from incident.lifecycle import Status
from incident.model import Incident
from incident.people import Person
from incident.timeline import MAX_TEXT, TimelineEvent, clean_text, require_aware, web_link

NOTE_ADDED = "note_added"
NOTE_PINNED, NOTE_UNPINNED = "note_pinned", "note_unpinned"  # a note made a key event later, or no longer one
MAX_NOTE = MAX_TEXT
KEPT_CONTROLS = frozenset("\n\t")
CUT = " […]"  # ends a captured message longer than a note; the link back keeps the whole of it


@dataclass(frozen=True)
class Source:
    """Where a captured note was said: who wrote it, when, and the link back to the message."""

    author: Person
    said_at: datetime
    link: str = ""


@dataclass(frozen=True)
class Note:
    """A note as the document and ``incident show --json`` read it back from the timeline."""

    sequence: int
    added_at: datetime
    added_by: str
    text: str
    pinned: bool
    author: str  # who said it: the captured message's author, else whoever added it
    said_at: str  # ISO 8601: when it was said (for a typed note, when it was added)
    link: str


def plain_text(text: str) -> str:
    """``text`` without control characters (line breaks and tabs kept): one pass, nothing to backtrack."""
    return "".join(c for c in text if c in KEPT_CONTROLS or unicodedata.category(c) != "Cc")


def _capped(text: str) -> str:
    return text if len(text) <= MAX_NOTE else text[:MAX_NOTE - len(CUT)].rstrip() + CUT


def add_note(incident: Incident, *, actor: Person, at: datetime, text: str, pinned: bool = False,
             source: Source | None = None) -> TimelineEvent:
    """Record a note (a key event when ``pinned``). A note typed too long is refused; a captured message too long
    is cut, as its link keeps the whole. Control characters go: the text is shown in cards, mail and documents."""
    require_aware(at)
    if incident.status is Status.CLOSED:
        raise IllegalTransition(incident.id, incident.status.value, "noted")
    cleaned = plain_text(text[:MAX_NOTE * 2] if source else text)
    clean = clean_text("note", _capped(cleaned.strip()) if source else cleaned, limit=MAX_NOTE, required=True)
    after = {"text": clean, **({"pinned": "yes"} if pinned else {})}
    summary = clean
    if source is not None:
        require_aware(source.said_at)
        author = plain_text(source.author.name)[:200].strip() or source.author.id
        after |= {"author": author, "author_id": source.author.id, "said_at": source.said_at.isoformat(),
                  "link": web_link("link", source.link, required=False)}
        summary = f"{author}: {clean}"
    return incident.record(actor, at, NOTE_ADDED, summary, after=after)


def notes_of(timeline: Iterable[TimelineEvent]) -> list[Note]:
    """Every note of a timeline, in the order they were added (note 1 first), pinned as the latest ``pin`` or
    ``unpin`` of it left it."""
    found: dict[int, Note] = {}
    for e in timeline:
        if e.kind == NOTE_ADDED:
            found[e.sequence] = Note(
                sequence=e.sequence, added_at=e.at, added_by=e.actor.name or e.actor.id, text=e.after.get("text", ""),
                pinned=e.after.get("pinned") == "yes", author=e.after.get("author") or e.actor.name or e.actor.id,
                said_at=e.after.get("said_at") or e.at.isoformat(), link=e.after.get("link", ""))
        elif e.kind in (NOTE_PINNED, NOTE_UNPINNED) and (note := found.get(int(e.after.get("note", "0") or 0))):
            found[note.sequence] = replace(note, pinned=e.kind == NOTE_PINNED)
    return list(found.values())


def numbered_note(notes: list[Note], number: int, incident_id: str) -> Note:
    """Note ``number`` (from 1, in the order the notes were added), or a sentence saying which numbers exist."""
    if not notes:
        raise InvalidValue("note", f"{incident_id} has no notes yet: add one with 'note <text>' first")
    if not 1 <= number <= len(notes):
        raise InvalidValue("note", f"there is no note {number} in {incident_id}: its notes are numbered 1 to "
                                   f"{len(notes)}")
    return notes[number - 1]


def pin_note(incident: Incident, *, actor: Person, at: datetime, note: Note, number: int,
             pinned: bool) -> TimelineEvent:
    """Make note ``number`` a key event (``pinned``) or an ordinary note again: recorded, never rewritten."""
    require_aware(at)
    if incident.status is Status.CLOSED:
        raise IllegalTransition(incident.id, incident.status.value, "pinned" if pinned else "unpinned")
    what = "pinned as a key event" if pinned else "no longer a key event"
    text = note.text if len(note.text) <= 200 else note.text[:199] + "…"
    return incident.record(actor, at, NOTE_PINNED if pinned else NOTE_UNPINNED, f"note {number} {what}: {text}",
                           after={"note": str(note.sequence), "number": str(number), "text": text})
