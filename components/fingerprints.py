"""Rasa's fingerprints of sparse features, computed from the arrays instead of from text.

During training Rasa fingerprints the output of every graph node (for its cache),
finetunes included. For sparse features it first writes the whole matrix out as text,
one "(row, col) value" line per entry: over the line's ≈2,800 examples and char n-grams
that is ≈9 s per featurizer, more than featurising itself (docs/bench.md "Training time").
Hashing the matrix's shape, indices and values identifies the same content; the only
difference is that the keys are not those of an unpatched Rasa, so a cache filled
without this patch is not reused (it retrains, nothing wrong is restored).

A patch: Rasa has no extension point for how its training cache fingerprints features.
Installed by the pipeline's first component (components/spacy_nlp.py), before any
sparse feature exists.
"""

from __future__ import annotations

import hashlib
from typing import Text

import numpy as np
import rasa.shared.utils.io
from rasa.shared.nlu.training_data.features import Features

from components import rasa_compat

FINGERPRINT = rasa_compat.Replaced(
    "fast sparse fingerprints (components/fingerprints.py)",
    Features,
    "fingerprint",
    "d9feec4d68d43334",
)
REPLACED = (FINGERPRINT,)


def install() -> None:
    """Idempotent: Rasa's own fingerprint is kept, the replacement set each time."""
    rasa_compat.install(FINGERPRINT, fingerprint)


def fingerprint(self: Features) -> Text:
    if self.is_dense():
        return rasa_compat.original(FINGERPRINT)(self)  # already bytes, already fast
    if self._cached_fingerprint is None:
        matrix = self.features.tocoo()
        digest = hashlib.sha256(f"{matrix.shape} {matrix.dtype}".encode())
        for array in (matrix.row, matrix.col, matrix.data):
            digest.update(np.ascontiguousarray(array).tobytes())
        self._cached_fingerprint = rasa.shared.utils.io.deep_container_fingerprint(
            [self.type, self.origin, self.attribute, digest.hexdigest()]
        )
    return self._cached_fingerprint
