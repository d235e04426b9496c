"""Fast fingerprints still tell features apart, and are the same for the same features."""

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.features import Features

from components import fingerprints, rasa_compat
from components.spacy_nlp import SpacyNLP


def _sparse(values, attribute="text", shape=(2, 5)):
    rows, cols, data = zip(*values, strict=True)
    return Features(
        scipy.sparse.coo_matrix((data, (rows, cols)), shape=shape),
        "sequence",
        attribute,
        "BatchCountVectorsFeaturizer",
    )


def test_the_pipelines_first_component_installs_them(tmp_path):
    SpacyNLP.create(
        {"model": "es_core_news_sm"},
        LocalModelStorage(tmp_path),
        Resource("spacy"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    assert Features.fingerprint is fingerprints.fingerprint


def test_same_content_same_fingerprint():
    fingerprints.install()
    a = _sparse([(0, 1, 1), (1, 4, 2)])
    b = _sparse([(0, 1, 1), (1, 4, 2)])
    assert a.fingerprint() == b.fingerprint()


def test_any_difference_changes_it():
    fingerprints.install()
    base = _sparse([(0, 1, 1), (1, 4, 2)]).fingerprint()
    assert _sparse([(0, 1, 1), (1, 4, 3)]).fingerprint() != base  # a count
    assert _sparse([(0, 2, 1), (1, 4, 2)]).fingerprint() != base  # a column
    assert _sparse([(0, 1, 1), (1, 4, 2)], "response").fingerprint() != base
    assert _sparse([(0, 1, 1), (1, 4, 2)], shape=(2, 6)).fingerprint() != base


def test_dense_features_keep_rasas_fingerprint():
    expected = Features(np.ones((1, 3)), "sentence", "text", "SpacyFeaturizer").fingerprint()
    fingerprints.install()
    dense = Features(np.ones((1, 3)), "sentence", "text", "SpacyFeaturizer")
    assert dense.fingerprint() == expected
    assert rasa_compat.original(fingerprints.FINGERPRINT) is not fingerprints.fingerprint
