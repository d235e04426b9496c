"""IFRC community-engagement feedback coding of every inbound message.

The codes are computed from what Rasa's SQL tracker store recorded, so coding
needs no change to the model or the actions and can be redone for old
conversations. Each `user` event gives one row of the `feedback` table, keyed by
(pseudonymous sender hash, event timestamp): ingesting again adds only what is
new and never duplicates a row.

Feedback type, by the intent the line acted on (IFRC codebook types):

| intent                                       | type         | topic                  |
|----------------------------------------------|--------------|------------------------|
| faq, choose_faq                              | question     | the FAQ topic answered |
| find_service                                 | question     | the service category   |
| request_human, out_of_scope, nlu_fallback    | question     | "unresolved"           |
| emergency                                    | concern      | as found, else "unresolved" |
| personal_case                                | complaint    | as found, else "unresolved" |
| thank                                        | appreciation | the last topic of the conversation |
| complaint                                    | complaint    | the last topic, else "unresolved" |
| suggestion                                   | suggestion   | the last topic, else "unresolved" |
| any other (greet, goodbye, affirm, deny, ...) | none: steps of a dialogue |          |

Greetings, answers to the line's questions, ratings (line/feedback/ratings.py keeps those)
and a request to erase one's data are not feedback.

A question answered with a rumour topic (contract/rumours.yml) is coded
"rumour": the person repeated or asked about a myth.

A question or rumour the line did not answer well waits for the content team's review
(the console's review inbox, `make suggest`), with its text redacted and why (`review`):
handed to a person, clarified ("¿Quisiste decir…?"), unresolved, an answer rated 👎, or an
answer given with a confidence under LOW_CONFIDENCE. Only such a message keeps its text,
and only when it is not sensitive. A message is sensitive when it
is an emergency or a personal case, when the safety net (line/understanding/safety.py)
finds danger, or when it matches lexicon/sensitive.yml (abuse, exploitation, fraud by
someone claiming to help).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Collection, Iterable, Iterator, Optional

import yaml
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    Integer,
    String,
    Text,
    column,
    create_engine,
    func,
    or_,
    select,
    table,
    update,
)
from sqlalchemy.engine import make_url

from line.core import settings as config
from line.core import topics
from line.core.db import Base, session_scope
from line.directory.store import official_region
from line.privacy import redact
from line.understanding import names, safety

TYPES = ("question", "rumour", "concern", "complaint", "suggestion", "appreciation")
# What the line did with a message: answered it, handed it to a person, or neither.
ANSWERED, HANDED_OFF, UNANSWERED = "answered", "handed_off", "unanswered"
STATUSES = (ANSWERED, HANDED_OFF, UNANSWERED)
# The Spanish words of the types and statuses, for every page that shows them.
CODEBOOK_FILE = Path(__file__).parent / "templates" / "codebook.yml"
CHOOSE_FAQ_INTENT = "choose_faq"
TYPE_BY_INTENT = {
    names.FAQ_INTENT: "question",
    CHOOSE_FAQ_INTENT: "question",
    names.FIND_SERVICE_INTENT: "question",
    names.REQUEST_HUMAN_INTENT: "question",
    names.OUT_OF_SCOPE_INTENT: "question",
    names.NLU_FALLBACK_INTENT: "question",
    names.EMERGENCY_INTENT: "concern",
    names.PERSONAL_CASE_INTENT: "complaint",
    "thank": "appreciation",
    names.COMPLAINT_INTENT: "complaint",
    "suggestion": "suggestion",
}
# The line could not answer these itself: the content team's to-do list.
UNRESOLVED_INTENTS = {
    names.REQUEST_HUMAN_INTENT,
    names.OUT_OF_SCOPE_INTENT,
    names.NLU_FALLBACK_INTENT,
}
SENSITIVE_INTENTS = {names.EMERGENCY_INTENT, names.PERSONAL_CASE_INTENT}
# About what the conversation was on: coded with its last topic.
FOLLOW_UP_INTENTS = {"thank", names.COMPLAINT_INTENT, "suggestion"}
# The topic of a question the line could not answer (not a handoff reason).
UNRESOLVED = "unresolved"
HANDOFF_ACTION = "action_handoff"
CLARIFY_ACTION = "action_clarify"
# Why a message waits for the content team's review, strongest first: a later 👎 outranks
# only a low confidence.
HANDOFF, CLARIFIED, NOT_USEFUL, LOW_CONFIDENCE_ANSWER = (
    "handoff",
    "clarified",
    "not_useful",
    "low_confidence",
)
REVIEWED_TYPES = ("question", "rumour")
# An FAQ answer given with less than this confidence waits for review (the line answers
# from faq_gate, 0.3 in config.yml).
LOW_CONFIDENCE = 0.5
SLOTS = ("region", "service_category")
SERVICE_INTENTS = {names.FIND_SERVICE_INTENT, names.INFORM_INTENT, "show_more", "share_location"}
# Rasa's events table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent).
EVENTS = table(
    "events",
    column("id"),
    column("sender_id"),
    column("type_name"),
    column("timestamp"),
    column("action_name"),
    column("data"),
)
# Senders read per query: keeps IN (...) lists well under database limits.
SENDER_BATCH = 500


class Feedback(Base):
    __tablename__ = "feedback"

    sender_hash = Column(String(32), primary_key=True)
    timestamp = Column(Float, primary_key=True)
    event_id = Column(Integer, nullable=False, index=True)
    date = Column(Date, nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    intent = Column(String(64))
    feedback_type = Column(String(16))  # None: a dialogue step, not feedback
    topic = Column(String(64))
    region = Column(String(64))
    sensitive = Column(Boolean, nullable=False, default=False)
    handoff = Column(Boolean, nullable=False, default=False)
    # answered (by the line), handed_off (to a person) or unanswered.
    status = Column(String(16), nullable=False)
    # Kept (redacted) only for non-sensitive questions the line did not answer well (why:
    # `review`, HANDOFF, CLARIFIED, UNRESOLVED, NOT_USEFUL or LOW_CONFIDENCE_ANSWER): what
    # the content team needs to write new examples.
    text = Column(Text)
    review = Column(String(16), index=True)
    confidence = Column(Float)  # of the FAQ answer given; None when none was


@dataclass(frozen=True)
class Code:
    """The coding of one inbound message, before it is stored."""

    event_id: int
    timestamp: float
    date: date
    channel: str
    intent: Optional[str]
    feedback_type: Optional[str]
    topic: Optional[str]
    region: Optional[str]
    sensitive: bool
    handoff: bool
    status: str
    text: Optional[str]
    review: Optional[str] = None
    confidence: Optional[float] = None


def sender_hash(sender_id: str) -> str:
    """WhatsApp sender ids are already keyed pseudonyms; hashing again with the
    secret makes REST ids (which may be anything) unlinkable as well."""
    key = config.settings.pseudonym_secret.encode("utf-8")
    return hmac.new(key, f"feedback:{sender_id}".encode("utf-8"), hashlib.sha256).hexdigest()[:32]


@lru_cache(maxsize=1)
def _rumour_ids() -> frozenset:
    return frozenset(topics.rumour_ids())


@lru_cache(maxsize=1)
def codebook() -> dict:
    """{"types": {type: word}, "statuses": {status: word}}, in Spanish."""
    return yaml.safe_load(CODEBOOK_FILE.read_text(encoding="utf-8"))


def is_sensitive(text: str, intent: Optional[str] = None) -> bool:
    """Sensitive feedback is handled confidentially (IFRC): flag it by intent,
    by the safety net, or by the content team's lexicon."""
    return intent in SENSITIVE_INTENTS or safety.is_sensitive(text or "")


