"""A custom action that fails or is too slow hands the person to a person, kindly.

Rasa 3.6 has no extension point for this. RemoteAction.run raises when the action
server cannot be reached or answers with an error, MessageProcessor._run_action
logs it and drops the action's events, and the person hears nothing
(RasaHQ/rasa#2559); a slow action server holds the turn for Rasa's
DEFAULT_REQUEST_TIMEOUT (5 minutes). Rasa's plugin hooks only see successful
responses. So `install()` wraps RemoteAction.run, once per process: each call
gets ACTION_TIMEOUT_SECONDS, and any failure except a deliberate rejection
(ActionExecutionRejection, which forms rely on) becomes what action_handoff
does, from inside Rasa, with the ticket built by line/handoff/request.py as
action_handoff builds it: the emergency number first if the person is in danger,
`utter_line_trouble` from the domain, a ticket (reason "technical" unless the person
is in danger or reported abuse, written with line/handoff/spool.py so a database
outage does not lose it), any form stopped, and ConversationPaused, so an operator
takes the conversation.

Rasa asks the action server for its slot-mapping check after every message; the line's
acts only while a person waits for an operator (actions/handoff.py), so other turns skip
the call.
Two exceptions need no person: a failed action_session_start is replaced by Rasa's
own session start (no greeting), so the person's message decides; and a failed
extra that only adds to an answer already given (OPTIONAL) is skipped.

A patch, guarded against the installed Rasa; installed by components/action_calls.py.
A slow action server's call is cancelled, so its late answer is never shown;
if it still writes a ticket, line/handoff/tickets.py adds to the open one of the person.
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import Any, Dict, List, Optional

from rasa.core.actions.action import (
    ActionExecutionRejection,
    ActionSessionStart,
    RemoteAction,
    create_bot_utterance,
)
from rasa.core.nlg import NaturalLanguageGenerator, TemplatedNaturalLanguageGenerator
from rasa.shared.core.constants import (
    ACTION_SESSION_START_NAME,
    ACTION_VALIDATE_SLOT_MAPPINGS,
    REQUESTED_SLOT,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, BotUttered, ConversationPaused, Event, SlotSet

from components import rasa_compat
from line.core import metrics
from line.core import settings as config
from line.handoff import request, spool

logger = logging.getLogger(__name__)

TROUBLE = "utter_line_trouble"
NOT_KEPT = "utter_handoff_failed"
# Asked after an FAQ answer: without it the person still has the answer. Run after every
# message (actions/paused.py): a paused conversation already has its ticket, and any
# other turn's own actions hand over if the action server is down.
OPTIONAL = {"action_ask_rating", ACTION_VALIDATE_SLOT_MAPPINGS}
# Actions that do nothing unless the conversation is paused: not called otherwise.
ONLY_WHILE_PAUSED = {ACTION_VALIDATE_SLOT_MAPPINGS}
RUN = rasa_compat.Replaced(
    "failed actions hand over (components/resilience.py)", RemoteAction, "run", "ccabf6f1160d527a"
)


def install() -> None:
    """Idempotent: Rasa's own run is kept, the wrapper set each time."""
    rasa_compat.install(RUN, run_or_hand_over)


async def run_or_hand_over(
    self: RemoteAction, output_channel, nlg, tracker, domain: Domain
) -> List[Event]:
    if self.name() in ONLY_WHILE_PAUSED and not tracker.is_paused():
        return []
    timeout = config.settings.action_timeout_seconds
    try:
        return await asyncio.wait_for(
            rasa_compat.original(RUN)(self, output_channel, nlg, tracker, domain), timeout
        )
    except ActionExecutionRejection:
        raise
    except asyncio.TimeoutError:
        failure = f"{self.name()} took more than {timeout:g} s"
        metrics.action_failed(timed_out=True)
    except Exception as exc:  # whatever it was, the person must not be left in silence
        failure = f"{self.name()} failed: {exc}"
        metrics.action_failed(timed_out=False)
    logger.error("custom action %s (conversation %s)", failure, tracker.sender_id)
    if self.name() == ACTION_SESSION_START_NAME:
        return await ActionSessionStart().run(output_channel, nlg, tracker, domain)
    if self.name() in OPTIONAL:
        return []
    return await _hand_over(output_channel, nlg, tracker, failure)


async def _hand_over(output_channel, nlg, tracker, failure: str) -> List[Event]:
    """What action_handoff would do, from inside Rasa, with the failure as a note."""
    handoff = request.from_conversation(
        tracker.sender_id,
        [event.as_dict() for event in tracker.events],
        tracker.latest_message.parse_data,
        {
            "service_category": tracker.get_slot("service_category"),
            "region": tracker.get_slot("region"),
        },
        tracker.get_latest_input_channel(),
        failure,
    )
    responses = [handoff.emergency_response] if handoff.emergency_response else []
    try:
        await asyncio.to_thread(spool.open_or_keep, handoff)
        responses.append(TROUBLE)
        paused: List[Event] = [ConversationPaused()]
    except OSError:
        logger.exception(
            "NO TICKET for %s after %s: neither the database nor the spool "
            "took it; the person is asked to write again",
            tracker.sender_id,
            failure,
        )
        responses.append(NOT_KEPT)
        paused = []
    said = [await _utterance(name, output_channel, nlg, tracker) for name in responses]
    stop_form = [SlotSet(REQUESTED_SLOT, None), ActiveLoop(None)]
    return [message for message in said if message] + stop_form + paused


async def _utterance(
    name: str, output_channel, nlg: NaturalLanguageGenerator, tracker
) -> Optional[BotUttered]:
    """The response from the model's domain, else from domain.yml, so a model trained
    before the response existed still says it."""
    for generator in (nlg, TemplatedNaturalLanguageGenerator(_file_responses())):
        draft = await generator.generate(name, tracker, output_channel.name())
        if draft:
            return create_bot_utterance({**draft, "utter_action": name})
    logger.error("no response %s in the model nor in %s", name, config.settings.domain_file)
    return None


@lru_cache(maxsize=1)
def _file_responses() -> Dict[str, List[Dict[str, Any]]]:
    return Domain.load(str(config.settings.domain_file)).responses
