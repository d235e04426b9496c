"""Rasa's TensorFlow models loaded for answering, without their training machinery.

`RasaModel.load` builds a model by compiling it with an Adam optimizer and fitting one
example, then restores the checkpoint. The traced training step and the optimizer's two
slots per weight then stay in memory for the life of a server that never trains: that is
much of why a Rasa process with our vocabulary is bigger than a plain `rasa init` bot
(docs/bench.md). A model that is not being finetuned is built here by one prediction
instead, its weights restored (the optimizer's entries in the checkpoint are not wanted),
and its prediction set-up done again from the restored weights. Finetuning keeps Rasa's
way. Predictions are the same (tests/components/test_inference_load.py).
"""
from __future__ import annotations

from typing import Any, Optional, Text

from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

_rasas_load = RasaModel.load.__func__


def install() -> None:
    """Idempotent: the original is kept at import, the replacement set each time."""
    RasaModel.load = classmethod(load)


def load(cls, model_file_name: Text, model_data_example: RasaModelData,
         predict_data_example: Optional[RasaModelData] = None,
         finetune_mode: bool = False, *args: Any, **kwargs: Any) -> RasaModel:
    if finetune_mode or predict_data_example is None:
        return _rasas_load(cls, model_file_name, model_data_example, predict_data_example,
                           finetune_mode, *args, **kwargs)
    model = cls(*args, **kwargs)
    model.run_inference(predict_data_example)  # creates the weights a prediction uses
    model.load_weights(model_file_name).expect_partial()
    # Label embeddings and the traced prediction were made from the initial weights.
    model.prepared_for_prediction = False
    model._tf_predict_step = None
    model.run_inference(predict_data_example)
    return model
