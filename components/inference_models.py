"""Rasa's TensorFlow models loaded for answering, without their training machinery.

`RasaModel.load` builds a model by compiling it with an Adam optimizer and fitting one
example, then restores the checkpoint. The traced training step and the optimizer's two
slots per weight then stay in memory for the life of a server that never trains: that is
much of why a Rasa process with our vocabulary is bigger than a plain `rasa init` bot
(docs/bench.md). A model that is not being finetuned is built here by one prediction
instead, its weights restored (the optimizer's entries in the checkpoint are not wanted),
and its prediction set-up done again from the restored weights. Finetuning keeps Rasa's
way. Predictions are the same (tests/components/test_inference_models.py).

Rasa's supported hook is each component's `model_class()`, the TensorFlow model it
builds: DIETClassifier, ResponseSelector and TEDPolicy are subclassed here (config.yml
names them) to build the same models with an inference-only `load`. That `load` stands in
for Rasa's `RasaModel.load`, so it is checked against the installed Rasa (rasa_compat).

The subclasses keep Rasa's names, as components/spacy_nlp.py does: Rasa names a
component's files in the model after its class, and `rasa test` and the recipe look for
these three by name (the response selector's entity results, the policy that extracts
entities), so the trained model and the test reports are laid out as Rasa's.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional, Text, Type

from rasa.core.policies import ted_policy as rasa_ted
from rasa.core.policies.ted_policy import TED
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers import diet_classifier as rasa_diet
from rasa.nlu.classifiers.diet_classifier import DIET
from rasa.nlu.selectors import response_selector as rasa_selector
from rasa.nlu.selectors.response_selector import DIET2BOW, DIET2DIET
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

from components import rasa_compat

# Rasa's recipe validator looks for its own ResponseSelector class, not a subclass, and
# would tell every training that the configuration has no response selector.
warnings.filterwarnings(
    "ignore",
    category=UserWarning,
    message="You have defined training data with examples for training "
    "a response selector, but your NLU configuration does not "
    "include a response selector component",
)

LOAD = rasa_compat.Replaced(
    "models loaded for answering (components/inference_models.py)",
    RasaModel,
    "load",
    "84fd81c0fdd01a80",
)
REPLACED = (LOAD,)


class ForAnswering:
    """Mixed into a RasaModel class: `load` builds it by one prediction, not by training."""

    @classmethod
    def load(
        cls,
        model_file_name: Text,
        model_data_example: RasaModelData,
        predict_data_example: Optional[RasaModelData] = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> RasaModel:
        rasa_compat.check(LOAD)
        if finetune_mode or predict_data_example is None:
            return super().load(
                model_file_name,
                model_data_example,
                predict_data_example,
                finetune_mode,
                *args,
                **kwargs,
            )
        model = cls(*args, **kwargs)
        model.run_inference(predict_data_example)  # creates the weights a prediction uses
        model.load_weights(model_file_name).expect_partial()
        # Label embeddings and the traced prediction were made from the initial weights.
        model.prepared_for_prediction = False
        model._tf_predict_step = None
        model.run_inference(predict_data_example)
        return model


class DIETForAnswering(ForAnswering, DIET):
    """DIET, the intent classifier's model."""


class DIET2BOWForAnswering(ForAnswering, DIET2BOW):
    """The ResponseSelector's model when answers are not embedded as text."""


class DIET2DIETForAnswering(ForAnswering, DIET2DIET):
    """The ResponseSelector's model when answers are embedded as text (the line's case)."""


class TEDForAnswering(ForAnswering, TED):
    """TED, the dialogue policy's model."""


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    ],
    is_trainable=True,
)
class DIETClassifier(rasa_diet.DIETClassifier):
    """Rasa's DIETClassifier, served without its training machinery."""

    @staticmethod
    def model_class() -> Type[RasaModel]:
        return DIETForAnswering


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class ResponseSelector(rasa_selector.ResponseSelector):
    """Rasa's ResponseSelector, served without its training machinery."""

    @staticmethod
    def model_class(use_text_as_label: bool) -> Type[RasaModel]:  # noqa: D102
        return DIET2DIETForAnswering if use_text_as_label else DIET2BOWForAnswering


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITH_END_TO_END_SUPPORT, is_trainable=True
)
class TEDPolicy(rasa_ted.TEDPolicy):
    """Rasa's TEDPolicy, served without its training machinery."""

    @staticmethod
    def model_class() -> Type[TED]:
        return TEDForAnswering
