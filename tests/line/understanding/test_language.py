"""Another language is recognised; Spanish, even with English words, is not."""

import pytest

from line.understanding import language


@pytest.mark.parametrize(
    "text, code",
    [
        ("hi, I need some help finding a clinic for my son", "en"),
        ("bom dia, preciso de ajuda com os documentos do meu filho", "pt"),
        ("bonjour, je cherche un hôpital pour ma fille à Lima", "fr"),
        ("bonjou, mwen bezwen jwenn yon doktè pou pitit mwen", "ht"),
    ],
)
def test_other_languages_are_recognised(text, code):
    assert language.detect(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "mi hijo tiene fever y cough que hago",
        "necesito el password del wifi del albergue",
        "sorry, donde hay un shelter en lima?",
        "ok",
        "hola",
        "😀😀",
        "",
    ],
)
def test_spanish_short_or_empty_messages_are_not_another_language(text):
    assert language.detect(text) is None
