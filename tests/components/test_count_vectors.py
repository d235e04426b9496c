"""The batched featurizer gives every message exactly Rasa's features, in Rasa's order."""
import copy
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.importers.importer import TrainingDataImporter

from components.count_vectors import BatchCountVectorsFeaturizer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def training_data():
    """The line's own NLU data with the FAQ answers, tokenized as a pipeline would."""
    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")])
    data = importer.get_nlu_data()
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process_training_data(data)
    return data


def _featurizer(cls, config, tmp_path):
    tmp_path.mkdir()
    return cls.create({**cls.get_default_config(), **config},
                      LocalModelStorage(tmp_path), Resource(cls.__name__),
                      ExecutionContext(GraphSchema({}), "test"))


def _features(message):
    return [(f.type, f.attribute, f.origin, f.features.toarray().tolist())
            for f in message.features]


@pytest.mark.parametrize("config", [{}, {"analyzer": "char_wb", "min_ngram": 2,
                                         "max_ngram": 4}], ids=["words", "char_wb"])
def test_same_features_as_rasa_for_every_example(training_data, config, tmp_path):
    rasas = _featurizer(CountVectorsFeaturizer, config, tmp_path / "rasa")
    batched = _featurizer(BatchCountVectorsFeaturizer, config, tmp_path / "batched")
    rasas.train(training_data)
    batched.train(training_data)
    expected = rasas.process_training_data(copy.deepcopy(training_data)).training_examples
    got = batched.process_training_data(copy.deepcopy(training_data)).training_examples
    assert len(got) == len(expected) > 2000
    assert any(m.get("response") for m in got)  # the FAQ answers are featurised too
    for mine, theirs in zip(got, expected):
        assert _features(mine) == _features(theirs)
