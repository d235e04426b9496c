"""`make validate`'s content rules (line/content/check.py, contract/content_rules.yml):
provenance, official sources, the phone book, the protection rule and the length, each
with a topic file that breaks it."""

from datetime import date

import pytest
import yaml

from line.content import check
from line.core.settings import PROJECT_ROOT

CONTENT_RULES = yaml.safe_load((PROJECT_ROOT / "contract" / "content_rules.yml").read_text())
CONTRACT = {
    "faq": [
        {"id": "shelter"},
        {"id": "police_id_checks", "status_sensitive": True},
        {"id": "data_privacy"},
    ],
    "allowed_source_domains": ["gob.pe", "unhcr.org", "cruzroja.org.pe"],
}
PHONE_BOOK = [
    {"id": "police", "name": "Policía", "kind": "phone", "value": "105"},
    {"id": "defensoria", "name": "Defensoría", "kind": "phone", "value": "0800-15170"},
    {"id": "sis", "name": "SIS", "kind": "web", "value": "https://www.gob.pe/sis"},
]
RULES = check.build_rules(CONTRACT, CONTENT_RULES, PHONE_BOOK)

GOOD_METADATA = {
    "title": "Albergues",
    "sources": ["https://www.gob.pe/mimp", "Ley 32154 (El Peruano, 2024-11-05)"],
    "verified_on": "2026-12-05",
    "verified_by": "equipo de contenidos",
    "review_by": "2027-03-05",
}
SAFE_ANSWER = (
    "👮 *Si la policía te pide documentos*\n"
    "• Muestra tu documento; llama al *105* si corres peligro.\n"
    "• Sin papeles en regla, un control puede terminar en expulsión.\n"
    "Escribe *persona* y alguien del equipo te orienta."
)


def topic_file(tmp_path, topic="shelter", answer=SAFE_ANSWER, **metadata):
    """A topic file with 15 examples, the metadata given (over GOOD_METADATA) and the answer."""
    meta = {k: v for k, v in {**GOOD_METADATA, **metadata}.items() if v is not None}
    data = {
        "version": "3.1",
        "nlu": [
            {
                "intent": f"faq/{topic}",
                "metadata": meta,
                "examples": "".join(f"- pregunta numero {n}\n" for n in range(15)),
            }
        ],
        "responses": {f"utter_faq/{topic}": [{"text": answer}]},
    }
    path = tmp_path / f"{topic}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def problems(path):
    return [p.message for p in check.check_topic_file(path, RULES)]


def test_a_complete_topic_passes(tmp_path):
    assert problems(topic_file(tmp_path)) == []
    assert problems(topic_file(tmp_path, "police_id_checks")) == []


# --- Provenance ------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["sources", "verified_on", "verified_by", "review_by"])
def test_each_provenance_field_is_required(tmp_path, field):
    [message] = problems(topic_file(tmp_path, **{field: None}))
    assert f"the provenance has no {field}" in message


def test_verified_by_is_a_role_never_a_name(tmp_path):
    [message] = problems(topic_file(tmp_path, verified_by="Ana Pérez"))
    assert "'Ana Pérez' is not one of the roles" in message
    assert "equipo de contenidos" in message and "never a person's name" in message
    assert problems(topic_file(tmp_path, verified_by="Equipo de Contenidos")) == []


def test_a_status_sensitive_topic_is_reviewed_within_3_months(tmp_path):
    [message] = problems(topic_file(tmp_path, "police_id_checks", review_by="2027-03-06"))
    assert "more than 3 months after verified_on 2026-12-05" in message
    assert "status_sensitive" in message and "Set review_by to 2027-03-05 or earlier" in message


def test_other_topics_are_reviewed_within_12_months(tmp_path):
    assert problems(topic_file(tmp_path, review_by="2027-12-05")) == []
    [message] = problems(topic_file(tmp_path, review_by="2027-12-06"))
    assert "more than 12 months" in message


def test_review_by_comes_after_verified_on(tmp_path):
    [message] = problems(topic_file(tmp_path, review_by="2026-12-01"))
    assert "is not after verified_on" in message


def test_dates_are_written_as_dates(tmp_path):
    [message] = problems(topic_file(tmp_path, verified_on="5 de diciembre"))
    assert "verified_on '5 de diciembre' is not a date: write it as YYYY-MM-DD" in message


def test_a_month_later_keeps_the_day_or_the_last_of_the_month():
    assert check.add_months(date(2026, 12, 5), 3) == date(2027, 3, 5)
    assert check.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert check.add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


