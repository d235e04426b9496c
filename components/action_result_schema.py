"""Check each custom action's answer against Rasa's schema without re-checking the schema.

Rasa 3.6 validates every action server response with `jsonschema.validate`, which first
checks Rasa's (large) events schema against the JSON Schema meta-schema, on every call.
With jsonschema 4.17 that costs ≈65 ms of CPU per custom action, more than the whole
NLU pipeline of a turn (`make profile`). The schema never changes while a process runs,
so it is checked once and its validator kept; answers are still checked in full, and a
bad answer fails with the same error as before.

A patch: Rasa has no extension point for how it checks an action server's answer.
Installed by components/action_calls.py.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text, Type

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

from components import rasa_compat

VALIDATE = rasa_compat.Replaced(
    "action answers checked with one validator (components/action_result_schema.py)",
    RemoteAction,
    "_validate_action_result",
    "f8cdb4be68123961",
)


def install() -> None:
    """Idempotent: the same function is set each time."""
    rasa_compat.install(VALIDATE, validate_action_result)


@lru_cache(maxsize=None)
def _validator(action_class: Type[RemoteAction]):
    schema = action_class.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    """Rasa's RemoteAction._validate_action_result with the validator built once."""
    error = best_match(_validator(type(self)).iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response "
        "from the Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error
