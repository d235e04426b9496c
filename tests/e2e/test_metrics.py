"""The metrics of the real Rasa server and action server, with the trained model, after
people who gave every identifier they had asked an FAQ, for a service, for a person and
for help in danger: Rasa counts each turn by what the line did, the action server each
call, and neither port shows a number, a name, a sender id or a word of what was said."""

from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.metrics import IDENTIFYING_MESSAGES, PHONES, assert_clean, scrape, secrets_of
from tests.support.net import free_port, wait_until
from tests.support.servers import Conversation, prepare, start_actions, start_rasa, stop

# (what the person says, what the line does), each from a REST sender named by a phone.
TURNS = (
    ("hola soy Maria Fernanda Gutierrez Rojas, la prueba de covid es gratis?", "faq"),
    ("donde me vacuno en trujillo, vivo en Jiron Los Olivos 1234", "search"),
    ("quiero hablar con una persona, mi numero es 51987650001", "handoff"),
    ("mi esposo Jose Ramirez me esta pegando ahora, ayuda", "emergency"),
)


@pytest.fixture(scope="module")
def line(tmp_path_factory, trained_model):
    work = tmp_path_factory.mktemp("metrics")
    rasa_port, actions_port = free_port(), free_port()
    rasa_metrics, actions_metrics = free_port(), free_port()
    env, endpoints = prepare(work, f"sqlite:///{work / 'line.db'}", actions_port)
    actions = start_actions(actions_port, {**env, "LINE_METRICS_PORT": str(actions_metrics)}, work)
    try:
        rasa = start_rasa(
            rasa_port, endpoints, {**env, "LINE_METRICS_PORT": str(rasa_metrics)}, work
        )
        try:
            yield SimpleNamespace(
                url=f"http://127.0.0.1:{rasa_port}", rasa=rasa_metrics, actions=actions_metrics
            )
        finally:
            stop(rasa)
    finally:
        stop(actions)


def turns(text: str, outcome: str) -> float:
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "line_turns_total" and s.labels == {"outcome": outcome, "channel": "rest"}
    )


def test_every_turn_is_counted_by_outcome_and_no_one_is_named(line):
    senders = []
    for n, (text, outcome) in enumerate(TURNS):
        person = Conversation(line.url)
        person.sender = PHONES[n % len(PHONES)] + str(n)  # a phone number as the sender id
        senders.append(person.sender)
        before = turns(scrape(line.rasa), outcome)
        assert person.say(text), text
        assert wait_until(lambda o=outcome, b=before: turns(scrape(line.rasa), o) > b, 30), (
            text,
            scrape(line.rasa),
        )
    for text in IDENTIFYING_MESSAGES:
        Conversation(line.url).say(text)
    rasa, actions = scrape(line.rasa), scrape(line.actions)
    assert "line_turn_seconds_bucket" in rasa
    assert 'line_action_calls_total{action="action_find_services",result="ok"}' in actions
    assert 'line_action_calls_total{action="action_handoff",result="ok"}' in actions
    assert "line_handoff_tickets_total" in actions
    for text in (rasa, actions):
        assert_clean(text, secrets_of(more=senders))