def _entity(parse: dict, name: str) -> Optional[str]:
    for entity in parse.get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def _local_date(timestamp: float) -> date:
    zone = timezone(timedelta(hours=config.settings.utc_offset_hours))
    return datetime.fromtimestamp(timestamp, zone).date()


def code_conversation(events: Iterable[dict]) -> Iterator[Code]:
    """Code each user event of one sender's events (dicts with id, type_name,
    timestamp and the parsed `data`), in order. Slots are followed across the
    conversation so a region said earlier still counts."""
    events = list(events)
    slots: dict[str, str] = {}
    last_topic: Optional[str] = None
    codes: list[Code] = []
    texts: list[str] = []
    for index, event in enumerate(events):
        kind, data = event["type_name"], event["data"]
        if kind == "slot" and data.get("name") in SLOTS:
            slots[data["name"]] = data.get("value")
        elif kind == "session_started":
            slots.clear()
        if kind != "user":
            continue
        turn = []
        for later in events[index + 1 :]:
            if later["type_name"] == "user":
                break
            turn.append(later)
        code = _code(event, turn, slots, last_topic)
        if code.feedback_type and code.topic != UNRESOLVED:
            last_topic = code.topic
        if code.intent == names.RATE_NOT_USEFUL_INTENT:
            _rated_not_useful(
                codes, texts, _entity(event["data"].get("parse_data") or {}, "faq_topic")
            )
        codes.append(code)
        texts.append(event["data"].get("text") or "")
    yield from codes


