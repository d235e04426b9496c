"""Each function of Rasa the line replaces is checked against the installed Rasa: another
version, or another source of the function, stops Rasa with the change to review."""

import importlib
import inspect

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource

from components import action_calls, rasa_compat, resilience
from stores import broker, lock_store, tracker_store, turns
from tests.components.conftest import REPLACED

EVERY_CHANGE = (
    REPLACED + broker.REPLACED + lock_store.REPLACED + tracker_store.REPLACED + turns.REPLACED
)


class Rasas:
    """Stands in for a class of Rasa."""

    def run(self):
        return "rasa's"


def replacement(self):
    return "the line's"


def changed_run(self):
    return "a new rasa's"


FAKE = rasa_compat.Replaced("the fake change (tests)", Rasas, "run", rasa_compat.hash_of(Rasas.run))


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setattr(Rasas, "run", Rasas.__dict__["run"])
    yield
    rasa_compat.uninstall(FAKE)


def test_every_change_was_written_for_the_installed_rasa():
    rasa_compat.check(*EVERY_CHANGE)
    assert len({(f.owner, f.attribute) for f in EVERY_CHANGE}) == len(EVERY_CHANGE) == 24


def test_install_keeps_rasas_function_and_can_be_repeated(fake):
    rasa_compat.install(FAKE, replacement)
    rasa_compat.install(FAKE, replacement)
    assert Rasas().run() == "the line's" and rasa_compat.installed(FAKE)
    assert rasa_compat.original(FAKE)(Rasas()) == "rasa's"


def test_a_changed_function_is_not_replaced_and_the_change_is_named(fake, monkeypatch):
    monkeypatch.setattr(Rasas, "run", changed_run)
    with pytest.raises(rasa_compat.RasaChanged, match="the fake change"):
        rasa_compat.install(FAKE, replacement)
    assert Rasas().run() == "a new rasa's"


def test_another_rasa_version_names_the_change_to_review(fake):
    with pytest.raises(rasa_compat.RasaChanged, match=r"Rasa 3\.7\.0 .*the fake change"):
        rasa_compat.check(FAKE, version="3.7.0")


def test_rasa_does_not_start_when_a_patched_function_changed(monkeypatch):
    """Creating the component that installs the action-server patches fails, naming the
    patch, when RemoteAction.run is not the code it was written for."""

    async def run(self, output_channel, nlg, tracker, domain):
        return []

    monkeypatch.setattr(RemoteAction, "run", run)
    with pytest.raises(rasa_compat.RasaChanged, match=r"failed actions hand over"):
        action_calls.ActionServerCalls.create(
            {},
            LocalModelStorage("unused"),
            Resource("calls"),
            ExecutionContext(GraphSchema({}), "test"),
        )


def test_creating_the_component_installs_both_action_server_patches(tmp_path):
    action_calls.ActionServerCalls.create(
        {},
        LocalModelStorage(tmp_path),
        Resource("calls"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    assert RemoteAction.run is resilience.run_or_hand_over
    assert rasa_compat.installed(resilience.RUN)


def test_importing_the_components_changes_nothing_in_rasa():
    for name in (
        "components",
        "components.understanding",
        "components.action_calls",
        "components.inference_models",
        "components.spacy_nlp",
        "components.count_vectors",
        "components.fingerprints",
        "components.resilience",
        "components.action_result_schema",
    ):
        importlib.import_module(name)
    for function in EVERY_CHANGE:
        code = function.owner.__dict__[function.attribute]
        assert inspect.getmodule(getattr(code, "__func__", code)).__name__.startswith("rasa."), (
            function.qualified_name
        )
