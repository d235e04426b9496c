"""Fast fingerprints still tell features apart, and are the same for the same features."""
import numpy as np
import scipy.sparse
from rasa.shared.nlu.training_data.features import Features

import components  # noqa: F401  (installs the fast fingerprint)
from components import fingerprints


def _sparse(values, attribute="text", shape=(2, 5)):
    rows, cols, data = zip(*values)
    return Features(scipy.sparse.coo_matrix((data, (rows, cols)), shape=shape), "sequence",
                    attribute, "BatchCountVectorsFeaturizer")


def test_installed_on_import():
    assert Features.fingerprint is fingerprints.fingerprint


def test_same_content_same_fingerprint():
    a = _sparse([(0, 1, 1), (1, 4, 2)])
    b = _sparse([(0, 1, 1), (1, 4, 2)])
    assert a.fingerprint() == b.fingerprint()


def test_any_difference_changes_it():
    base = _sparse([(0, 1, 1), (1, 4, 2)]).fingerprint()
    assert _sparse([(0, 1, 1), (1, 4, 3)]).fingerprint() != base        # a count
    assert _sparse([(0, 2, 1), (1, 4, 2)]).fingerprint() != base        # a column
    assert _sparse([(0, 1, 1), (1, 4, 2)], "response").fingerprint() != base
    assert _sparse([(0, 1, 1), (1, 4, 2)], shape=(2, 6)).fingerprint() != base


def test_dense_features_keep_rasas_fingerprint():
    dense = Features(np.ones((1, 3)), "sentence", "text", "SpacyFeaturizer")
    expected = fingerprints._rasas_fingerprint(
        Features(np.ones((1, 3)), "sentence", "text", "SpacyFeaturizer"))
    assert dense.fingerprint() == expected