def _rated_not_useful(codes: list[Code], texts: list[str], topic: Optional[str]) -> None:
    """The last FAQ answer (of `topic`, when the rating names it) was rated 👎: its question
    waits for review, unless something stronger already made it wait."""
    for index in range(len(codes) - 1, -1, -1):
        code = codes[index]
        if code.confidence is None or (topic and code.topic != topic):
            continue
        if code.review in (None, LOW_CONFIDENCE_ANSWER) and _reviewable(code, texts[index]):
            codes[index] = replace(code, review=NOT_USEFUL, text=redact(texts[index]))
        return


def _reviewable(code: Code, text: str) -> bool:
    """A question the content team may read: never a sensitive one, nor a button's payload."""
    return code.feedback_type in REVIEWED_TYPES and not code.sensitive and not text.startswith("/")


def _code(event: dict, turn: list[dict], slots: dict, last_topic: Optional[str]) -> Code:
    data = event["data"]
    parse = data.get("parse_data") or {}
    intent = (parse.get("intent") or {}).get("name")
    text = data.get("text") or ""
    # Slots the turn itself set (from this message's entities or a form) count too.
    slots = {
        **slots,
        **{
            later["data"]["name"]: later["data"].get("value")
            for later in turn
            if later["type_name"] == "slot" and later["data"].get("name") in SLOTS
        },
    }
    actions = {later["data"].get("name") for later in turn if later["type_name"] == "action"}
    selected = names.faq_selection(parse).get("response") or {}
    utters = [
        (later["data"].get("metadata") or {}).get("utter_action")
        for later in turn
        if later["type_name"] == "bot"
    ]
    answered_faq = next(filter(None, map(names.faq_topic_of, utters)), None)
    handoff = HANDOFF_ACTION in actions
    feedback_type = TYPE_BY_INTENT.get(intent)
    if intent in UNRESOLVED_INTENTS:
        topic = answered_faq or UNRESOLVED
    elif intent in FOLLOW_UP_INTENTS:
        topic = last_topic or UNRESOLVED
    else:
        topic = (
            answered_faq
            or (names.selected_faq_topic(parse) if intent == names.FAQ_INTENT else None)
            or (_entity(parse, "faq_topic") if intent == CHOOSE_FAQ_INTENT else None)
            or (
                _entity(parse, "service_category") or slots.get("service_category")
                if intent in SERVICE_INTENTS
                else None
            )
            or UNRESOLVED
        )
    if feedback_type is None:
        topic = None
    elif feedback_type == "question" and topic in _rumour_ids():
        feedback_type = "rumour"
    region = _entity(parse, "region") or slots.get("region")
    sensitive = (
        is_sensitive(text, intent)
        or bool(parse.get(names.DANGER_KEY))
        or bool(parse.get(names.ABUSE_KEY))
    )
    if handoff:
        status = HANDED_OFF
    elif topic == UNRESOLVED or CLARIFY_ACTION in actions:
        status = UNANSWERED
    else:
        status = ANSWERED
    confidence = selected.get("confidence") if answered_faq else None
    if handoff:
        review = HANDOFF
    elif CLARIFY_ACTION in actions:
        review = CLARIFIED
    elif topic == UNRESOLVED:
        review = UNRESOLVED
    elif confidence is not None and confidence < LOW_CONFIDENCE:
        review = LOW_CONFIDENCE_ANSWER
    else:
        review = None
    code = Code(
        event_id=event["id"],
        timestamp=event["timestamp"],
        date=_local_date(event["timestamp"]),
        channel=data.get("input_channel") or "rest",
        intent=intent,
        feedback_type=feedback_type,
        topic=topic,
        region=(official_region(region) or region) if region else None,
        sensitive=sensitive,
        handoff=handoff,
        status=status,
        text=None,
        confidence=confidence,
    )
    if review and _reviewable(code, text):
        return replace(code, review=review, text=redact(text))
    return code


