"""Rasa's events as they leave for analytics (RabbitMQ), without personal data.

An event is the dict Rasa serialises (`event`, `text`, `parse_data`, ...). A
person's message loses what the detector finds in its text, in parse_data's text
and in its entity values. The line's own responses keep their wording and lose
only what the person said earlier in the conversation, wherever a response or a
slot echoes it; a bot text that is no response of the domain (an operator's
reply) is redacted like a person's message. Everything else passes unchanged.
"""

from __future__ import annotations

import copy
import re
from collections import OrderedDict
from typing import Any, Optional

from line.privacy.names import NameRecognizer
from line.privacy.pii import detect, redact

USER, BOT, SLOT = "user", "bot", "slot"
# Rasa marks a bot message that is a response of the domain with its name.
RESPONSE_KEY = "utter_action"
# Where a WhatsApp location pin's coordinates travel in a user event's metadata
# (channels/whatsapp.py writes them, actions/directory.py reads them): where a person is.
LOCATION_KEYS = ("latitude", "longitude")
# Conversations whose identifiers are remembered, the oldest forgotten beyond this,
# and identifiers per conversation.
REMEMBERED = 10_000
PER_CONVERSATION = 50


class Said:
    """What each conversation's people said that identifies them, so that a later
    event echoing it loses it too."""

    def __init__(self) -> None:
        self._by_sender: OrderedDict[str, dict[str, str]] = OrderedDict()

    def add(self, sender: Optional[str], identifier: str, placeholder: str) -> None:
        found = self._by_sender.setdefault(sender or "", {})
        self._by_sender.move_to_end(sender or "")
        if identifier.strip() and len(found) < PER_CONVERSATION:
            found[identifier] = placeholder
        while len(self._by_sender) > REMEMBERED:
            self._by_sender.popitem(last=False)

    def hide(self, sender: Optional[str], text: str) -> str:
        """`text` with every identifier of the conversation replaced, longest first,
        as whole words ("Ana" stays in "Anabel")."""
        found = self._by_sender.get(sender or "", {})
        for identifier in sorted(found, key=len, reverse=True):
            whole = re.compile(rf"(?<!\w){re.escape(identifier)}(?!\w)")
            text = whole.sub(lambda _, placeholder=found[identifier]: placeholder, text)
        return text


def _hide_values(value: Any, sender: Optional[str], said: Said) -> Any:
    if isinstance(value, str):
        return said.hide(sender, value)
    if isinstance(value, list):
        return [_hide_values(v, sender, said) for v in value]
    if isinstance(value, dict):
        return {k: _hide_values(v, sender, said) for k, v in value.items()}
    return value


def _redact_user(event: dict, said: Said) -> None:
    sender = event.get("sender_id")
    text = event.get("text")
    findings = detect(text) if isinstance(text, str) else []
    for found in findings:
        span, placeholder = text[found.start : found.end], f"<{found.kind}>"
        said.add(sender, span, placeholder)
        if (
            found.kind == NameRecognizer.kind
        ):  # "Gracias, Yuleisy": a response may use one of its words
            for word in span.split():
                if len(word) > 3 or word[:1].isupper():  # not "de", "la", "los"
                    said.add(sender, word, placeholder)
    if isinstance(text, str):
        event["text"] = redact(text)
    metadata = event.get("metadata")
    if isinstance(metadata, dict):
        for key in LOCATION_KEYS:
            metadata.pop(key, None)
    parse = event.get("parse_data")
    if not isinstance(parse, dict):
        return
    if isinstance(parse.get("text"), str):
        parse["text"] = redact(parse["text"])
    for entity in parse.get("entities") or []:
        value = entity.get("value")
        if isinstance(value, str):
            hidden = redact(said.hide(sender, value))
            if hidden != value:
                said.add(sender, value, hidden)
            entity["value"] = hidden


def redact_event(event: dict, said: Said) -> dict:
    """A redacted copy of one event; `said` remembers identifiers across events."""
    kind = event.get("event")
    if kind not in (USER, BOT, SLOT):
        return event
    event = copy.deepcopy(event)
    sender = event.get("sender_id")
    if kind == USER:
        _redact_user(event, said)
    elif kind == BOT and isinstance(event.get("text"), str):
        text = said.hide(sender, event["text"])
        if not (event.get("metadata") or {}).get(RESPONSE_KEY):
            text = redact(text)
        event["text"] = text
    elif kind == SLOT:
        event["value"] = _hide_values(event.get("value"), sender, said)
    return event
