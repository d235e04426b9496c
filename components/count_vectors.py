"""Rasa's CountVectorsFeaturizer, featurising a whole training set in one pass.

Rasa's featurizer calls scikit-learn's `transform` twice per message and attribute
(tokens, then the sentence). Over the ≈2,800 training examples that is ≈11,000 calls of
≈1.5 ms each: most of the featurising that every training, finetunes included, pays
before any epoch (docs/bench.md "Training time"). Each row of `transform` depends only on
its own text, so transforming every message's tokens at once and cutting the result back
into messages gives the same features (tests/components/test_count_vectors.py).

An override of Rasa's `process` that re-implements its `_create_features` for many
messages at once, with Rasa's private helpers: both are checked against the installed Rasa
when the featurizer is made (components/rasa_compat.py).
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Text, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer import count_vectors_featurizer
from rasa.shared.nlu.training_data.message import Message

from components import rasa_compat

Features = List[Optional[scipy.sparse.spmatrix]]
_RASAS = count_vectors_featurizer.CountVectorsFeaturizer
REPLACED = (
    rasa_compat.Replaced(
        "batched count vectors (components/count_vectors.py)", _RASAS, "process", "95cd0baaa70c8983"
    ),
    rasa_compat.Replaced(
        "batched count vectors (components/count_vectors.py)",
        _RASAS,
        "_create_features",
        "d841f50f6649704a",
    ),
)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class BatchCountVectorsFeaturizer(_RASAS):
    """Same configuration, vocabulary and features as CountVectorsFeaturizer; faster on
    many messages at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        rasa_compat.check(*REPLACED)
        super().__init__(*args, **kwargs)

    def process(self, messages: List[Message]) -> List[Message]:
        if self.vectorizers is None or len(messages) < 2:
            return super().process(messages)
        for attribute in self._attributes:
            all_tokens = [
                self._get_processed_message_tokens_by_attribute(message, attribute)
                for message in messages
            ]
            sequences, sentences = self._features_of_all(attribute, all_tokens)
            for message, sequence, sentence in zip(messages, sequences, sentences, strict=True):
                self.add_features_to_message(sequence, sentence, attribute, message)
        return messages

    def _features_of_all(
        self, attribute: Text, all_tokens: Sequence[List[Text]]
    ) -> Tuple[Features, Features]:
        """What Rasa's `_create_features` gives message by message, with two transforms."""
        sequences: Features = [None] * len(all_tokens)
        sentences: Features = [None] * len(all_tokens)
        vectorizer = self.vectorizers.get(attribute)
        present = [i for i, tokens in enumerate(all_tokens) if tokens]
        if not vectorizer or not present:
            return sequences, sentences
        token_rows = vectorizer.transform([t for i in present for t in all_tokens[i]])
        token_rows.sort_indices()
        lengths = [len(all_tokens[i]) for i in present]
        for i, end, length in zip(present, np.cumsum(lengths), lengths, strict=True):
            sequences[i] = token_rows[end - length : end].tocoo()
        if attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            sentence_rows = vectorizer.transform([" ".join(all_tokens[i]) for i in present])
            sentence_rows.sort_indices()
            for row, i in enumerate(present):
                sentences[i] = sentence_rows[row : row + 1].tocoo()
        return sequences, sentences
