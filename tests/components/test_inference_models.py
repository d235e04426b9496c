"""A model loaded for answering holds exactly the weights Rasa's own loading gives, and
answers the same; only the training machinery is left out."""

import asyncio
import hashlib

import pytest
from rasa.core.agent import load_agent
from rasa.core.policies.ted_policy import TEDPolicy as RasasTED
from rasa.graph_components.providers.rule_only_provider import RuleOnlyDataProvider
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.utils.tensorflow.models import RasaModel

from bench.keyword_baseline import load_examples
from components import inference_models, rasa_compat
from tests.support.requirements import ROOT


def rasas_load(cls, *args, **kwargs):
    return rasa_compat.original(inference_models.LOAD)(cls, *args, **kwargs)


def _loaded(model_path, monkeypatch, rasas: bool):
    """Weights of every TensorFlow model in the line's model, and some parses."""
    if rasas:
        monkeypatch.setattr(inference_models.ForAnswering, "load", classmethod(rasas_load))
    else:
        monkeypatch.undo()
    texts = [text for text, _ in load_examples(ROOT / "tests" / "nlu")][:40]

    async def load_and_parse():
        agent = await load_agent(model_path=str(model_path))
        weights = {}
        for name, node in agent.processor.graph_runner._instantiated_nodes.items():
            model = getattr(node._component, "model", None)
            if isinstance(model, RasaModel):
                assert isinstance(model, inference_models.ForAnswering), name
                digest = hashlib.sha256()
                for variable in sorted(model.weights, key=lambda v: v.name):
                    digest.update(variable.name.encode() + variable.numpy().tobytes())
                weights[name] = (len(model.weights), digest.hexdigest(), model.optimizer)
        parses = [await agent.parse_message(text) for text in texts]
        return weights, [
            (p["intent"], p["response_selector"]["faq"]["ranking"][:3]) for p in parses
        ]

    return asyncio.run(load_and_parse())


def test_same_weights_and_answers_without_the_optimizer(trained_model, monkeypatch):
    rasas_weights, rasas_parses = _loaded(trained_model, monkeypatch, rasas=True)
    our_weights, our_parses = _loaded(trained_model, monkeypatch, rasas=False)
    assert {n for n in rasas_weights if "DIET" in n or "Response" in n or "TED" in n} == set(
        rasas_weights
    ) and len(rasas_weights) == 3
    for name, (count, digest, optimizer) in rasas_weights.items():
        assert optimizer is not None  # Rasa's loading compiles with Adam
        assert our_weights[name][:2] == (count, digest)
        assert our_weights[name][2] is None  # ours never builds it
    assert our_parses == rasas_parses


@pytest.mark.parametrize(
    "model_class",
    [
        inference_models.DIETForAnswering,
        inference_models.DIET2DIETForAnswering,
        inference_models.TEDForAnswering,
    ],
)
def test_finetuning_keeps_rasas_loading(model_class, monkeypatch):
    """Rasa's RasaModel.load is replaced by a spy here, which the guard would refuse."""
    calls = []
    monkeypatch.setattr(rasa_compat, "check", lambda *functions: None)
    monkeypatch.setattr(
        RasaModel, "load", classmethod(lambda cls, *args, **kwargs: calls.append(args) or "rasa's")
    )
    assert model_class.load("weights", None, "example", True) == "rasa's"
    assert model_class.load("weights", None, None, False) == "rasa's"
    assert len(calls) == 2


def test_the_components_build_the_models_for_answering():
    assert inference_models.DIETClassifier.model_class() is inference_models.DIETForAnswering
    assert (
        inference_models.ResponseSelector.model_class(True)
        is inference_models.DIET2DIETForAnswering
    )
    assert (
        inference_models.ResponseSelector.model_class(False)
        is inference_models.DIET2BOWForAnswering
    )
    assert inference_models.TEDPolicy.model_class() is inference_models.TEDForAnswering
    config = (ROOT / "config.yml").read_text(encoding="utf-8")
    for name in ("DIETClassifier", "ResponseSelector", "TEDPolicy"):
        assert f"name: components.inference_models.{name}\n" in config


def test_ted_gives_its_own_prediction_again_for_the_same_states(trained_model, monkeypatch):
    """Every prediction point of the training stories, asked twice: each prediction is the
    one Rasa's TED computes for that tracker, the second time without a TensorFlow call,
    and a caller changing one does not change the next."""
    agent = asyncio.run(load_agent(model_path=str(trained_model)))
    components = [
        node._component for node in agent.processor.graph_runner._instantiated_nodes.values()
    ]
    ted = next(c for c in components if isinstance(c, inference_models.TEDPolicy))
    rules = next(c for c in components if isinstance(c, RuleOnlyDataProvider))
    assert ted.reads_states_only()
    domain, rule_only_data = agent.domain, rules.provide()
    stories = TrainingDataImporter.load_from_dict(
        training_data_paths=[str(ROOT / "data" / "stories")]
    ).get_stories()
    trackers = TrainingDataGenerator(
        stories, domain, augmentation_factor=0
    ).generate_story_trackers()
    points = [
        DialogueStateTracker.from_events(tracker.sender_id, list(tracker.events)[:n], domain.slots)
        for tracker in trackers
        for n, event in enumerate(tracker.events)
        if isinstance(event, ActionExecuted) and n > 0
    ]
    calls = []
    run_inference = ted.model.run_inference
    monkeypatch.setattr(
        ted.model, "run_inference", lambda data: calls.append(1) or run_inference(data)
    )
    ted._predictions.clear()
    for asked in (1, 2):
        for tracker in points:
            ours = ted.predict_action_probabilities(tracker, domain, rule_only_data)
            rasas = RasasTED.predict_action_probabilities(ted, tracker, domain, rule_only_data)
            assert ours.probabilities == rasas.probabilities
            assert ours.policy_name == rasas.policy_name
            ours.probabilities[:] = [0.0] * len(ours.probabilities)
        # Rasa's own call each time, ours only for a state not seen before
        assert len(calls) == asked * len(points) + len(ted._predictions)
