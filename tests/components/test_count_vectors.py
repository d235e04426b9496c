"""The batched featurizer gives messages exactly Rasa's features, in Rasa's order.

Both use the vocabulary learnt from the whole of the line's data; the features are compared on
every SAMPLE-th example, with and without an answer (Rasa's own featurizer takes about a
minute for all of them)."""

import copy
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.count_vectors import BatchCountVectorsFeaturizer

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = 12


@pytest.fixture(scope="module")
def training_data():
    """The line's own NLU data with the FAQ answers, tokenized as a pipeline would."""
    files = sorted((ROOT / "data" / "faq").glob("*.yml")) + sorted(
        (ROOT / "data" / "nlu").glob("*.yml")
    )
    data = TrainingData().merge(*(RasaYAMLReader().read(str(path)) for path in files))
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process_training_data(data)
    return data


def _featurizer(cls, config, tmp_path):
    tmp_path.mkdir()
    return cls.create(
        {**cls.get_default_config(), **config},
        LocalModelStorage(tmp_path),
        Resource(cls.__name__),
        ExecutionContext(GraphSchema({}), "test"),
    )


def _features(message):
    """Each feature matrix in a canonical sparse form (equal exactly when the dense arrays
    are, without building them)."""
    found = []
    for f in message.features:
        matrix = f.features.tocsr()
        matrix.sum_duplicates()
        matrix.sort_indices()
        found.append(
            (
                f.type,
                f.attribute,
                f.origin,
                matrix.shape,
                matrix.dtype.str,
                matrix.indptr.tolist(),
                matrix.indices.tolist(),
                matrix.data.tolist(),
            )
        )
    return found


@pytest.mark.parametrize(
    "config",
    [{}, {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4}],
    ids=["words", "char_wb"],
)
def test_same_features_as_rasa(training_data, config, tmp_path):
    rasas = _featurizer(CountVectorsFeaturizer, config, tmp_path / "rasa")
    batched = _featurizer(BatchCountVectorsFeaturizer, config, tmp_path / "batched")
    batched.train(training_data)  # the same `train` as Rasa's: one vocabulary for both
    rasas.vectorizers = batched.vectorizers
    examples = training_data.training_examples
    sample = examples[::SAMPLE]
    expected = rasas.process([copy.deepcopy(m) for m in sample])
    got = batched.process([copy.deepcopy(m) for m in sample])
    assert len(got) == len(expected) > 150
    assert any(m.get("response") for m in got)  # the FAQ answers are featurised too
    for mine, theirs in zip(got, expected, strict=True):
        assert _features(mine) == _features(theirs)
