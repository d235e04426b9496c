"""Small helpers shared by the actions (no business logic here)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa_sdk import Action, Tracker
from sqlalchemy.exc import SQLAlchemyError

from line.core.db import DatabaseUnavailable

# What a store may raise when the database or the disk fails: the action says so kindly.
STORAGE_ERRORS = (DatabaseUnavailable, SQLAlchemyError, OSError)


def latest_intent(tracker: Tracker) -> Optional[Text]:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> Text:
    return (tracker.latest_message or {}).get("text") or ""


def latest_entity(tracker: Tracker, entity: Text) -> Optional[Any]:
    return next(tracker.get_latest_entity_values(entity), None)


def domain_text(domain: Dict[Text, Any], response: Text) -> Text:
    """First text of a domain response: wording stays in the domain, not in code."""
    return domain["responses"][response][0]["text"]


class LineAction(Action):
    """A custom action of the line, named by its NAME (the domain's action name)."""

    NAME: Text = ""

    def name(self) -> Text:
        return self.NAME
