"""The review inbox (line/content/inbox.py): the same words as one item, items grouped
as `make suggest` groups them with their trend, and the three ways out of it."""

from datetime import date, timedelta

import pytest

from line.content import drafts, history, inbox, workbench
from line.core.db import session_scope
from line.feedback import review
from line.feedback.coding import Feedback
from tests.line.feedback.test_suggest import BUS, SHELTER

TODAY = date(2026, 12, 10)


def waiting(text: str, days_ago: int = 0, why: str = "unresolved", topic: str = "unresolved"):
    """One coded message waiting for review, as coding leaves it."""
    with session_scope() as session:
        count = session.query(Feedback).count()
        session.add(
            Feedback(
                sender_hash=f"{count:032d}",
                timestamp=float(count),
                event_id=count + 1,
                date=TODAY - timedelta(days=days_ago),
                channel="whatsapp",
                intent="faq" if topic != "unresolved" else "nlu_fallback",
                feedback_type="question",
                topic=topic,
                status="unanswered",
                text=text,
                review=why,
            )
        )


@pytest.fixture
def seeded(database, content_copy):
    for n, text in enumerate(BUS):
        waiting(text, days_ago=n * 7)
    waiting(BUS[0], days_ago=1, why="handoff")
    waiting(SHELTER[0], why="low_confidence", topic="shelter")
    waiting(SHELTER[1], days_ago=2, why="not_useful", topic="shelter")
    waiting("Hay albergue pa dormir esta noche con mis hijos!!", why="clarified", topic="shelter")


def test_the_same_words_are_one_item_and_similar_items_one_group(seeded):
    groups = inbox.groups(TODAY)
    by_first = {g.items[0].text: g for g in groups}
    bus = by_first[BUS[0]]
    assert [i.text for i in bus.items] == BUS and bus.asked == 4
    assert bus.items[0].reviews == {"unresolved": 1, "handoff": 1}
    assert bus.proposed_topic is None  # a new topic
    assert bus.weeks[-3:] == (1, 1, 2) and bus.trend == 1
    shelter = next(g for g in groups if g is not bus)
    assert shelter.proposed_topic == "shelter" and shelter.nearest[0][0] == "shelter"
    assert len(shelter.nearest) == 3
    [first, second] = shelter.items
    assert first.asked == 2 and first.reviews == {"low_confidence": 1, "clarified": 1}
    assert first.answered == {"shelter": 2} and second.reviews == {"not_useful": 1}


def test_an_item_added_as_an_example_is_written_redacted_and_leaves_the_inbox(seeded):
    waiting("soy Yuleisy Carrasquel y mi cel es 987654321, hay albergue en tacna?", why="handoff")
    [item] = [i for i in inbox.items() if "Yuleisy" in i.text or "<NOMBRE>" in i.text]
    assert "Yuleisy" not in item.text and "987654321" not in item.text
    saved = inbox.add_example(item.key, "shelter", "eva")
    examples = workbench.load("shelter")[0].examples
    assert examples[-1] == item.text and "<TELEFONO>" in examples[-1]
    assert saved.changes["via"] == "inbox" and history.edits("shelter")[0]["editor"] == "eva"
    assert inbox.item(item.key) is None
    with pytest.raises(inbox.Gone):
        inbox.add_example(item.key, "shelter", "coco")


def test_an_editor_s_rewording_is_redacted_too(seeded):
    [item] = [i for i in inbox.items() if i.text == SHELTER[1]]
    inbox.add_example(item.key, "shelter", "eva", "albergue con cupo pa Yuleisy Carrasquel hoy")
    added = workbench.load("shelter")[0].examples[-1]
    assert added.startswith("albergue con cupo pa <NOMBRE>") and "Yuleisy" not in added


def test_a_refused_example_stays_in_the_inbox(seeded):
    [item] = [i for i in inbox.items() if i.text == SHELTER[1]]
    taken = workbench.load("covid_testing")[0].examples[0]
    with pytest.raises(workbench.Refused):
        inbox.add_example(item.key, "shelter", "eva", taken)
    assert inbox.item(item.key) is not None


def test_items_gathered_into_a_draft_leave_the_inbox(seeded):
    keys = {i.text: i.key for i in inbox.items()}
    draft_id = inbox.gather(keys[BUS[0]], "eva", name="Pasajes a Bolivia")
    assert inbox.gather(keys[BUS[1]], "coco", draft_id) == draft_id
    [draft] = drafts.drafts()
    assert (draft["name"], draft["examples"]) == ("Pasajes a Bolivia", BUS[:2])
    assert {i.text for i in inbox.items()} == {BUS[2], *SHELTER}
    drafts.became(draft_id, "bus_to_bolivia")
    assert drafts.drafts() == []
    with pytest.raises(LookupError):
        inbox.gather(keys[BUS[2]], "eva", draft_id)


def test_not_for_the_line_is_for_good(seeded):
    [item] = [i for i in inbox.items() if i.text == BUS[2]]
    inbox.dismiss(item.key, "eva")
    waiting("Pasaje en bus pa Bolivia, ¿cuánto es?", days_ago=0)
    assert BUS[2] not in {i.text for i in inbox.items()}
    assert all(i.key != item.key for i in inbox.items())
    with pytest.raises(inbox.Gone):
        inbox.dismiss(item.key, "coco")
    assert review.text_key("Pasaje en bus pa Bolivia, ¿cuánto es?") == item.key


def test_decisions_stay_readable_redacted_and_lose_their_words_with_retention(seeded):
    from sqlalchemy import update

    waiting("me llamo Yuleisy Carrasquel y busco albergue")  # coded before the detector
    [named] = [i for i in inbox.items() if "albergue" in i.text and "<NOMBRE>" in i.text]
    [bus] = [i for i in inbox.items() if i.text == BUS[2]]
    inbox.dismiss(bus.key, "eva")
    inbox.add_example(named.key, "shelter", "coco")
    newest, oldest = inbox.decided(10)
    assert (newest.decision, newest.topic, newest.decided_by) == ("example", "shelter", "coco")
    assert newest.text == "me llamo <NOMBRE> y busco albergue"
    assert (oldest.decision, oldest.text, oldest.decided_by) == ("not_for_the_line", BUS[2], "eva")
    with session_scope() as session:  # what the retention sweep does to old questions
        session.execute(update(Feedback).where(Feedback.text == BUS[2]).values(text=None))
    assert [(d.decision, d.text) for d in inbox.decided(10)][1] == ("not_for_the_line", None)
    assert len(inbox.decided(1)) == 1
