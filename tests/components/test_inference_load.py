"""A model loaded for answering holds exactly the weights Rasa's own loading gives, and
answers the same; only the training machinery is left out."""
import asyncio
import hashlib
from pathlib import Path

import pytest
from rasa.core.agent import load_agent
from rasa.utils.tensorflow.models import RasaModel

import components  # noqa: F401  (installs the inference loading)
from bench.keyword_baseline import load_examples
from components import inference_load

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "line.tar.gz"


def _loaded(monkeypatch, rasas: bool):
    """Weights of every TensorFlow model in the line's model, and some parses."""
    loader = inference_load._rasas_load if rasas else inference_load.load
    monkeypatch.setattr(RasaModel, "load", classmethod(loader))
    texts = [text for text, _ in load_examples(ROOT / "tests" / "nlu")][:40]

    async def load_and_parse():
        agent = await load_agent(model_path=str(MODEL))
        weights = {}
        for name, node in agent.processor.graph_runner._instantiated_nodes.items():
            model = getattr(node._component, "model", None)
            if isinstance(model, RasaModel):
                digest = hashlib.sha256()
                for variable in sorted(model.weights, key=lambda v: v.name):
                    digest.update(variable.name.encode() + variable.numpy().tobytes())
                weights[name] = (len(model.weights), digest.hexdigest(), model.optimizer)
        parses = [await agent.parse_message(text) for text in texts]
        return weights, [(p["intent"], p["response_selector"]["faq"]["ranking"][:3])
                         for p in parses]

    return asyncio.run(load_and_parse())


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
def test_same_weights_and_answers_without_the_optimizer(monkeypatch):
    rasas_weights, rasas_parses = _loaded(monkeypatch, rasas=True)
    our_weights, our_parses = _loaded(monkeypatch, rasas=False)
    assert {n for n in rasas_weights if "DIET" in n or "Response" in n or "TED" in n} == \
        set(rasas_weights) and len(rasas_weights) == 3
    for name, (count, digest, optimizer) in rasas_weights.items():
        assert optimizer is not None  # Rasa's loading compiles with Adam
        assert our_weights[name][:2] == (count, digest)
        assert our_weights[name][2] is None  # ours never builds it
    assert our_parses == rasas_parses


def test_finetuning_keeps_rasas_loading(monkeypatch):
    calls = []
    monkeypatch.setattr(inference_load, "_rasas_load",
                        lambda cls, *args, **kwargs: calls.append(args) or "rasa's")
    assert inference_load.load(RasaModel, "weights", None, "example", True) == "rasa's"
    assert inference_load.load(RasaModel, "weights", None, None, False) == "rasa's"
    assert len(calls) == 2
