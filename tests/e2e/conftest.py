"""A real Rasa server and action server, with the trained model, for end-to-end tests:
started once per test session on free ports with a throwaway database."""

from types import SimpleNamespace

import pytest

from tests.support.net import free_port
from tests.support.servers import Conversation, prepare, serving


@pytest.fixture(scope="session")
def rasa_server(tmp_path_factory, trained_model):
    work = tmp_path_factory.mktemp("e2e")
    rasa_port, actions_port = free_port(), free_port()
    db_url = f"sqlite:///{work / 'line.db'}"
    # Conversations in a SQL tracker store, which reports and erasures read and write.
    env, endpoints = prepare(work, db_url, actions_port, LINE_ERASURE_GRACE="1")
    with serving(env, work, actions_port, rasa_port, endpoints) as url:
        yield SimpleNamespace(url=url, db_url=db_url, tracker_db_url=env["TRACKER_DB_URL"])


@pytest.fixture
def person(rasa_server):
    return Conversation(rasa_server.url)
