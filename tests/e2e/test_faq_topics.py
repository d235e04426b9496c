"""Every FAQ topic, the contract's and the rumours, answered end to end from the
messages of tests/test_stories.yml.

`rasa test` checks the dialogue of those stories but not which FAQ answer was
picked (Rasa compares only the base intent `faq`), so this test sends each story's
message over the REST channel and reads the answer's `utter_action`.
"""

from pathlib import Path

import pytest
import yaml

from line.core import topics

STORIES = Path(__file__).resolve().parents[1] / "test_stories.yml"


def faq_messages():
    stories = yaml.safe_load(STORIES.read_text(encoding="utf-8"))["stories"]
    return [
        (step["intent"].split("/", 1)[1], step["user"].strip())
        for story in stories
        for step in story["steps"]
        if str(step.get("intent", "")).startswith("faq/") and step.get("user")
    ]


def test_the_stories_cover_every_topic_the_line_answers():
    assert {topic for topic, _ in faq_messages()} == set(topics.answered_topic_ids())


@pytest.mark.parametrize("topic, text", faq_messages())
def test_each_topic_gets_its_answer(person, topic, text):
    person.say(text)
    assert f"utter_faq/{topic}" in person.utters()
