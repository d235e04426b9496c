"""A model loaded for answering holds exactly the weights Rasa's own loading gives, and
answers the same; only the training machinery is left out."""

import asyncio
import hashlib

import pytest
from rasa.core.agent import load_agent
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
