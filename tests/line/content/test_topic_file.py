"""One topic file as the console reads and writes it (line/content/topic_file.py)."""

from dataclasses import replace

import pytest
import yaml

from line.content import topic_file
from line.content.topic_file import Topic
from line.core.settings import PROJECT_ROOT

FILES = sorted((PROJECT_ROOT / "data" / "faq").glob("*.yml"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_topic_file_reads_and_writes_back_byte_for_byte(path):
    text = path.read_text(encoding="utf-8")
    topic = topic_file.parse(path.stem, text)
    assert topic_file.render(topic) == text
    assert topic.title and len(topic.examples) >= 15 and topic.answer


def test_what_is_written_reads_back_as_written():
    topic = Topic(
        id="school_meals",
        title='Comedor "escolar": sí',
        examples=("hay comedor en el colegio?", "# no es un comentario", "- con guion"),
        answer="🍲 *Comedor escolar*\n\n• Pregunta en tu colegio: es gratis.\n#100",
        sources=("https://www.gob.pe/minedu", "Ley 31919 (El Peruano, 2023-10-31): art. 2"),
        verified_on="2026-12-05",
        verified_by="equipo de contenidos",
        review_by="TODO",
    )
    text = topic_file.render(topic)
    assert topic_file.parse("school_meals", text) == topic
    data = yaml.safe_load(text)
    assert data["nlu"][0]["metadata"]["verified_on"].isoformat() == "2026-12-05"
    assert 'review_by: "TODO"' not in text and "review_by: TODO" in text


def test_a_form_s_text_is_stored_as_the_files_keep_it():
    typed = Topic(
        id="x",
        title="  Comedor   escolar ",
        examples=("- hay comedor?", "  ", "cuanto  cuesta  "),
        answer="\r\n  Hola  \r\nchau\r\n\r\n",
        sources=(" https://www.gob.pe/minedu ", ""),
        verified_on=" 2026-12-05",
        verified_by="equipo  de contenidos",
        review_by="2027-12-05 ",
    )
    stored = topic_file.normalised(typed)
    assert stored == Topic(
        "x",
        "Comedor escolar",
        ("hay comedor?", "cuanto cuesta"),
        "Hola\nchau",
        ("https://www.gob.pe/minedu",),
        "2026-12-05",
        "equipo de contenidos",
        "2027-12-05",
    )
    assert topic_file.parse("x", topic_file.render(stored)) == stored


def test_changes_say_what_an_edit_changed():
    before = topic_file.parse("shelter", (PROJECT_ROOT / "data/faq/shelter.yml").read_text())
    after = replace(
        before,
        examples=before.examples[1:] + ("uno nuevo", "otro nuevo"),
        answer=before.answer + "\nMás.",
        review_by="2027-01-01",
    )
    assert topic_file.changes(before, after) == {
        "title": False,
        "answer": True,
        "examples_added": 2,
        "examples_removed": 1,
        "provenance": ["review_by"],
    }


def test_a_file_without_the_topic_cannot_be_edited():
    with pytest.raises(topic_file.Unreadable):
        topic_file.parse("shelter", (PROJECT_ROOT / "data/faq/food_assistance.yml").read_text())
    with pytest.raises(topic_file.Unreadable):
        topic_file.parse("shelter", "nlu: [")
