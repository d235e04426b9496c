"""Switching spaCy's NER off changes no feature the pipeline reads, and saves time."""

from pathlib import Path

import numpy as np
import pytest
from rasa.nlu.utils import spacy_utils

from bench.keyword_baseline import load_examples
from components.spacy_nlp import SpacyNLP

ROOT = Path(__file__).resolve().parents[2]
MODEL = "es_core_news_sm"


@pytest.fixture(scope="module")
def held_out_texts():
    return [text for text, _ in load_examples(ROOT / "tests" / "nlu")]


def test_ner_is_off_and_the_rest_runs():
    nlp = SpacyNLP.load_model(MODEL).model
    assert "ner" not in nlp.pipe_names
    assert {"tok2vec", "morphologizer", "attribute_ruler", "lemmatizer"} <= set(nlp.pipe_names)


def test_tokens_lemmas_and_vectors_are_rasas(held_out_texts):
    rasas = spacy_utils.SpacyNLP.load_model(MODEL).model
    lean = SpacyNLP.load_model(MODEL).model
    for full, fast in zip(rasas.pipe(held_out_texts), lean.pipe(held_out_texts), strict=True):
        assert [(t.text, t.idx, t.lemma_, t.pos_) for t in full] == [
            (t.text, t.idx, t.lemma_, t.pos_) for t in fast
        ]
        np.testing.assert_array_equal(full.vector, fast.vector)
        np.testing.assert_array_equal(full.tensor, fast.tensor)
