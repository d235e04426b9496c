"""The topic editor's save path (line/content/workbench.py), on a copy of the line's
content files: checked like `make validate` before anything is written, committed with
the editor as author, refused on a conflict, logged in an append-only table."""

from dataclasses import replace

import pytest
import yaml
from sqlalchemy import text

from line.content import history, new_topic, topic_file, workbench
from line.core import db
from line.core.text import fold
from tests.support.content import git

LONG_ANSWER = "🏠 *Albergues*\n" + "Una línea de la respuesta que sigue y sigue.\n" * 20


def shelter(root):
    return (root / "data" / "faq" / "shelter.yml").read_text(encoding="utf-8")


def test_a_bad_answer_is_refused_and_the_file_left_untouched(database, content_repo):
    before = shelter(content_repo)
    topic, version = workbench.load("shelter")
    with pytest.raises(workbench.Refused) as refused:
        workbench.save(replace(topic, answer=LONG_ANSWER), version, "eva")
    assert refused.value.code == "problems"
    [problem] = refused.value.problems
    assert problem.said.code == "long_answer" and problem.path.name == "shelter.yml"
    assert "characters; keep it to 700" in problem.message
    assert shelter(content_repo) == before
    assert git(content_repo, "status", "--porcelain") == ""
    assert git(content_repo, "rev-list", "--count", "HEAD") == "1"
    assert history.edits() == []


def test_every_check_of_make_validate_runs_on_the_would_be_file(database, content_copy):
    topic, version = workbench.load("health_insurance_sis")  # status_sensitive
    changed = replace(
        topic,
        answer="🏥 *SIS*\nTe van a dar el SIS en Migraciones, llama al 987 654 321.",
        examples=topic.examples[:3],
        sources=("https://elcomercio.pe/nota",),
        review_by="2028-01-01",
    )
    with pytest.raises(workbench.Refused) as refused:
        workbench.save(changed, version, "eva")
    codes = {p.said.code for p in refused.value.problems}
    assert codes >= {
        "few_examples",
        "source_off_domain",
        "review_too_late_sensitive",
        "in_answer",
        "no_person_last",
        "promise",
        "authority_without_risk",
    }


def test_a_save_is_a_commit_by_the_editor_of_that_file_only(database, content_repo):
    (content_repo / "notes.txt").write_text("someone else's work in progress\n")
    topic, version = workbench.load("shelter")
    saved = workbench.save(
        replace(
            topic,
            examples=topic.examples + ("hay albergue pa perros?", "el albergue cierra de dia?"),
            answer=topic.answer + "\nSi quieres, dime tu ciudad.",
        ),
        version,
        "eva",
    )
    assert saved.message == "shelter: 2 examples added, answer changed"
    log = git(content_repo, "log", "-1", "--format=%an <%ae>|%cn|%s|%H")
    assert log == f"eva <eva@console>|eva|shelter: 2 examples added, answer changed|{saved.commit}"
    assert git(content_repo, "show", "--name-only", "--format=", "HEAD") == "data/faq/shelter.yml"
    assert git(content_repo, "status", "--porcelain") == "?? notes.txt"
    text_now = shelter(content_repo)
    assert "    - hay albergue pa perros?\n    - el albergue cierra de dia?\nresponses:" in text_now
    assert saved.version == workbench.version(text_now)
    assert workbench.load("shelter")[1] == saved.version


def test_outside_git_a_save_just_writes(database, content_copy):
    topic, version = workbench.load("shelter")
    saved = workbench.save(replace(topic, title="Albergue"), version, "eva")
    assert saved.commit is None and saved.message == "shelter: title changed"
    assert 'title: "Albergue"' in shelter(content_copy)


def test_the_second_of_two_saves_of_one_version_is_refused_and_keeps_nothing_of_it(
    database, content_repo
):
    topic, version = workbench.load("shelter")
    first = replace(topic, examples=topic.examples + ("lo primero que guardo eva",))
    second = replace(topic, answer=topic.answer + "\nLo que escribió beto.")
    workbench.save(first, version, "eva")
    saved_by_eva = shelter(content_repo)
    with pytest.raises(workbench.Refused) as refused:
        workbench.save(second, version, "beto")
    assert refused.value.code == "conflict"
    assert refused.value.last["editor"] == "eva"
    assert refused.value.current.examples[-1] == "lo primero que guardo eva"
    assert shelter(content_repo) == saved_by_eva
    # Beto saves over what is there now, on purpose: both changes are in.
    merged = replace(refused.value.current, answer=second.answer)
    workbench.save(merged, workbench.current_version("shelter"), "beto")
    now = workbench.load("shelter")[0]
    assert now.examples[-1] == "lo primero que guardo eva" and now.answer == second.answer
    assert git(content_repo, "log", "--format=%an", "-2").split() == ["beto", "eva"]


def test_every_save_is_logged_and_the_log_cannot_be_changed(database, content_copy):
    topic, version = workbench.load("shelter")
    workbench.save(replace(topic, review_by="2027-06-05"), version, "eva")
    topic, version = workbench.load("shelter")
    workbench.add_example("shelter", "aceptan mascotas en el albergue?", "coco")
    [added, changed] = history.edits("shelter")
    assert (changed["editor"], changed["topic"]) == ("eva", "shelter")
    assert changed["changes"]["provenance"] == ["review_by"]
    assert changed["changes"]["via"] == "editor" and changed["commit"] is None
    assert added["editor"] == "coco" and added["changes"]["examples_added"] == 1
    assert added["changes"]["via"] == "inbox"
    assert added["version"] == workbench.current_version("shelter")
    for statement in ("UPDATE content_edits SET editor = 'x'", "DELETE FROM content_edits"):
        with pytest.raises(Exception, match="append-only"):
            with db.engine().begin() as connection:
                connection.execute(text(statement))
    assert len(history.edits()) == 2


