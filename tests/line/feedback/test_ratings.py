"""Ratings of FAQ answers: stored under a keyed hash, summarised per topic."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from line.core import db
from line.core.db import session_scope
from line.feedback import erasure, ratings  # noqa: F401  (erasure registers its table)
from line.feedback.ratings import Rating


def test_a_rating_is_stored_without_the_sender_id(migrated):
    ratings.record("wa-0123456789abcdef0123456789abcdef", "shelter", useful=False)
    with session_scope() as session:
        [row] = session.execute(select(Rating)).scalars()
    assert (row.topic, row.useful) == ("shelter", False)
    assert "0123456789abcdef" not in row.sender_hash


def test_per_topic_counts_and_puts_the_least_useful_answers_first(migrated):
    for topic, useful in [
        ("shelter", True),
        ("shelter", True),
        ("shelter", False),
        ("covid_testing", False),
        ("covid_testing", False),
        ("line_hours", True),
    ]:
        ratings.record("ana", topic, useful)
    assert ratings.per_topic() == [
        {"topic": "covid_testing", "useful": 0, "not_useful": 2, "total": 2},
        {"topic": "shelter", "useful": 2, "not_useful": 1, "total": 3},
        {"topic": "line_hours", "useful": 1, "not_useful": 0, "total": 1},
    ]


def test_no_ratings_gives_an_empty_table(migrated):
    assert ratings.per_topic() == []


def test_the_models_match_migration_0008(migrated):
    with db.engine().connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), db.Base.metadata)
    assert [d for d in diffs if "ratings" in repr(d) or "erasures" in repr(d)] == []
