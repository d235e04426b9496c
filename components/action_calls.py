"""How Rasa calls the action server, installed by a pipeline component (config.yml).

Rasa 3.6 has no extension point for what happens when a custom action fails, nor for how
an action server's answer is checked, so two of Rasa's functions are replaced, each
guarded against the installed Rasa (components/rasa_compat.py):

- RemoteAction.run: a failed or slow custom action hands the person over kindly
  (components/resilience.py);
- RemoteAction._validate_action_result: each answer checked with a validator built once
  (components/action_result_schema.py).

Every Rasa process that serves the model creates its components before the first
message, whatever channel or store is configured; creating this one installs both. It
does nothing to messages. Importing the module changes nothing.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from components import action_result_schema, resilience

REPLACED = (resilience.RUN, action_result_schema.VALIDATE)


def install() -> None:
    resilience.install()
    action_result_schema.install()


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class ActionServerCalls(GraphComponent):
    """Installs, in the process that creates it, how Rasa calls the action server."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> GraphComponent:
        install()
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        return messages
