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

import copy
import json
import warnings
from collections import OrderedDict
from typing import Any, Dict, Optional, Text, Type

from rasa.core.featurizers.tracker_featurizers import TrackerFeaturizer
from rasa.core.policies import ted_policy as rasa_ted
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.core.policies.ted_policy import TED
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers import diet_classifier as rasa_diet
from rasa.nlu.classifiers.diet_classifier import DIET
from rasa.nlu.selectors import response_selector as rasa_selector
from rasa.nlu.selectors.response_selector import DIET2BOW, DIET2DIET
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT
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
# TEDPolicy's prediction is a function of the dialogue states alone when it was trained
# without user text (the line's stories have none): these are the functions that make it so.
STATES_ONLY = "TED's predictions remembered by dialogue state (components/inference_models.py)"
PREDICTION_FROM_STATES = (
    rasa_compat.Replaced(
        STATES_ONLY, rasa_ted.TEDPolicy, "predict_action_probabilities", "4a5d484262f5d132"
    ),
    rasa_compat.Replaced(STATES_ONLY, rasa_ted.TEDPolicy, "_featurize_tracker", "f2c6208ee741cc2d"),
    rasa_compat.Replaced(STATES_ONLY, Policy, "_featurize_for_prediction", "6de9aeb8fa531c41"),
    rasa_compat.Replaced(
        STATES_ONLY, TrackerFeaturizer, "create_state_features", "2c9564e46130cd24"
    ),
)
REPLACED = (LOAD, *PREDICTION_FROM_STATES)


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
    """Rasa's TEDPolicy, served without its training machinery, remembering its answers.

    Every action of a turn asks every policy, and each TED prediction costs a TensorFlow
    call (docs/bench.md). Trained without user text, TED reads only the dialogue states
    (intents, actions, slots, loops of its last `max_history` turns), and people's
    conversations pass through the same few states again and again. So a prediction is
    kept under its states (the most recent PREDICTIONS_KEPT), and the next tracker in those
    states gets a copy: the same prediction, without the call.
    """

    PREDICTIONS_KEPT = 4096

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        rasa_compat.check(*PREDICTION_FROM_STATES)
        super().__init__(*args, **kwargs)
        self._predictions: "OrderedDict[str, PolicyPrediction]" = OrderedDict()

    @staticmethod
    def model_class() -> Type[TED]:
        return TEDForAnswering

    def reads_states_only(self) -> bool:
        return self.model is not None and not self.only_e2e and TEXT not in self.fake_features

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        if not self.reads_states_only():
            return super().predict_action_probabilities(tracker, domain, rule_only_data, **kwargs)
        key = self.states_key(tracker, domain, rule_only_data)
        prediction = self._predictions.get(key)
        if prediction is None:
            prediction = super().predict_action_probabilities(
                tracker, domain, rule_only_data, **kwargs
            )
            self._predictions[key] = prediction
            if len(self._predictions) > self.PREDICTIONS_KEPT:
                self._predictions.popitem(last=False)
        else:
            self._predictions.move_to_end(key)
        return copy.deepcopy(prediction)

    def states_key(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]],
    ) -> str:
        """The states TED featurizes for this tracker (as `_featurize_for_prediction`
        asks them), as one string."""
        ml_data = self.supported_data() == rasa_ted.SupportedData.ML_DATA
        states = self.featurizer.prediction_states(
            [tracker],
            domain,
            use_text_for_last_user_input=False,
            ignore_rule_only_turns=ml_data,
            rule_only_data=rule_only_data,
            ignore_action_unlikely_intent=ml_data,
        )
        return json.dumps(states, sort_keys=True)