def _tracker_events(connection, senders: list[str]) -> dict[str, list[dict]]:
    rows = connection.execute(
        select(
            EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data
        )
        .where(EVENTS.c.sender_id.in_(senders))
        .order_by(EVENTS.c.id)
    )
    by_sender: dict[str, list[dict]] = {}
    for row in rows:
        by_sender.setdefault(row.sender_id, []).append(
            {
                "id": row.id,
                "type_name": row.type_name,
                "timestamp": row.timestamp,
                "data": json.loads(row.data or "{}"),
            }
        )
    return by_sender


def tracker_available() -> bool:
    """False when the default SQLite tracker store was never created (no
    conversation yet): reports then show what was coded before."""
    url = make_url(config.settings.tracker_db_url)
    return url.get_backend_name() != "sqlite" or Path(url.database or "").exists()


def ingest(tracker_url: Optional[str] = None, skip: Collection[str] = ()) -> int:
    """Code the user events recorded since the last ingest, except those of the senders
    in `skip` (their erasure is under way); returns rows added.

    Only senders with new events are read, each with their whole history (for
    slots and the last topic); events already coded are skipped by id, and any
    row already stored is skipped by its key, so running it twice adds nothing.
    """
    with session_scope() as session:
        watermark = session.execute(select(func.max(Feedback.event_id))).scalar() or 0
    tracker = create_engine(tracker_url or config.settings.tracker_db_url, future=True)
    added = 0
    try:
        with tracker.connect() as connection:
            senders = [
                s
                for (s,) in connection.execute(
                    select(EVENTS.c.sender_id)
                    .where(EVENTS.c.id > watermark, EVENTS.c.type_name == "user")
                    .distinct()
                )
                if s not in skip
            ]
            for start in range(0, len(senders), SENDER_BATCH):
                batch = _tracker_events(connection, senders[start : start + SENDER_BATCH])
                coded = {
                    sender: list(code_conversation(events)) for sender, events in batch.items()
                }
                added += _store(
                    {
                        sender: [c for c in codes if c.event_id > watermark]
                        for sender, codes in coded.items()
                    }
                )
                # A 👎 on an answer coded by an earlier ingest.
                _mark_not_useful(
                    {
                        sender: [
                            c for c in codes if c.event_id <= watermark and c.review == NOT_USEFUL
                        ]
                        for sender, codes in coded.items()
                    }
                )
    finally:
        tracker.dispose()
    return added


def _store(codes_by_sender: dict[str, list[Code]]) -> int:
    rows = {}
    for sender, codes in codes_by_sender.items():
        hashed = sender_hash(sender)
        for code in codes:
            rows[(hashed, code.timestamp)] = Feedback(sender_hash=hashed, **code.__dict__)
    if not rows:
        return 0
    with session_scope() as session:
        hashes = {key[0] for key in rows}
        existing = {
            tuple(row)
            for row in session.execute(
                select(Feedback.sender_hash, Feedback.timestamp).where(
                    Feedback.sender_hash.in_(hashes)
                )
            )
        }
        new = [row for key, row in rows.items() if key not in existing]
        session.add_all(new)
        return len(new)


def _mark_not_useful(codes_by_sender: dict[str, list[Code]]) -> None:
    """Stored rows whose answer was rated 👎 since: they wait for review, with their text."""
    with session_scope() as session:
        for sender, codes in codes_by_sender.items():
            for code in codes:
                session.execute(
                    update(Feedback)
                    .where(
                        Feedback.sender_hash == sender_hash(sender),
                        Feedback.timestamp == code.timestamp,
                        or_(Feedback.review.is_(None), Feedback.review == LOW_CONFIDENCE_ANSWER),
                    )
                    .values(review=code.review, text=code.text)
                )
