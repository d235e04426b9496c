"""The keyword baseline is a real classifier: it learns words, not labels by rote."""

from bench.keyword_baseline import KeywordClassifier, cross_validate, words


def test_it_picks_the_label_whose_words_a_message_shares():
    model = KeywordClassifier().fit(
        ["donde me vacuno", "vacuna gratis para niños", "albergue para dormir", "albergue cobran"],
        ["vaccine", "vaccine", "shelter", "shelter"],
    )
    assert model.predict_one("la vacuna es gratis?") == "vaccine"
    assert model.predict_one("hay albergue?") == "shelter"


def test_words_are_folded_and_short_ones_dropped():
    assert words("¿Dónde VACUNAN a los niños?") == {"donde", "vacunan", "los", "ninos"}


def test_cross_validation_reports_scores_between_zero_and_one():
    examples = [(f"vacuna dosis {i}", "vaccine") for i in range(6)] + [
        (f"albergue cama {i}", "shelter") for i in range(6)
    ]
    scores = cross_validate(examples, folds=3)
    assert scores["accuracy"] == 1.0 and 0 <= scores["macro_f1"] <= 1
