"""components/router_refit.py: a model package whose router alone is refitted, when only
examples changed, and refused when the answers or the labels changed."""

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphModelConfiguration, GraphSchema, SchemaNode
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.data import TrainingType

from components.router_refit import FinetuneNeeded, refit_router
from components.understanding import LineRouter
from tests.components.test_line_router import EXAMPLES, data

DOMAIN = {"version": "3.1", "responses": {"utter_faq/shelter": [{"text": "Hay albergues."}]}}
NEW = ("faq", "faq/shelter", "necesito un techo esta noche para mis hijos")


class Importer:
    """What refit_router asks of Rasa's TrainingDataImporter."""

    def __init__(self, examples, domain=DOMAIN):
        self.examples, self.domain = examples, domain

    def get_nlu_data(self):
        return data(self.examples)

    def get_domain(self):
        return Domain.from_dict(self.domain)


def package(tmp_path: Path) -> Path:
    """A model archive holding a trained LineRouter, as `rasa train` writes one."""
    storage, resource = LocalModelStorage(tmp_path / "storage"), Resource("train_router")
    (tmp_path / "storage").mkdir()
    context = ExecutionContext(GraphSchema({}))
    router = LineRouter.create(LineRouter.get_default_config(), storage, resource, context)
    router.train(data(EXAMPLES))
    node = SchemaNode({}, LineRouter, "load", "process", {}, resource=resource)
    schema = GraphSchema({"run_router": node})
    model = tmp_path / "model.tar.gz"
    storage.create_model_package(
        model,
        GraphModelConfiguration(schema, schema, TrainingType.NLU, "line", "es", None, None),
        Domain.from_dict(DOMAIN),
    )
    return model


def loaded(model: Path, tmp: Path) -> LineRouter:
    tmp.mkdir()
    storage, metadata = LocalModelStorage.from_model_archive(tmp, model)
    node = metadata.predict_schema.nodes["run_router"]
    context = ExecutionContext(metadata.predict_schema)
    return LineRouter.load(LineRouter.get_default_config(), storage, node.resource, context)


def test_the_router_learns_the_new_example_and_the_rest_of_the_model_is_kept(tmp_path):
    model, output = package(tmp_path), tmp_path / "refitted.tar.gz"
    refit_router(model, output, Importer([*EXAMPLES, NEW]))
    old, new = loaded(model, tmp_path / "old"), loaded(output, tmp_path / "new")
    asked = "un techo esta noche para mis hijos"
    assert (
        new.router.read(asked).faq_topics["shelter"] > old.router.read(asked).faq_topics["shelter"]
    )
    assert new.router.topic_examples["shelter"].shape[0] == 3
    metadata = LocalModelStorage.metadata_from_archive(output)
    assert metadata.assistant_id == "line"
    assert metadata.domain.as_dict() == Domain.from_dict(DOMAIN).as_dict()


def test_a_changed_answer_is_more_than_examples(tmp_path):
    changed = {**DOMAIN, "responses": {"utter_faq/shelter": [{"text": "Otra respuesta."}]}}
    with pytest.raises(FinetuneNeeded):
        refit_router(package(tmp_path), tmp_path / "out.tar.gz", Importer(EXAMPLES, changed))
    assert not (tmp_path / "out.tar.gz").exists()


def test_a_new_topic_is_more_than_examples(tmp_path):
    examples = [*EXAMPLES, ("faq", "faq/school", "como matriculo a mi hijo en el colegio")]
    with pytest.raises(FinetuneNeeded):
        refit_router(package(tmp_path), tmp_path / "out.tar.gz", Importer(examples))


def test_more_examples_than_a_refit_takes_need_a_finetune(tmp_path):
    pasted = [
        ("faq", "faq/covid_vaccine", f"{text} {polite}")
        for *_, text in EXAMPLES
        for polite in ("por favor", "gracias")
    ]
    with pytest.raises(FinetuneNeeded, match="16 examples changed"):
        refit_router(package(tmp_path), tmp_path / "out.tar.gz", Importer([*EXAMPLES, *pasted]))
