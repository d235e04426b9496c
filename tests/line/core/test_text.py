"""What a message asks, apart from the story told before it."""

import pytest

from line.core.text import question_clause


@pytest.mark.parametrize(
    "text, asked",
    [
        ("llegamos en marzo. no tenemos papeles. ¿cómo saco el SIS?", "¿cómo saco el SIS?"),
        ("en casa, como hago? y es gratis?", "en casa, como hago? y es gratis?"),
        ("vivo en Lima ¿hay albergues? ¿cobran?", "¿hay albergues? ¿cobran?"),
        ("tengo dos hijos.\nquiero vacunarlos", "quiero vacunarlos"),  # no mark: the last
        ("como saco el sis", "como saco el sis"),
        ("", ""),
    ],
)
def test_the_question_is_the_sentences_that_ask_or_else_the_last(text, asked):
    assert question_clause(text) == asked