def test_an_example_already_in_another_topic_is_refused(database, content_copy):
    taken = workbench.load("covid_testing")[0].examples[0]
    with pytest.raises(workbench.Refused) as refused:
        workbench.add_example("shelter", taken, "eva")
    [problem] = refused.value.problems
    assert problem.said.code == "repeated_example"
    assert problem.said.details["example"] == taken
    with pytest.raises(workbench.Refused) as again:
        workbench.add_example("shelter", "LOS ALBERGUES COBRAN?", "eva")
    assert again.value.code == "known_example"


def test_a_save_that_shows_a_listed_number_lists_the_answer_in_the_phone_book(
    database, content_repo
):
    book = content_repo / "contract" / "phone_book.yml"
    before = book.read_text(encoding="utf-8")
    topic, version = workbench.load("shelter")
    saved = workbench.save(
        replace(topic, answer=topic.answer + "\nPara orientarte, llama gratis al *113*."),
        version,
        "eva",
    )
    assert saved.changes["phone_book"] and saved.message.endswith("phone book used_in updated")
    entries = {e["id"]: e for e in yaml.safe_load(book.read_text(encoding="utf-8"))["entries"]}
    assert "utter_faq/shelter" in entries["health_line_113"]["used_in"]
    assert git(content_repo, "show", "--name-only", "--format=", "HEAD").split() == [
        "contract/phone_book.yml",
        "data/faq/shelter.yml",
    ]
    changed = [line for line in book.read_text(encoding="utf-8").splitlines() if line not in before]
    assert all("used_in" in line or "utter_" in line for line in changed)
    topic, version = workbench.load("shelter")
    workbench.save(
        replace(topic, answer=topic.answer.replace("113", "ciento trece")), version, "eva"
    )
    assert book.read_text(encoding="utf-8") == before


def test_a_new_topic_starts_from_the_scaffold_and_is_written_once_it_passes(database, content_repo):
    with pytest.raises(workbench.Refused) as taken:
        workbench.scaffolded("shelter", "Albergues")
    assert taken.value.details["reason"].code == "exists"
    draft = workbench.scaffolded("school_meals", "Comedor escolar")
    assert draft.answer.startswith("TODO") and draft.examples == ()
    covers = "free school meals (Qali Warma); ask the school"
    with pytest.raises(workbench.Refused) as refused:
        workbench.save(draft, "", "eva", covers=covers)
    assert {p.said.code for p in refused.value.problems} >= {"few_examples", "scaffold_left"}
    assert not (content_repo / "data" / "faq" / "school_meals.yml").exists()
    written = replace(
        draft,
        examples=tuple(f"pregunta {n} sobre el comedor del colegio" for n in range(15)),
        answer="🍲 *Comedor escolar*\nPregunta en el colegio de tus hijos.",
        sources=("https://www.gob.pe/minedu",),
        verified_on="2026-12-05",
        review_by="2027-12-05",
    )
    saved = workbench.save(written, "", "eva", covers=covers)
    assert saved.message == "school_meals: new topic, 15 examples"
    assert git(content_repo, "show", "--name-only", "--format=", "HEAD").split() == [
        "contract/topics.yml",
        "data/faq/school_meals.yml",
    ]
    contract = yaml.safe_load((content_repo / "contract" / "topics.yml").read_text())
    assert {"id": "school_meals", "covers": covers} in contract["faq"]
    assert workbench.load("school_meals")[0] == topic_file.normalised(written)
    with pytest.raises(workbench.Refused) as again:
        workbench.save(written, "", "eva", covers=covers)
    assert again.value.code == "conflict"


def test_a_failed_commit_puts_the_file_back(database, content_repo):
    hook = content_repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'no commits today' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = shelter(content_repo)
    topic, version = workbench.load("shelter")
    with pytest.raises(workbench.Refused) as refused:
        workbench.save(replace(topic, title="Albergue"), version, "eva")
    assert refused.value.code == "git" and "no commits today" in refused.value.details["reason"]
    assert shelter(content_repo) == before
    assert git(content_repo, "status", "--porcelain") == ""
    assert history.edits() == []


def test_the_catalogue_lists_topics_by_title_with_examples_and_review_days(database, content_copy):
    from datetime import date

    rows = workbench.catalogue(date(2027, 11, 20))
    titles = [r["title"] for r in rows]
    assert titles == sorted(titles, key=fold)
    assert titles.index("Cómo cuidarte") < titles.index("Cruzar la frontera")
    by_id = {r["id"]: r for r in rows}
    assert by_id["shelter"]["examples"] == len(workbench.load("shelter")[0].examples)
    assert by_id["shelter"]["review_by"] == "2027-12-05" and by_id["shelter"]["days_left"] == 15
    assert len(rows) == len(list((content_copy / "data" / "faq").glob("*.yml")))
    assert new_topic.TOPIC_ID.fullmatch(rows[0]["id"])
