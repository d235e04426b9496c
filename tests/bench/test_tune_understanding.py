"""The tuner's simulation of a conversation follows the running line's choices."""

from bench.tune_understanding import Turn, play
from components.understanding import Understanding
from line.understanding import categories, names, places
from line.understanding.reading import ModelView, Thresholds

DEFAULTS = Understanding.get_default_config()
LIMITS, FALLBACK = Thresholds.of(DEFAULTS), DEFAULTS["fallback"]
TEXT = "para ir en bus a arequipa me piden la vacuna?"


def _turn(intents: dict, topic=None) -> Turn:
    view = ModelView(
        intents=intents,
        faq_topic=topic,
        faq_confidence=0.95 if topic else 0.0,
        faq_closeness=0.45 if topic else 0.0,
        faq_ranking=(topic,) if topic else (),
    )
    return Turn(TEXT, view, dict(intents), None)


def test_the_message_names_a_need_and_a_place():
    assert categories.find_category(TEXT) is not None
    assert places.find_in_text(TEXT) is not None


def test_a_question_read_as_an_faq_is_answered_though_it_names_a_place_and_a_need():
    outcome = play(
        [_turn({names.FAQ_INTENT: 0.98}, "travel_between_regions")], LIMITS, 0.0, FALLBACK
    )
    assert outcome.faq_last == "travel_between_regions"
    assert outcome.category is None


def test_the_same_words_read_as_a_search_search_there():
    outcome = play([_turn({names.FIND_SERVICE_INTENT: 0.98})], LIMITS, 0.0, FALLBACK)
    assert outcome.faq_last is None
    assert outcome.category == categories.find_category(TEXT)
    assert outcome.region == places.find_in_text(TEXT).region
