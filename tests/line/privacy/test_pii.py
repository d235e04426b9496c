"""The PII detector: every recognizer on its development fixtures (what it must
find, what it must not fire on), redaction, the place-survival rule, and
crafted input that must neither crash it nor slow it down."""

from pathlib import Path

import pytest
import yaml

from line.privacy import Finding, detect, redact
from line.privacy.pii import KINDS, THRESHOLD, registry
from line.understanding import places

FIXTURES = yaml.safe_load((Path(__file__).parent / "fixtures_dev.yml").read_text(encoding="utf-8"))
RECOGNIZERS = {r.name: r for r in registry()}


def _cases(section):
    for key, group in FIXTURES["recognizers"].items():
        for case in group.get(section, ()):
            yield pytest.param(
                group.get("recognizer", key), group["kind"], case, id=f"{key}:{str(case)[:50]}"
            )


def _fired(recognizer, text):
    return [text[s:e] for s, e, score in RECOGNIZERS[recognizer].find(text) if score >= THRESHOLD]


def test_every_recognizer_has_fixtures_both_ways():
    covered = {
        g.get("recognizer", k)
        for k, g in FIXTURES["recognizers"].items()
        if g["fires"] and g["silent"]
    }
    assert covered == set(RECOGNIZERS)


@pytest.mark.parametrize("recognizer, kind, case", _cases("fires"))
def test_recognizer_fires(recognizer, kind, case):
    assert RECOGNIZERS[recognizer].kind == kind
    for expected in case["find"]:
        assert expected in _fired(recognizer, case["text"])
        assert (kind, expected) in [
            (f.kind, case["text"][f.start : f.end]) for f in detect(case["text"])
        ]


@pytest.mark.parametrize("recognizer, kind, text", _cases("silent"))
def test_recognizer_stays_silent(recognizer, kind, text):
    assert _fired(recognizer, text) == []


@pytest.mark.parametrize("text", FIXTURES["not_pii"])
def test_no_pii_in_ordinary_messages(text):
    assert detect(text) == []
    assert redact(text) == text


@pytest.mark.parametrize("case", FIXTURES["redact"], ids=lambda c: c["text"][:40])
def test_redact(case):
    assert redact(case["text"]) == case["redacted"]


def _where(text, short):
    return places.find_in_text(text), places.resolve(text) if short else None


@pytest.mark.parametrize("text", FIXTURES["places_survive"])
def test_places_survive_redaction(text):
    short = len(text.split()) <= 4
    assert _where(redact(text), short) == _where(text, short)


def test_place_names_are_never_names():
    for text in (
        "me llamo Lima",
        "Lima",
        "soy de Lima",
        "hola Callao",
        "gracias\nCusco",
        "La Victoria",
    ):
        assert [f for f in detect(text) if f.kind == "NOMBRE"] == [], text


def test_findings_are_ordered_and_never_overlap():
    text = (
        "Sra. Carmen Huamán, DNI 45678912, cel 987654321, carmen.h@gmail.com, "
        "Av. Los Próceres 1234, cci 00219100123456780120"
    )
    findings = detect(text)
    assert [f.kind for f in findings] == [
        "NOMBRE",
        "DOCUMENTO",
        "TELEFONO",
        "EMAIL",
        "DIRECCION",
        "CUENTA",
    ]
    assert all(a.end <= b.start for a, b in zip(findings, findings[1:], strict=False))
    assert all(isinstance(f, Finding) and f.kind in KINDS and 0 < f.score <= 1 for f in findings)


def test_longest_wins():
    # The 20 digits are one account, not a phone and a DNI inside it.
    assert [(f.kind, f.start, f.end) for f in detect("00219100987654321012")] == [("CUENTA", 0, 20)]


def _accounts(text):
    return [text[f.start : f.end] for f in detect(text) if f.kind == "CUENTA"]


def test_a_listed_number_takes_the_account_cue_only_through_joiners():
    """ "191... y 200..." carries the account cue; other words, or a number too
    short for an account, between them end the list."""
    listed = "cuentas: 19123456789012 y 19398765432177 o 2003104567825, 8983104567823"
    assert _accounts(listed) == [
        "19123456789012",
        "19398765432177",
        "2003104567825",
        "8983104567823",
    ]
    assert _accounts("cuenta bcp 19123456789012 y ayer me llego 1234567890123") == [
        "19123456789012"
    ]
    assert _accounts("cuenta bcp 4567 y 1234567890123") == []


