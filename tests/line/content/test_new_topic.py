"""`make new-topic`: the scaffold follows the conventions and keeps validation
failing until the content team has written it."""

import dataclasses
import shutil

import pytest
import yaml

from line.content import check, new_topic
from line.core import settings as config
from line.core.settings import PROJECT_ROOT


@pytest.fixture
def content(tmp_path):
    faq_dir = tmp_path / "faq"
    faq_dir.mkdir()
    shutil.copy(PROJECT_ROOT / "data" / "faq" / "shelter.yml", faq_dir)
    contract = tmp_path / "topics.yml"
    shutil.copy(PROJECT_ROOT / "contract" / "topics.yml", contract)
    return faq_dir, contract


def test_it_scaffolds_the_topic_file_and_lists_it_in_the_contract(content):
    faq_dir, contract = content
    before = contract.read_text(encoding="utf-8")
    path = new_topic.create("school_meals", "Comedor escolar", faq_dir, contract)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    block = data["nlu"][0]
    assert block["intent"] == "faq/school_meals"
    assert block["metadata"]["title"] == "Comedor escolar"
    assert block["examples"] == ""
    assert "utter_faq/school_meals" in data["responses"]
    assert "# EXAMPLES: write at least 15" in path.read_text(encoding="utf-8")
    after = yaml.safe_load(contract.read_text(encoding="utf-8"))
    ids = [topic["id"] for topic in after["faq"]]
    assert ids[-1] == "school_meals" and "TODO" in after["faq"][-1]["covers"]
    assert after["service_categories"] == yaml.safe_load(before)["service_categories"]
    # Only the two new lines were added: every comment of the contract is kept.
    assert len(contract.read_text(encoding="utf-8").splitlines()) == len(before.splitlines()) + 2


def test_validation_fails_until_the_topic_is_written(content):
    faq_dir, contract = content
    path = new_topic.create("school_meals", "Comedor escolar", faq_dir, contract)
    problems = " ".join(str(p) for p in check.check_topic_file(path))
    assert "only 0 examples" in problems and "TODO" in problems
    assert "verified_on 'TODO' is not a date" in problems
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        '"TODO: the official web address, or the norm (kind, number, date), of each fact"',
        "https://www.gob.pe/minedu",
    )
    text = text.replace("verified_on: TODO", "verified_on: 2026-12-05")
    text = text.replace("review_by: TODO", "review_by: 2027-12-05")
    examples = "".join(f"    - pregunta distinta numero {n} sobre el comedor\n" for n in range(15))
    text = text.replace("  examples: |\n", "  examples: |\n" + examples)
    answer = "      🍽️ *Comedor escolar*\n\n      Es gratis. Pregunta en tu colegio.\n"
    text = text[: text.index("      TODO emoji")] + answer
    path.write_text(text, encoding="utf-8")
    assert check.check_topic_file(path) == []


@pytest.mark.parametrize(
    "topic_id", ["SchoolMeals", "school-meals", "1school", "school__meals", "", "comedor escolar"]
)
def test_a_bad_id_is_refused(content, topic_id):
    faq_dir, contract = content
    with pytest.raises(new_topic.Refused, match="snake_case"):
        new_topic.create(topic_id, "Comedor", faq_dir, contract)


@pytest.mark.parametrize("topic_id", ["shelter", "covid_testing"])
def test_an_existing_id_is_refused(content, topic_id):
    faq_dir, contract = content
    before = contract.read_text(encoding="utf-8")
    with pytest.raises(new_topic.Refused, match="already exists"):
        new_topic.create(topic_id, "Otro", faq_dir, contract)
    assert contract.read_text(encoding="utf-8") == before


def test_a_title_too_long_for_a_button_is_refused(content):
    faq_dir, contract = content
    with pytest.raises(new_topic.Refused, match="20 characters"):
        new_topic.create("school_meals", "Comedores escolares y desayunos", faq_dir, contract)
    assert not (faq_dir / "school_meals.yml").exists()


def test_the_command_line_explains_the_next_steps(content, capsys, monkeypatch):
    faq_dir, contract = content
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, faq_dir=faq_dir, topics_file=contract),
    )
    assert new_topic.main(["school_meals", "Comedor escolar"]) == 0
    assert "make validate" in capsys.readouterr().out
    assert new_topic.main(["school_meals", "Comedor escolar"]) == 1
    assert "already exists" in capsys.readouterr().out
    assert new_topic.main(["school_meals"]) == 1
