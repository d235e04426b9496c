"""The measure of bench/pii_eval.py: a labelled span is found when findings of its
kind cover half of it; a finding is right when it covers part of a found span."""

from bench.pii_eval import evaluate, locate, score_message


def test_locate_takes_the_next_occurrence_of_a_repeated_text():
    text = "mi cel 987654321 y el de mi esposo 987654321"
    spans = [
        {"kind": "TELEFONO", "text": "987654321"},
        {"kind": "TELEFONO", "text": "987654321"},
        {"kind": "EMAIL", "text": "no.esta@aqui.com"},
    ]
    located, missing = locate(text, spans)
    assert located == [("TELEFONO", 7, 16), ("TELEFONO", 35, 44)]
    assert missing == [spans[2]]


def test_half_the_span_of_the_same_kind_is_enough():
    gold = [("DIRECCION", 0, 20)]
    assert score_message(gold, [("DIRECCION", 10, 20)]) == ([True], [True])
    assert score_message(gold, [("DIRECCION", 11, 20)]) == ([False], [False])
    assert score_message(gold, [("NOMBRE", 0, 20)]) == ([False], [False])
    # Two pieces of one address add up.
    assert score_message(gold, [("DIRECCION", 0, 6), ("DIRECCION", 12, 18)]) == (
        [True],
        [True, True],
    )


def test_evaluate_counts_per_kind_and_overall():
    messages = [
        {
            "id": "a",
            "text": "me llamo Wilmer Chirinos, cel 987654321",
            "spans": [
                {"kind": "NOMBRE", "text": "Wilmer Chirinos"},
                {"kind": "TELEFONO", "text": "987654321"},
            ],
        },
        {"id": "b", "text": "llame al 106 y nada", "spans": []},
    ]
    result = evaluate(messages)
    assert result["per_kind"]["NOMBRE"]["recall"] == 1.0
    assert result["per_kind"]["TELEFONO"]["precision"] == 1.0
    assert result["overall"]["precision"] == 1.0
    assert result["misses"] == [] and result["false_alarms"] == []