# --- Sources ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "https://www.gob.pe/migraciones",
        "http://help.unhcr.org/peru/derechos-y-obligaciones/derechos/",
        "https://radionacional.gob.pe/noticias/locales/x",  # a subdomain counts
        "Ley 32154 (El Peruano, 2024-11-05), que modifica el Decreto Legislativo 1164",
        "Decreto Supremo 006-2024-TR (El Peruano, 2024-12-28)",
        "Decreto Legislativo N° 1582 (El Peruano, noviembre de 2023)",
        "Resolución de Superintendencia 000110-2025-MIGRACIONES (El Peruano, 2025-08)",
        "Resolución Ministerial 787-2019-MTC (El Peruano, 2019-09)",
        "Constitución Política del Perú, art. 23",
        "Código Procesal Civil: el desalojo se tramita ante un juez",
    ],
)
def test_official_addresses_and_norms_with_their_number_are_sources(tmp_path, source):
    assert problems(topic_file(tmp_path, sources=[source])) == []


@pytest.mark.parametrize(
    "source, why",
    [
        ("https://www.scribd.com/document/1/guia", "is not on an official domain"),
        ("https://gob.pe.example.com/sis", "is not on an official domain"),
        ("Ministerio de Salud, comunicado del 2021-07-14", "neither an official web address"),
        ("Ley General de Salud", "neither an official web address"),
        ("una nota de prensa de El Comercio", "neither an official web address"),
        ("docs/privacy.md (política de la línea)", "the line's own document"),
        ("TODO: the official web address", "still empty or TODO"),
    ],
)
def test_any_other_source_fails_naming_the_source(tmp_path, source, why):
    path = topic_file(tmp_path, sources=["https://www.gob.pe/mimp", source])
    [problem] = check.check_topic_file(path, RULES)
    assert why in problem.message and problem.path.stem == "shelter"
    assert f"'{source}'" in problem.message
    text = path.read_text(encoding="utf-8")
    assert problem.line == text.count("\n", 0, text.index(source)) + 1


def test_the_lines_own_docs_are_a_source_for_its_own_policy_topics(tmp_path):
    sources = ["docs/privacy.md (política de la línea)"]
    assert problems(topic_file(tmp_path, "data_privacy", sources=sources)) == []


# --- Phone book: what answers and responses show ---------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Llama al *105* o a la Defensoría, *0800-15170*.",
        "Revisa https://www.gob.pe/sis",
        "Revisa www.gob.pe/sis/ cuando puedas.",
        "A los *180 días* se borra todo; el sueldo mínimo es *S/ 1130*.",
        "La Ley 32154 (2024) y la Resolución 000110-2025-MIGRACIONES; de 8:00 a 20:00.",
        "El Decreto Legislativo N° 1582 vale para el 100% de los casos.",
    ],
)
def test_numbers_and_addresses_of_the_phone_book_and_other_numbers_pass(tmp_path, line):
    answer = f"🏠 *Albergues*\n{line}\nEscribe *persona*."
    assert problems(topic_file(tmp_path, answer=answer)) == []


@pytest.mark.parametrize(
    "line, why",
    [
        ("Llama al *106*.", "the phone number 106, which is not in contract/phone_book.yml"),
        ("Llama al 987 654 321.", "the phone number 987 654 321, which is not in"),
        ("Llama al 105, no al 106.", "the phone number 106, which is not in"),
        ("Mira https://www.gob.pe/minsa", "the web address https://www.gob.pe/minsa, which is"),
        ("Mira https://tramites-peru.com/cpp", "is not on an official domain"),
    ],
)
def test_a_number_or_address_outside_the_phone_book_fails(tmp_path, line, why):
    answer = f"🏠 *Albergues*\n{line}\nEscribe *persona*."
    [message] = problems(topic_file(tmp_path, answer=answer))
    assert why in message


def test_domain_responses_show_only_the_phone_book(tmp_path):
    domain = tmp_path / "domain.yml"
    domain.write_text(
        yaml.safe_dump(
            {
                "responses": {
                    "utter_emergency_general": [{"text": "Llama al *105*."}],
                    "utter_line_trouble": [{"text": "Llama al *116* o a https://x.com"}],
                }
            }
        ),
        encoding="utf-8",
    )
    found = [str(p) for p in check.check_domain(domain, RULES)]
    assert len(found) == 2
    assert all("the response utter_line_trouble" in p for p in found)


def write_phone_book(tmp_path, entries):
    path = tmp_path / "phone_book.yml"
    path.write_text(yaml.safe_dump({"version": 1, "entries": entries}), encoding="utf-8")
    return path


