"""A real Rasa server and action server, with the trained model, for end-to-end tests:
started once per test session on free ports with a throwaway database."""
from types import SimpleNamespace

import pytest

from tests.support.net import free_port
from tests.support.servers import Conversation, environment, load_sample, serving, write_endpoints


@pytest.fixture(scope="session")
def rasa_server(tmp_path_factory, trained_model):
    work = tmp_path_factory.mktemp("e2e")
    rasa_port, actions_port = free_port(), free_port()
    tracker_db = work / "tracker.db"
    # Like endpoints.yml: conversations in a SQL tracker store, which reports and
    # erasures read and write.
    endpoints = write_endpoints(work / "endpoints.yml", actions_port, tracker_db)
    db_url = f"sqlite:///{work / 'line.db'}"
    env = environment(DIRECTORY_DB_URL=db_url, TRACKER_DB_URL=f"sqlite:///{tracker_db}",
                      LINE_ERASURE_GRACE="1")
    load_sample(env)
    with serving(env, work, actions_port, rasa_port, endpoints) as url:
        yield SimpleNamespace(url=url, db_url=db_url, tracker_db_url=f"sqlite:///{tracker_db}")


@pytest.fixture
def person(rasa_server):
    return Conversation(rasa_server.url)
