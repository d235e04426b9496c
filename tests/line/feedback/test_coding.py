"""Feedback coding from a seeded tracker store, and incremental, idempotent ingest."""

import dataclasses

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from line.core import db
from line.core import settings as config
from line.core.db import session_scope
from line.feedback import coding
from line.feedback.coding import Feedback
from tests.line.feedback.trackers import seed


@pytest.fixture
def tracker(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, tracker_db_url=url)
    )
    return seed(url)


def rows() -> list[Feedback]:
    with session_scope() as session:
        return list(session.execute(select(Feedback).order_by(Feedback.event_id)).scalars())


def by_text_start(start: str) -> Feedback:
    return next(r for r in rows() if r.intent and (r.text or "").startswith(start))


def test_every_inbound_message_gets_a_code(migrated, tracker):
    assert coding.ingest() == 9
    coded = [(r.intent, r.feedback_type, r.topic, r.region, r.sensitive, r.status) for r in rows()]
    assert coded == [
        ("greet", None, None, None, False, "answered"),
        ("faq", "question", "shelter", None, False, "answered"),
        ("thank", "appreciation", "shelter", None, False, "answered"),
        ("find_service", "question", "vaccination", "La Libertad", False, "answered"),
        ("emergency", "concern", "unresolved", None, True, "handed_off"),
        ("personal_case", "complaint", "unresolved", "Tacna", True, "handed_off"),
        ("nlu_fallback", "question", "unresolved", None, False, "unanswered"),
        ("nlu_fallback", "question", "unresolved", None, False, "handed_off"),
        ("out_of_scope", "question", "unresolved", None, True, "unanswered"),
    ]
    assert {r.channel for r in rows()} == {"whatsapp", "rest"}
    assert set(coding.TYPE_BY_INTENT.values()) <= set(coding.TYPES)


def test_ingest_is_incremental_and_idempotent(migrated, tracker):
    assert coding.ingest() == 9
    assert coding.ingest() == 0
    tracker.turn(
        "51987654321",
        "y el albergue de tacna acepta ninos?",
        "faq",
        faq="shelter",
        utters=("utter_faq/shelter",),
    )
    assert coding.ingest() == 1
    assert len(rows()) == 10
    # The region said earlier in the conversation still counts.
    assert rows()[-1].region == "La Libertad"


def test_rows_hold_no_sender_id_and_only_redacted_unresolved_texts(migrated, tracker):
    coding.ingest()
    stored = rows()
    assert all("51987654321" not in r.sender_hash and len(r.sender_hash) == 32 for r in stored)
    texts = [r.text for r in stored if r.text]
    assert texts == [
        "cuanto cuesta el pasaje a bolivia, escribeme a <EMAIL>",
        "el pasaje de bus a bolivia cuanto sale",
    ]


def test_rumours_complaints_and_suggestions_get_their_own_types(migrated, tracker):
    sender = "wa-ffffffffffffffffffffffffffffffff"
    tracker.session(sender)
    tracker.turn(
        sender,
        "dicen q la vacuna trae un chip",
        "faq",
        faq="rumour_vaccine_microchip",
        utters=("utter_faq/rumour_vaccine_microchip",),
    )
    tracker.turn(sender, "👍", "rate_useful", actions=("action_rate_answer",))
    tracker.turn(
        sender,
        "igual nadie me contesta en el albergue, pesimo",
        "complaint",
        actions=("action_handoff",),
    )
    tracker.turn(sender, "deberian poner info de cursos gratis", "suggestion")
    coding.ingest()
    assert [(r.intent, r.feedback_type, r.topic, r.status) for r in rows()[-4:]] == [
        ("faq", "rumour", "rumour_vaccine_microchip", "answered"),
        ("rate_useful", None, None, "answered"),
        ("complaint", "complaint", "rumour_vaccine_microchip", "handed_off"),
        ("suggestion", "suggestion", "rumour_vaccine_microchip", "answered"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "me pidieron dinero para la lista del bono",
        "dijeron que eran de la cruz roja y me cobraron",
        "el dueno me retuvo el pasaporte",
        "me estan pegando",
    ],
)
def test_abuse_fraud_and_danger_are_sensitive(text):
    assert coding.is_sensitive(text)


@pytest.mark.parametrize("text", ["los albergues cobran?", "donde me vacuno", "hola gracias"])
def test_ordinary_questions_are_not_sensitive(text):
    assert not coding.is_sensitive(text, "faq")


def test_a_stored_text_holds_no_name_document_or_phone(migrated, tracker):
    sender = "wa-eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
    tracker.session(sender)
    said = "me llamo Yuleisy Carrasquel, DNI 45678912, cel 987654321, cuanto cuesta el pasaje"
    tracker.turn(sender, said, "nlu_fallback", actions=("action_clarify",))
    coding.ingest()
    assert by_text_start("me llamo").text == (
        "me llamo <NOMBRE>, DNI <DOCUMENTO>, cel <TELEFONO>, cuanto cuesta el pasaje"
    )


def test_the_model_matches_migration_0007(migrated):
    with db.engine().connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), db.Base.metadata)
    assert [d for d in diffs if "feedback" in repr(d)] == []
