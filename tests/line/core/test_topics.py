"""Topic ids: the contract's FAQ topics, the rumours (contract/rumours.yml), and
every topic the line answers from a topic file."""

import yaml

from line.core import topics
from line.core.settings import PROJECT_ROOT

RUMOURS_FILE = PROJECT_ROOT / "contract" / "rumours.yml"


def test_rumour_ids_are_read_from_the_rumours_file_in_order(tmp_path):
    path = tmp_path / "rumours.yml"
    path.write_text(
        "version: 1\nrumours:\n"
        "  - id: rumour_b\n    claim: dicen que b\n    covers: b\n    close_to: [shelter]\n"
        "  - id: rumour_a\n    claim: dicen que a\n    covers: a\n    close_to: [shelter]\n",
        encoding="utf-8",
    )
    assert topics.rumour_ids(path) == ["rumour_b", "rumour_a"]


def test_the_line_answers_the_contract_topics_then_the_rumours():
    answered = topics.answered_topic_ids()
    assert answered == topics.faq_ids() + topics.rumour_ids()
    assert len(set(answered)) == len(answered), "a rumour may not reuse a contract topic id"


def test_every_rumour_is_complete_and_close_to_real_contract_topics():
    rumours = yaml.safe_load(RUMOURS_FILE.read_text(encoding="utf-8"))["rumours"]
    contract = set(topics.faq_ids())
    for rumour in rumours:
        assert rumour["id"].startswith("rumour_")
        assert rumour["claim"].strip() and rumour["covers"].strip()
        assert rumour["close_to"] and set(rumour["close_to"]) <= contract, rumour["id"]


def test_rumour_ids_stay_stable():
    # Reports and evaluations rely on these ids: add new ones, never rename or remove.
    assert topics.rumour_ids()[:5] == [
        "rumour_vaccine_microchip",
        "rumour_migrants_not_vaccinated",
        "rumour_deportation_fear",
        "rumour_home_remedies",
        "rumour_paying_for_help",
    ]


def test_rumour_topics_have_titles_like_every_answered_topic():
    titles = topics.faq_titles()
    assert set(topics.rumour_ids()) <= set(titles)


def test_status_sensitive_topics_are_read_from_the_contract():
    sensitive = topics.status_sensitive_ids()
    assert {"police_id_checks", "regularization_cpp", "work_rights"} <= sensitive
    assert not sensitive & {"covid_vaccine", "shelter", "data_privacy"}
    assert sensitive <= set(topics.faq_ids())


def test_each_topic_has_its_title_and_provenance():
    metadata = topics.faq_metadata()
    assert set(metadata) == set(topics.answered_topic_ids())
    assert metadata["shelter"]["title"] == "Albergues"
    assert all(m.get("sources") and m.get("review_by") for m in metadata.values())
