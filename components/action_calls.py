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

from typing import Any, List

from rasa.engine.graph import GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.training_data.message import Message

from components import action_result_schema, resilience
from components.stateless import StatelessComponent

REPLACED = (resilience.RUN, action_result_schema.VALIDATE)


def install() -> None:
    resilience.install()
    action_result_schema.install()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ActionServerCalls(StatelessComponent):
    """Installs, in the process that creates it, how Rasa calls the action server."""

    @classmethod
    def create(cls, *args: Any, **kwargs: Any) -> GraphComponent:
        install()
        return super().create(*args, **kwargs)

    def process(self, messages: List[Message]) -> List[Message]:
        return messages
