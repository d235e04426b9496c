"""Refit only the line's router inside a trained model, when only FAQ examples changed.

A Rasa finetune of a one-topic change takes about six minutes on this machine, most of it
starting, featurizing every example and training DIET and the ResponseSelector again
(docs/training.md, "A quiet machine"). When the change only adds or edits examples of
topics the model already has (the same answers, labels, config and stories), the router,
which carries most of the blend (`router_weight`), is fitted again from its own weights
and written back into the model with Rasa's storage API; DIET and the ResponseSelector
learn the new phrasings at the next finetune. The tests and the gate judge the result as
they judge any other model.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from rasa.engine.graph import GraphModelConfiguration
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.importers.importer import TrainingDataImporter

from components.understanding import LineRouter, router_examples
from line.understanding.router import REFIT_MOST_EXAMPLES, IntentRouter


class FinetuneNeeded(Exception):
    """The router alone is not enough: the answers or the labels changed, or too many
    examples for a refit's few iterations."""


def refit_router(model: Path, output: Path, importer: TrainingDataImporter) -> None:
    """`model` with its router refitted on `importer`'s NLU data, written to `output`."""
    texts, labels = router_examples(importer.get_nlu_data())
    domain = importer.get_domain()
    with tempfile.TemporaryDirectory() as tmp:
        storage, metadata = LocalModelStorage.from_model_archive(Path(tmp), model)
        if domain.as_dict() != metadata.domain.as_dict():
            raise FinetuneNeeded("an answer or the domain changed")
        [node] = [n for n in metadata.predict_schema.nodes.values() if n.uses is LineRouter]
        config = LineRouter.get_default_config() | node.config
        with storage.read_from(node.resource) as folder:
            router = IntentRouter.load(folder, config["regularisation"])
        if not router.knows_labels(labels):
            raise FinetuneNeeded("the intents or the FAQ topics changed")
        changed = router.changed_examples(texts, labels)
        if changed > REFIT_MOST_EXAMPLES:
            raise FinetuneNeeded(f"{changed} examples changed, more than {REFIT_MOST_EXAMPLES}")
        router.refit(texts, labels)
        with storage.write_to(node.resource) as folder:
            router.save(folder)
        storage.create_model_package(
            output,
            GraphModelConfiguration(
                train_schema=metadata.train_schema,
                predict_schema=metadata.predict_schema,
                training_type=metadata.training_type,
                assistant_id=metadata.assistant_id,
                language=metadata.language,
                core_target=metadata.core_target,
                nlu_target=metadata.nlu_target,
                spaces=metadata.spaces,
            ),
            metadata.domain,
        )