ENTRY = {
    "id": "police",
    "name": "Policía",
    "kind": "phone",
    "value": "105",
    "source": "https://www.gob.pe/mininter",
    "verified_on": date(2026, 12, 5),
    "used_in": ["utter_emergency_general"],
}


def test_a_complete_phone_book_passes(tmp_path):
    assert check.check_phone_book(write_phone_book(tmp_path, [ENTRY]), RULES) == []


@pytest.mark.parametrize(
    "change, why",
    [
        ({"source": None}, "the entry 'police' has no source"),
        ({"verified_on": None, "name": None}, "has no name, verified_on"),
        ({"verified_on": "ayer"}, "verified_on 'ayer': write a date"),
        ({"kind": "fax"}, "kind 'fax': write phone or web"),
        ({"source": "https://es.wikipedia.org/wiki/105"}, "is not on an official domain"),
        ({"kind": "web", "value": "https://www.migraciones-peru.com"}, "not on an official domain"),
    ],
)
def test_an_incomplete_or_unofficial_entry_fails(tmp_path, change, why):
    entry = {k: v for k, v in {**ENTRY, **change}.items() if v is not None}
    found = " ".join(
        p.message for p in check.check_phone_book(write_phone_book(tmp_path, [entry]), RULES)
    )
    assert why in found


def test_used_in_names_exactly_the_responses_that_show_the_value(tmp_path):
    book = write_phone_book(tmp_path, [ENTRY])
    texts = {"utter_emergency_general": "Llama al 105.", "utter_faq/shelter": "..."}
    assert check.used_in_problems(book, texts, RULES) == []
    texts = {"utter_emergency_general": "Llama ya.", "utter_faq/shelter": "O al *105*."}
    found = [p.message for p in check.used_in_problems(book, texts, RULES)]
    assert len(found) == 2
    assert "shown by utter_faq/shelter but not listed" in found[0]
    assert "listed in used_in of utter_emergency_general, which no longer show it" in found[1]


def test_the_lines_phone_book_and_responses_pass():
    rules = check.line_rules()
    assert check.check_phone_book(check.phone_book_file(), rules) == []
    assert check.check_domain(PROJECT_ROOT / "domain.yml", rules) == []


# --- The protection rule of status_sensitive topics ------------------------------------


def sensitive(tmp_path, answer):
    return problems(topic_file(tmp_path, "police_id_checks", answer=answer))


def test_a_status_sensitive_answer_ends_by_offering_a_person(tmp_path):
    answer = SAFE_ANSWER.replace("\nEscribe *persona* y alguien del equipo te orienta.", "")
    [message] = sensitive(tmp_path, answer)
    assert "must end by offering a person" in message and "Escribe *persona*" in message


@pytest.mark.parametrize(
    "promise",
    ["Te van a dar el carné.", "Seguro que te perdonan la multa.", "Garantizamos tu trámite."],
)
def test_a_status_sensitive_answer_promises_no_outcome(tmp_path, promise):
    answer = SAFE_ANSWER.replace("• Muestra", f"• {promise}\n• Muestra")
    [message] = sensitive(tmp_path, answer)
    assert "promises an outcome" in message and "contract/content_rules.yml" in message


def test_naming_an_authority_says_the_risk_without_papers(tmp_path):
    answer = (
        "🪪 *Carné*\nPídelo en Migraciones: https://www.gob.pe/sis\n"
        "Escribe *persona* y alguien del equipo te orienta."
    )
    [message] = sensitive(tmp_path, answer)
    assert "sends people to 'migraciones'" in message
    assert "does not say the risk for someone without papers" in message
    with_risk = answer.replace(
        "\nEscribe", "\nSi entraste por trocha, no inicies nada solo.\nEscribe"
    )
    assert sensitive(tmp_path, with_risk) == []


def test_other_topics_are_not_held_to_the_protection_rule(tmp_path):
    answer = "🏠 *Albergues*\nTe van a dar un lugar en Migraciones."
    assert problems(topic_file(tmp_path, answer=answer)) == []


# --- Length ----------------------------------------------------------------------------


def test_an_answer_has_at_most_700_characters(tmp_path):
    head = "🏠 *Albergues*\n"
    tail = "\nEscribe *persona*."
    filler = "a" * (700 - len(head) - len(tail))
    assert problems(topic_file(tmp_path, answer=head + filler + tail)) == []
    [message] = problems(topic_file(tmp_path, answer=head + filler + "a" + tail))
    assert "the answer has 701 characters; keep it to 700" in message