def test_a_far_account_cue_yields_to_a_nearer_not_pii_cue():
    assert _accounts("la cuenta bcp de mi hermana es el 19123456789012") == ["19123456789012"]
    assert _accounts("la cuenta bcp de mi hermana tiene el reclamo 19123456789012") == []


CRAFTED = [
    "9" * 50_000,
    "1234567890 " * 1000,
    "@" * 10_000,
    "a@" * 5_000,
    "x" * 9_000 + "@gmail.com",
    ("Av. " * 2_500),
    ("Mz. " * 2_500),
    "me llamo " * 1_200,
    ("María José " * 1_000),
    "🙏😭🇻🇪🇵🇪" * 1_000,
    "!!!???...,,,;;;" * 600,
    "...",
    "",
    "   \n\t  ",
    "+" * 5_000 + "51",
    "+51 " * 2_500,
    "V-" * 5_000,
    "12.345.678." * 900,
    "ñ" * 10_000,
    "\u200b\u200d\ufeff" * 3_000,
]


@pytest.mark.parametrize("text", CRAFTED, ids=lambda t: f"{t[:12]!r}x{len(t)}")
def test_crafted_input_never_crashes(text):
    findings = detect(text)
    assert isinstance(redact(text), str)
    assert all(0 <= f.start < f.end <= len(text) for f in findings)


# Crafted to look like identifiers next to the place a directory search needs.
CRAFTED_WITH_PLACES = [
    "busco albergue en Tacna " + "1234567890" * 30,
    "necesito un psicologo en Lima, mi cuenta 1" + "0" * 40,
    "escribeme a lima@ o a victoria@@gmail, estoy en La Victoria",
    "mi correo es lima.lima@lima.lima.lima y vivo en Lima",
    "me llamo Victoria Lima, busco albergue en Victoria",
    "soy Lima, de Lima, +51 +51 +51 987 en Lima",
    "dni 00000000000000000000000000 en Arequipa",
    "Av. Lima " * 200 + "en Trujillo",
    "Jesus Maria",
    "La Victoria",
    "en Lima 987654321987654321987654321",
    "V-12.345.678.901.234 en Tumbes",
]


@pytest.mark.parametrize("text", CRAFTED_WITH_PLACES, ids=lambda t: f"{t[:24]!r}x{len(t)}")
def test_crafted_identifiers_never_crash_and_never_take_the_place(text):
    findings = detect(text)
    assert all(0 <= f.start < f.end <= len(text) for f in findings)
    short = len(text.split()) <= 4
    assert _where(text, short) != (None, None), "each case names a place"
    assert _where(redact(text), short) == _where(text, short)


def test_redact_handles_none_and_empty():
    assert redact("") == ""
    assert redact(None) == ""
    assert detect(None) == []


@pytest.mark.parametrize(
    "text",
    [
        "llamame al +51 987 654 321 o a ana.p@mail.com, tengo 3 hijos",
        "me llamo Juan Pérez Quispe, mi DNI es 45678912 y mi cel 987654321",
    ],
)
def test_redacting_twice_changes_nothing(text):
    """Reports, logs and re-published events may meet text that was redacted already."""
    once = redact(text)
    assert "<" in once
    assert redact(once) == once


def test_title_case_says_nothing():
    text = "Buenas, Alguien Sabe Donde Vacunan Contra La Fiebre Amarilla En Arequipa?"
    assert detect(text) == []
    assert (
        redact("Hola Me Llamo Carlos Ramirez Y Necesito Ayuda")
        == "Hola Me Llamo <NOMBRE> Y Necesito Ayuda"
    )


def test_shares_the_model_rasa_loaded():
    """Rasa's SpacyNLP keeps NER disabled: the detector calls the pipe directly."""
    import spacy

    from line.privacy import names

    nlp = spacy.load(names.MODEL, disable=["parser"])
    nlp.disable_pipe("ner")
    try:
        names.share_model(nlp)
        assert names.spacy_model() is nlp
        text = "ayer vino Yoendry Pirela a la casa a buscar a su primo"
        assert [text[f.start : f.end] for f in detect(text)] == ["Yoendry Pirela"]
    finally:
        names.share_model(None)
    assert names.spacy_model() is not nlp
