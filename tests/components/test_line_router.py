"""LineRouter under `rasa train --finetune`: loaded with the model's router, it trains
from that router's weights (line/understanding/router.py, IntentRouter.fit)."""

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.understanding import LineRouter

EXAMPLES = [
    ("faq", "faq/shelter", "los albergues cobran algo"),
    ("faq", "faq/shelter", "cuantos dias me puedo quedar en el albergue"),
    ("faq", "faq/covid_vaccine", "la vacuna del covid es gratis para extranjeros"),
    ("faq", "faq/covid_vaccine", "donde me pongo la tercera dosis de la vacuna"),
    ("greet", None, "hola buenas tardes"),
    ("greet", None, "buenos dias amigos"),
    ("out_of_scope", None, "como saco licencia de conducir"),
    ("out_of_scope", None, "cuanto esta el dolar hoy"),
]


def data(examples):
    return TrainingData(
        [
            Message(data={"text": text, "intent": intent, "intent_response_key": key})
            for intent, key, text in examples
        ]
    )


def trained(tmp_path, examples, finetuning_from=None):
    """A LineRouter trained as `rasa train` does, or loaded from `finetuning_from` and
    trained again as `rasa train --finetune` does."""
    context = ExecutionContext(GraphSchema({}), is_finetuning=finetuning_from is not None)
    config = LineRouter.get_default_config()
    if finetuning_from is None:
        (tmp_path / "storage").mkdir(parents=True)
        storage, resource = LocalModelStorage(tmp_path / "storage"), Resource("router")
        router = LineRouter.create(config, storage, resource, context)
    else:
        storage, resource = finetuning_from
        router = LineRouter.load(config, storage, resource, context)
    router.train(data(examples))
    return router, (storage, resource)


def test_a_finetune_trains_the_router_from_the_models_weights(tmp_path):
    scratch, stored = trained(tmp_path, EXAMPLES)
    # Nothing changed: the model's weights are already the optimum, a fit from zero is not.
    finetuned, _ = trained(tmp_path, EXAMPLES, finetuning_from=stored)
    assert finetuned.router.model.n_iter_[0] <= 2 < scratch.router.model.n_iter_[0]
    a = scratch.router.read("me puedo quedar en el albergue")
    b = finetuned.router.read("me puedo quedar en el albergue")
    assert max(b.faq_topics, key=b.faq_topics.get) == "shelter"
    assert abs(a.intents["faq"] - b.intents["faq"]) < 1e-3
