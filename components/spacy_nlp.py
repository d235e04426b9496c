"""spaCy as Rasa's SpacyNLP loads it, without the parts no component here reads.

Rasa keeps every pipe of the spaCy model except the parser. Named entities are not read
by any component in config.yml (places come from the gazetteer), yet `ner` is most of
what spaCy costs per message. Tokens, lemmas and the vectors that SpacyTokenizer and
SpacyFeaturizer read come from tok2vec, morphologizer, attribute_ruler and lemmatizer,
which all still run, so the features are the same (tests/components/test_spacy_nlp.py).

The class keeps Rasa's name on purpose: Rasa hands the loaded model to SpacyTokenizer and
SpacyFeaturizer by the provider's class name ("SpacyNLP"), and its recipe registers
components by that name, so once config.yml has imported this module, it is the SpacyNLP.

It is the first component Rasa creates, when it trains and when it serves: the place to
install the training cache's fast fingerprints (components/fingerprints.py) before any
sparse feature exists.
"""

from __future__ import annotations

from typing import Any, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils import spacy_utils
from rasa.nlu.utils.spacy_utils import SpacyModel

from components import fingerprints, rasa_compat

UNUSED_PIPES = ("ner",)
# Loads the model with every pipe but the parser; this switches off more of them.
LOAD_MODEL = rasa_compat.Replaced(
    "spaCy without NER (components/spacy_nlp.py)",
    spacy_utils.SpacyNLP,
    "load_model",
    "2e68d488b5c7a4f0",
)
REPLACED = (LOAD_MODEL,)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="SpacyNLP",
)
class SpacyNLP(spacy_utils.SpacyNLP):
    """Rasa's SpacyNLP with the unused pipes switched off (faster, the same features)."""

    @classmethod
    def create(cls, *args: Any, **kwargs: Any) -> SpacyNLP:
        fingerprints.install()
        return super().create(*args, **kwargs)

    @staticmethod
    def load_model(spacy_model_name: Text) -> SpacyModel:
        rasa_compat.check(LOAD_MODEL)
        loaded = spacy_utils.SpacyNLP.load_model(spacy_model_name)
        for name in UNUSED_PIPES:
            if name in loaded.model.pipe_names:
                loaded.model.disable_pipe(name)
        return loaded
