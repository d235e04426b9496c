"""Why a person is handed to an operator, each reason once, with its place in the queue.

The console shows each reason in Spanish (console/templates/_labels.html)."""

from __future__ import annotations

EMERGENCY = "emergency"  # danger happening now
CASE = "case"  # a personal case, or a report of abuse, exploitation or fraud
LEGAL = "legal"  # a legal situation that needs a person's judgement
REQUESTED = "requested"  # the person asked for a person
COMPLAINT = "complaint"  # unhappy with the line or a service
UNRESOLVED = "unresolved"  # the line did not understand, twice
TECHNICAL = "technical"  # the line failed to answer (docs/failures.md)
MEDIA = "media"  # a voice note, photo or file: a person listens or looks (line/media/)

# Lower number = answered first.
PRIORITY = {
    EMERGENCY: 0,
    CASE: 1,
    LEGAL: 1,
    REQUESTED: 2,
    COMPLAINT: 2,
    UNRESOLVED: 2,
    TECHNICAL: 2,
    MEDIA: 2,
}
REASONS = tuple(PRIORITY)
